"""Redis: every key modq uses and the code that reads and writes them.

Owns the key names (``keys``: the only place a key is built), the comment store with its
group-committed writes (``comments``), the decision feed and the label and audit streams
(``decision_log``), client construction and dedicated connections (``connections``) and the
JSON codec of stored records (``json_codec``). Imports only the base modules.
"""

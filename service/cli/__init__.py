"""The ``modq`` command: ``main`` (the console script, ``serve``) and one module per group
of commands (``queue``, ``models``, ``imports``, ``retrain``). The top of the import graph.
"""

"""The review queue: pending comments, leases, decisions and their statistics.

Owns the queue's rules (``review``: claim, lease, decide, release, sweep), its Lua scripts
(``scripts/``, each with a KEYS/ARGV header, loaded by ``review``), how items are read and
shown (``items``), orders and cursors (``order``), statistics and the model's agreement
with the moderators (``stats``, ``agreement``, ``metrics``). Raises ``service.errors``;
imports the store and the base modules, never Flask.
"""

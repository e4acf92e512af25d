"""Deciding a comment: the model in use, scoring, the policy, the word lists.

Owns the model holder and its hot reload (``model_holder``, ``reload``), scoring plus
the policy's verdict (``scoring``, ``policy``) and the banned and suspect word lists
(``word_lists``). Imports ``classifier``, the store and the base modules; never Flask,
never the queue.
"""

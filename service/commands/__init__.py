"""Click commands of the learning loop (``modq models``, ``modq import``, ``modq retrain``)."""

"""The learning loop: turning moderator labels into a retrained, gated, promoted model.

Owns ``retrain`` (labels from Redis plus the base data, the site adapter or a joint refit,
the gate, promotion); the fitting itself is in ``classifier``. Hot reload of a promoted
model is ``service.moderation.reload``. Imports ``classifier``, the store and the base
modules; never Flask.
"""

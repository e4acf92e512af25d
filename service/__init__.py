"""modq's service: the HTTP API, the moderation rules, the review queue and the learning loop.

One package per part; imports only go down this list (``make lint`` checks it with
import-linter, the contract is in pyproject.toml):

- ``service.wsgi``, ``service.cli``: the entry points (gunicorn's app, the ``modq`` command);
- ``service.runtime``: the processes around the app: gunicorn's config, worker and logger,
  the embedded Redis;
- ``service.http``: Flask: the app factory, blueprints, request parsing, schemas, OpenAPI,
  authentication, the error-to-HTTP mapping, the moderator page;
- ``service.moderation``, ``service.queue``, ``service.learning``: the domain: scoring and
  policy, the review queue, retraining; they know no HTTP and never import each other;
- ``service.store``: Redis: every key, the comment store, the decision log, connections;
- ``service.settings``, ``service.domain``, ``service.errors``, ``service.metrics``,
  ``service.concurrency``: the vocabulary and tools everything shares.
"""

"""The processes around the app: gunicorn's configuration, worker class and logger, and the
embedded redis-server that ``modq serve`` starts when ``MODQ_REDIS_URL`` is unset.

Imports the HTTP app only where gunicorn hands a worker its app (``gunicorn_config``).
"""

"""Running the service: gunicorn configuration and worker, the embedded Redis."""

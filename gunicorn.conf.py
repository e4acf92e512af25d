"""gunicorn's default config file: `gunicorn` run from the project directory picks it up.

The settings live in service/gunicorn_config.py so an installed modq (Docker,
`modq serve`) has them too: ``gunicorn -c python:service.gunicorn_config``.
"""

from service.gunicorn_config import *  # noqa: F403

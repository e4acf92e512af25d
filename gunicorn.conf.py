"""gunicorn's default config file: `gunicorn` run from the project directory picks it up.

The settings live in service/runtime/gunicorn_config.py so an installed modq (Docker,
`modq serve`) has them too: ``gunicorn -c python:service.runtime.gunicorn_config``.
"""

from service.runtime.gunicorn_config import *  # noqa: F403

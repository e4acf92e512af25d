"""gunicorn's logger, minus the access line nobody reads.

modq's app logs its own JSON access line per request (``service.http.logging``), so
gunicorn's ``gunicorn.access`` logger is set to WARNING. gunicorn still builds
the line's atoms (a dict of some twenty fields) on every request before the
level drops it: 0.24 M of the 4.2 M instructions of an intake request through
gunicorn (``python -m bench instructions``). This logger asks the level first.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger


class AccessCheckingLogger(Logger):
    """Builds an access line only when ``gunicorn.access`` would write it."""

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log.isEnabledFor(logging.INFO):
            return
        super().access(resp, req, environ, request_time)

"""Flask's JSON provider with orjson writing the answers (``service.store.json_codec``)."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from service.store.json_codec import dumps, dumps_bytes


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson writing compact answers; Flask's own code
    still writes what asks for more (indentation in debug mode, sorted keys)."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs or self.sort_keys:
            return super().dumps(obj, **kwargs)
        return dumps(obj, self.default)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        app = cast(Flask, self._app)
        if self.sort_keys or self.compact is False or (self.compact is None and app.debug):
            return cast(Response, super().response(*args, **kwargs))
        body = dumps_bytes(self._prepare_response_obj(args, kwargs), self.default)
        return app.response_class(body + b"\n", mimetype=self.mimetype)

"""The HTTP face of modq: everything that knows Flask.

Owns the app factory (``app.create_app``: wiring only), one blueprint per resource
(``api/``), request parsing and limits (``payload``), the request and answer models that
also generate ``/openapi.json`` (``schemas``, ``queue_schemas``, ``openapi``), moderator
authentication and page sessions (``auth``), request logging and metrics, the mapping of
the domain's errors to status codes and the error shape (``errors``), and the moderator
page (``ui/``). May import the domain packages, the store and the base modules; only the
WSGI entry and the runtime import it.
"""

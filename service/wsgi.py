"""The WSGI entry point: ``gunicorn service.wsgi:app`` (settings from MODQ_* variables)."""

from __future__ import annotations

from service.http.app import create_app

app = create_app()

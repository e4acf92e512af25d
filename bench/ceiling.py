"""The ceiling of the HTTP benchmark: bare Flask that only parses the JSON and answers.

Served by gunicorn with modq's own settings (service/runtime/gunicorn_config.py), so the
ratio intake/ceiling measures what modq's work costs, not the server's.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/v1/comments")
def create_comment() -> Response:
    """Parse the comment and answer 201 with a fixed body of the same shape."""
    body = request.get_json()
    response = jsonify({"id": "0", "status": "approved", "name": body.get("name")})
    response.status_code = 201
    return response


@app.get("/healthz")
def healthz() -> Response:
    """Ready when this answers."""
    return jsonify({"status": "ok"})

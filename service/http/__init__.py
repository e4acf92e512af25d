"""The HTTP layer: Flask app, blueprints, schemas, OpenAPI, authentication."""

"""The HTTP layer: the Flask app, its blueprints, schemas and error answers."""

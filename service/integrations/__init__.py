"""Other protocols spoken to modq: translation only, no Flask (service/http does the HTTP)."""

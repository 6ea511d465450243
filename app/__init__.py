"""Article Facts: the facts inside news articles, served with character-exact provenance."""

API_VERSION = "1.0.0"  # of the HTTP API (OpenAPI `info.version`, part of every ETag)

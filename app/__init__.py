"""Article Facts: the facts inside news articles, served with character-exact provenance."""

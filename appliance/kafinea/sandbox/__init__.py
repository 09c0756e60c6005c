"""A Kafinea-compatible webservice on loopback, for development, tests, demos and training."""

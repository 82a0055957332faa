"""Is sfp able to do its job here: the SessionStart health checks, `sfp doctor`'s diagnosis, and what they read."""

"""One module per `sfp` command; each exposes a function named after it that returns an exit code."""

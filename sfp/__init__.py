"""sfp: Skills-Fabrik Patterns for Claude Code, in one drop-in file."""

__all__ = ["__version__"]
__version__ = "0.1.0"

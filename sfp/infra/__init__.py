"""Infrastructure every feature stands on: files, paths, the log, redaction, git, processes, this sfp itself.

Nothing here knows a feature or Claude Code's formats.
"""

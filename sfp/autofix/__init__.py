"""Auto-fix: the formatter auto_fix.yaml names for a file's type, run on the file Claude just wrote.

`formatters` reads the config and picks one, `invocation` decides whether and how it may run,
`run` runs it, `report` says what happened.
"""

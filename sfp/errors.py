"""The small family of errors sfp raises on purpose.

Each becomes one line on stderr and an exit code at the CLI boundary
(`sfp.cli`); anything else is a bug.
"""

from __future__ import annotations

EXIT_FAILED = 1  # what was checked is unhealthy, or an operation failed
EXIT_USAGE = 2  # bad arguments or bad input


class SfpError(Exception):
    """An expected failure of an operation: exit 1."""

    exit_code = EXIT_FAILED


class UsageError(SfpError):
    """Bad arguments or bad input from the person: exit 2."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A config file that can't be used, located as `FILE:LINE:COL: message`."""

    def __init__(self, message: str, filename: str = "", line: int = 0, col: int = 0) -> None:
        self.message = message
        self.filename = filename
        self.line = line
        self.col = col
        super().__init__(self.located())

    def located(self) -> str:
        where = self.filename
        if where and self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return f"{where}: {self.message}" if where else self.message


class StorageError(SfpError):
    """A file or folder sfp needs could not be read or written."""

"""What several commands share, declared once so they read and behave the same everywhere: options,
the folder a command reads (an error when it is there but can't be read), and the y/N question."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sfp.errors import StorageError, UsageError

if TYPE_CHECKING:
    import argparse

PROJECT_HELP = "the project (default: current folder)"


def add_project(parser: argparse.ArgumentParser, help: str = PROJECT_HELP) -> None:
    parser.add_argument("--project", metavar="DIR", help=help)


def add_actions(parser: argparse.ArgumentParser, dest: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command's required actions (`backup create|list|…`), parsed by the same parser class as the command."""
    actions = parser.add_subparsers(dest=dest, metavar="ACTION", parser_class=type(parser))
    actions.required = True
    return actions


def add_json(parser: argparse.ArgumentParser, help: str = "print as JSON") -> None:
    parser.add_argument("--json", action="store_true", help=help)


def project_dir(option: str | None, label: str = "--project") -> Path:
    """The folder `--project` names, else the current one; a folder that isn't there is a usage error,
    never an empty result that looks like "nothing to do"."""
    if not option:
        return Path.cwd()
    path = Path(option).expanduser()
    if not path.is_dir():
        why = "it is a file" if path.exists() else "nothing is there"
        raise UsageError(f"{label} {option} is not a folder ({why})")
    return path


def readable_folder(folder: Path, what: str) -> bool:
    """True when `folder` can be listed, False when it isn't there (nothing was ever written);
    a folder that is there but can't be read is an error, never "nothing yet"."""
    try:
        os.listdir(folder)
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise StorageError(f"{folder} should be the folder of {what}, and it is a file: "
                           "move the file away (sfp makes the folder again)") from None
    except OSError as exc:
        raise StorageError(f"can't read {what} in {folder}: {exc.strerror}; "
                           f"check its owner and permissions (`ls -ld {folder}`)") from None
    return True


def readable_file(path: Path, what: str) -> None:
    """A file that is there must open; a missing one is fine (nothing written yet)."""
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        return
    except IsADirectoryError:
        raise StorageError(f"{path} should be {what}, and it is a folder: move it away") from None
    except OSError as exc:
        raise StorageError(f"can't read {what} {path}: {exc.strerror}; "
                           f"check its owner and permissions (`ls -l {path}`)") from None


def confirmed(question: str, refusal: str, out: IO[str], stdin: IO[str]) -> bool:
    """The person's yes to `question`, asked on the terminal; without one, `refusal` (what to run
    instead, e.g. with --yes) as a usage error, never a silent no or yes."""
    if not stdin.isatty():
        raise UsageError(refusal)
    out.write(f"{question} [y/N] ")
    out.flush()
    return stdin.readline().strip().lower() in ("y", "yes")

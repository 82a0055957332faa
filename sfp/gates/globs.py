"""`file_patterns` globs on project-relative paths: `*` stays inside a folder, `**` crosses folders.

A pattern without a `/` matches a file's name anywhere (`*.py` matches
`src/app/main.py`), the way people write them in gates.yaml.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    body = pattern.strip().removeprefix("./")
    anchored = "/" in body.rstrip("/")
    regex, i = [], 0
    while i < len(body):
        char = body[i]
        if body.startswith("**/", i):
            regex.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            regex.append(".*")
            i += 2
        elif char == "*":
            regex.append("[^/]*")
            i += 1
        elif char == "?":
            regex.append("[^/]")
            i += 1
        elif char == "[":
            end = body.find("]", i + 2 if body[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end == -1:
                regex.append(re.escape(char))
                i += 1
            else:
                inner = body[i + 1 : end].replace("\\", "\\\\")
                regex.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
                i = end + 1
        elif char == "{":
            end = body.find("}", i)
            if end == -1:
                regex.append(re.escape(char))
                i += 1
            else:
                options = body[i + 1 : end].split(",")
                regex.append("(?:" + "|".join(re.escape(o) for o in options) + ")")
                i = end + 1
        else:
            regex.append(re.escape(char))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(regex) + r"\Z")


def matches(path: str, patterns: Iterable[str]) -> bool:
    normalised = path.replace("\\", "/").removeprefix("./")
    return any(compile_glob(p).match(normalised) for p in patterns)


def matching(paths: Iterable[str], patterns: Iterable[str]) -> list[str]:
    compiled = [compile_glob(p) for p in patterns]
    return [p for p in paths if any(c.match(p) for c in compiled)]

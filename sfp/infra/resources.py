"""Files shipped inside the sfp package (default configs, the build manifest), read the cheap way.

The package's own loader reads them whether sfp runs from a folder (a shiv
cache, a checkout) or straight from a zip (the lean build), without
importing importlib.resources on the hooks' hot path.
"""

from __future__ import annotations

import os

import sfp


def read_package_file(relative: str) -> bytes | None:
    """The bytes of `sfp/<relative>`, or None when the package has no such file."""
    loader = sfp.__spec__.loader if sfp.__spec__ else None
    get_data = getattr(loader, "get_data", None)
    if get_data is None or not sfp.__file__:
        return None
    path = os.path.join(os.path.dirname(sfp.__file__), *relative.split("/"))
    try:
        data: bytes = get_data(path)
    except OSError:
        return None
    return data


def package_location() -> str:
    return os.path.dirname(sfp.__file__ or "")

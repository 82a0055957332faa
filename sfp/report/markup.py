"""Text on its way into the page: redacted first, then shortened, then escaped for HTML and SVG.

Redaction comes before shortening, so a cut can never leave the part of a secret the patterns no
longer recognise. Gate names, project paths and hook names come from config and logs: none is markup.
"""

from __future__ import annotations

import html

from sfp.infra.redact import redact


def text(value: object, limit: int | None = None) -> str:
    """`value` as safe page text; with `limit`, at most that many characters (ending in …)."""
    shown = redact(str(value))
    if limit is not None and len(shown) > limit:
        shown = shown[: max(limit - 1, 1)] + "…"
    return html.escape(shown, quote=True)

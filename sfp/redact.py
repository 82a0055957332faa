"""Secret shapes, and the redaction every stored, logged or shown text goes through.

One table of patterns serves both redaction (mask what matched) and the
secrets gate (report what matched), so the two can never disagree.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

MASK: Final = "***"

# Names that, when assigned a literal, hold a secret (the runbook's list plus common spellings).
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:API[_-]?KEY|SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE[_-]?KEY|ACCESS[_-]?KEY|CREDENTIALS?)[A-Za-z0-9_.-]*"


class SecretPattern(NamedTuple):
    kind: str
    regex: re.Pattern[str]
    group: int  # the group holding the secret value; 0 = the whole match


def _p(kind: str, pattern: str, group: int = 0, flags: int = 0) -> SecretPattern:
    return SecretPattern(kind, re.compile(pattern, flags), group)


def patterns() -> tuple[SecretPattern, ...]:
    """The table, compiled on first use: most log lines never need it, and every hook writes one."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = _compile_patterns()
    return _PATTERNS


_PATTERNS: tuple[SecretPattern, ...] | None = None


def _compile_patterns() -> tuple[SecretPattern, ...]:
    return (
        _p("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:.|\n)*?(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)"),
        _p("aws-access-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"),
        _p("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        _p("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
        _p("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        _p("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
        _p("openai-key", r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}"),
        _p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
        _p("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}"),
        _p("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        _p("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        _p("url-credentials", r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@", 1),
        _p("bearer-token", r"\b(?:Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{16,})", 1),
        # NAME = "value", NAME: value, --name=value, export NAME=value
        _p(
            "secret-assignment",
            rf"\b{_SECRET_NAME}\b[\"']?\s*(?::=|=|:)\s*(\"[^\"\n]{{4,}}\"|'[^'\n]{{4,}}'|[^\s\"',;)}}\]]{{4,}})",
            1,
            re.IGNORECASE,
        ),
    )


# A cheap pre-check: text without any of these can't match any pattern, so the common case
# (no secret at all) costs a few substring scans — and no regex compiled on a hook's way.
_TRIGGERS: Final = (
    "private key", "akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "gh", "glpat-", "xox", "sk-",
    "sk_", "rk_", "aiza", "npm_", "eyj", "://", "bearer", "basic", "key", "secret", "passw", "token", "credential",
)


def _may_hold_secret(text: str) -> bool:
    lowered = text.lower()
    return any(trigger in lowered for trigger in _TRIGGERS)


class SecretMatch(NamedTuple):
    kind: str
    start: int  # span of the secret value itself
    end: int


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret value in `text`, leftmost first, overlaps merged into the earlier match."""
    if not _may_hold_secret(text):
        return []
    found: list[SecretMatch] = []
    for pattern in patterns():
        for match in pattern.regex.finditer(text):
            start, end = match.span(pattern.group)
            if start < end and not _is_placeholder(text[start:end]):
                found.append(SecretMatch(pattern.kind, start, end))
    found.sort(key=lambda m: (m.start, -m.end))
    merged: list[SecretMatch] = []
    for secret in found:
        if merged and secret.start < merged[-1].end:
            continue
        merged.append(secret)
    return merged


def redact(text: str) -> str:
    """`text` with every secret value replaced by `***`."""
    matches = find_secrets(text)
    if not matches:
        return text
    parts: list[str] = []
    last = 0
    for match in matches:
        parts.append(text[last:match.start])
        parts.append(MASK)
        last = match.end
    parts.append(text[last:])
    return "".join(parts)


def mask_value(value: str) -> str:
    """A shown-but-harmless form of a secret: its first 4 characters, then the mask."""
    stripped = value.strip("'\"")
    return (stripped[:4] + MASK) if len(stripped) > 8 else MASK


def _is_placeholder(value: str) -> bool:
    # References and templates are not secrets: $VAR, ${VAR}, os.environ[...], <token>, ***, xxx.
    bare = value.strip("'\"")
    if not bare or bare == MASK:
        return True
    if bare[0] in "$<{%" or bare.startswith(("os.environ", "os.getenv", "process.env", "env(", "getenv(")):
        return True
    return len(set(bare.lower())) == 1

"""Secret shapes, and the redaction every stored, logged or shown text goes through.

One table of patterns serves both redaction (mask what matched) and the
secrets gate (`sfp scan-secrets`, report what matched), so the two can never
disagree. Each row also carries anchors: cheap byte regexes that every match
of the row contains, which let the gate skip the table on text that can't hold
a secret (see sfp/secrets.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final, NamedTuple

MASK: Final = "***"

# Names that, when assigned a literal, hold a secret (the runbook's list plus common spellings).
_NAMES_HOLDING = r"API[_-]?KEY|SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE[_-]?KEY|ACCESS[_-]?KEY|CREDENTIALS?"
_PEM_HEADER = r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
_PEM_FOOTER = r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
# What may follow a secret word up to the first character of the value, lowercased (anchors only).
# A fake key block for the private-key row's example, assembled so that no line of the source is one.
_PEM_SAMPLE = ("-----BEGIN RSA PRIVATE" + " KEY-----\n" + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" * 2
               + "-----END RSA PRIVATE" + " KEY-----")
_ASSIGNED = rb"[a-z0-9_.-]*[\"']?\]?[ \t]*[:=]"


class SecretPattern(NamedTuple):
    kind: str
    regex: re.Pattern[str]
    group: int  # the group holding the secret value; 0 = the whole match


class _Row:
    """A row of the table. (Plain classes here and below: a NamedTuple costs a hook a tenth of a millisecond.)"""

    __slots__ = ("kind", "pattern", "group", "ignore_case", "anchors", "lower_anchors", "example")

    def __init__(self, kind: str, pattern: str, group: int | str = 0, *, ignore_case: bool = False,
                 anchors: tuple[bytes, ...] = (), lower_anchors: tuple[bytes, ...] = (), example: str = "") -> None:
        self.kind = kind
        # A text holding one sample of this kind, assembled so that the source holds none whole.
        self.example = example
        self.pattern = pattern
        self.group = group  # the group holding the value, by number or name
        self.ignore_case = ignore_case
        # Byte regexes, each starting with a literal byte, one of which every match of `pattern` contains:
        # `anchors` are searched in the text as it is, `lower_anchors` in the text lowercased.
        self.anchors = anchors
        self.lower_anchors = lower_anchors


_ROWS: Final = (
    # A key block up to its END line (at most 16 KiB on), or without one the header line and the next.
    _Row("private-key", rf"{_PEM_HEADER}(?:[\s\S]{{0,16384}}?{_PEM_FOOTER}|.*(?:\n.*)?)",
         # 4 bytes a character: the byte form must reach every END line the text form reaches.
         anchors=(rf"{_PEM_HEADER}(?:[\s\S]{{0,65536}}?{_PEM_FOOTER}|.*(?:\n.*)?)".encode(),),
         example="KEY = '''" + _PEM_SAMPLE + "'''"),
    _Row("aws-access-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b",
         anchors=(rb"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA)[0-9A-Z]{16}",),
         example="aws_id = 'AKIA" + "Z7QXW3KD5MPLR2VN'"),
    _Row("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
         anchors=(rb"gh[pousr]_[A-Za-z0-9]{36}", rb"github_pat_[A-Za-z0-9_]{22}"),
         example="gh = 'ghp_" + "a1B2" * 9 + "'"),
    _Row("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}", anchors=(rb"-(?<=glpat-)[A-Za-z0-9_-]{20}",),
         example="GL=glpat-" + "x1Y2z3" * 4),
    _Row("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", anchors=(rb"-(?<=xox[abposr]-)[A-Za-z0-9-]{10}",),
         example="SLACK=xoxb-" + "123456789012-abcdef"),
    _Row("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", lower_anchors=(rb"k-ant-[a-z0-9_-]{20}",),
         example="k = 'sk-ant-" + "api03-" + "q1W2" * 6 + "'"),
    _Row("openai-key", r"\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}", lower_anchors=(rb"k-[a-z0-9_-]{32}",),
         example="k = 'sk-" + "proj-" + "Z9y8" * 9 + "'"),
    _Row("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", anchors=(rb"AIza[0-9A-Za-z_-]{35}",),
         example="g = 'AIza" + "Sy" + "D4e5F6g7" * 4 + "h8i'"),
    _Row("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}", lower_anchors=(rb"k_(?:live|test)_[0-9a-z]{16}",),
         example="STRIPE=sk_" + "live_" + "4eC39HqLyjWDarjt"),
    _Row("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", lower_anchors=(rb"pm_[a-z0-9]{36}",),
         example="//registry/:_auth=npm_" + "a1B2c3" * 6),
    _Row("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
         anchors=(rb"J[A-Za-z0-9_-]{8,}\.eyJ",),
         example="t = 'eyJ" + "hbGciOiJIUzI1.eyJ" + "zdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4'"),
    _Row("url-credentials", r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@", 1,
         anchors=(rb"://[^\s:/@'\"]+:[^\s@/'\"]+@",),
         example="DSN = 'postgres://app:" + "Qw3rty9z@db:5432/app'"),
    _Row("bearer-token", r"\b(?:Bearer|Basic)[ \t]+([A-Za-z0-9._~+/=-]{16,})", 1,
         anchors=(rb"B(?:earer|asic)[ \t]+[A-Za-z0-9._~+/=-]{16}",),
         example="curl -H 'Authorization: Bearer " + "abcdefghij0123456789'"),
    # Authorization: Basic|Bearer|Token|Api-Token|Digest <value>, as a header or a config entry.
    _Row("authorization-header",
         r"\bAuthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:Basic|Bearer|Token|Api-Token|Digest)[ \t]+"
         r"(?P<value>[A-Za-z0-9._~+/=-]{4,})", "value", ignore_case=True,
         lower_anchors=(rb"authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|bearer|token|api-token|digest)[ \t]+"
                        rb"[a-z0-9._~+/=-]{4}",),
         example="headers = {'Authorization': 'Basic " + "dXNlcjpwYXNz'}"),
    # --password X, --password=X, --token X: a secret on a command line.
    _Row("command-line-secret",
         r"--(?:password|passwd|pass|secret|token|api[-_]?key)(?:=|[ \t]+)"
         r"(?P<value>\"[^\"\n]{3,}\"|'[^'\n]{3,}'|[^\s\"'`;|&]{3,})", "value", ignore_case=True,
         # In the case-sensitive "-" pass (spelled out in both cases): one pass fewer over every file.
         anchors=(rb"--(?:[Pp][Aa][Ss][Ss](?:[Ww](?:[Oo][Rr])?[Dd])?|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]"
                  rb"|[Aa][Pp][Ii][-_]?[Kk][Ee][Yy])(?:=|[ \t]+)[^\s`;|&]{3}",),
         example="psql --pass" + "word Hunter2x9q"),
    # mysql -pSECRET (the password glued to -p), mysqldump and mysqladmin too.
    _Row("mysql-password", r"\bmysql(?:dump|admin|sh)?\b[^\n|;&]*?[ \t]-p(?P<value>[^\s\"'`;|&-][^\s\"'`;|&]{2,})",
         "value", anchors=(rb"-p[^\s\"'`;|&-][^\s\"'`;|&]{2}",),
         example="mysql -u root -p" + "Sup3rS3cret db"),
    # curl -u user:password, --user user:password.
    _Row("user-password", r"(?:-u|--user)(?:[ \t]+|=)[\"']?[^\s:\"']+:(?P<value>[^\s\"'@]{3,})", "value",
         anchors=(rb"-(?:u|-user)(?:[ \t]+|=)[\"']?[^\s:\"']+:[^\s\"'@]{3}",),
         example="curl -u alice:" + "Wond3rl4nd https://api"),
    # NAME = "value", NAME: value, --name=value, export NAME=value, env["NAME"] = value: all on one line.
    _Row(
        "secret-assignment",
        rf"(?P<name>\b[A-Za-z0-9_.-]{{0,100}}(?:{_NAMES_HOLDING})[A-Za-z0-9_.-]{{0,100}})\b[\"']?\]?[ \t]*(?::=|=|:)[ \t]*"
        r"(?:[bru]{1,2}(?=[\"']))?(?P<value>\"[^\"\n]{4,4096}\"|'[^'\n]{4,4096}'|[^\s\"'`,;)}\]]{4,1024})",
        "value",
        ignore_case=True,
        # Each anchored on the word's rarest letter (k, c, p): a pass over the text costs per candidate letter.
        lower_anchors=tuple(word + _ASSIGNED for word in (
            rb"ken(?<=token)", rb"cret(?<=secret)", rb"credential", rb"passw(?:or)?d",
            rb"key(?:(?<=apikey)|(?<=api[_-]key)|(?<=privatekey)|(?<=private[_-]key)|(?<=accesskey)|(?<=access[_-]key))",
        )),
        example="DB_PASS" + "WORD = 'Tr0ub4dor&3x'",
    ),
)


def examples() -> dict[str, str]:
    """Kind -> a text holding one sample of that kind: what tests plant to check that each kind is caught."""
    return {row.kind: row.example for row in _ROWS}


def patterns() -> tuple[SecretPattern, ...]:
    """The table, compiled on first use: most log lines never need it, and every hook writes one."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = tuple(_compile_row(row) for row in _ROWS)
    return _PATTERNS


_PATTERNS: tuple[SecretPattern, ...] | None = None


def _compile_row(row: _Row) -> SecretPattern:
    # ASCII: secrets are ASCII, and the byte anchors then see exactly what the text patterns see.
    regex = re.compile(row.pattern, re.ASCII | (re.IGNORECASE if row.ignore_case else 0))
    group = regex.groupindex[row.group] if isinstance(row.group, str) else row.group
    return SecretPattern(row.kind, regex, group)


class Anchor:
    __slots__ = ("first", "regex", "lowercase")

    def __init__(self, first: bytes, regex: re.Pattern[bytes], lowercase: bool) -> None:
        self.first = first  # the literal byte every match starts with
        self.regex = regex
        self.lowercase = lowercase  # searched in the lowercased text


def anchors() -> tuple[Anchor, ...]:
    """The rows' anchors merged by first byte: one pass over a text per distinct first byte."""
    global _ANCHORS
    if _ANCHORS is None:
        _ANCHORS = _merge_anchors()
    return _ANCHORS


_ANCHORS: tuple[Anchor, ...] | None = None


def _merge_anchors() -> tuple[Anchor, ...]:
    grouped: dict[tuple[bool, bytes], list[bytes]] = {}
    for row in _ROWS:
        for lowercase, sources in ((False, row.anchors), (True, row.lower_anchors)):
            for source in sources:
                grouped.setdefault((lowercase, source[:1]), []).append(source[1:])
    merged = []
    for (lowercase, first), rests in grouped.items():
        # A leading literal lets the regex engine jump from one `first` byte to the next.
        source = re.escape(first) + b"(?:" + b"|".join(rests) + b")"
        merged.append(Anchor(first, re.compile(source), lowercase))
    return tuple(merged)


# A cheap pre-check: text without any of these can't match any pattern, so the common case
# (no secret at all) costs a few substring scans — and no regex compiled on a hook's way.
_TRIGGERS: Final = (
    "private key", "akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "gh", "glpat-", "xox", "sk-",
    "sk_", "rk_", "aiza", "npm_", "eyj", "://", "bearer", "basic", "key", "secret", "passw", "token", "credential",
    "authorization", "--pass", "mysql", "-u", "--user",
)


def may_hold_secret(text: str) -> bool:
    """False only when `text` can't match any row of the table: a few substring scans, nothing compiled."""
    lowered = text.lower()
    return any(trigger in lowered for trigger in _TRIGGERS)


class SecretMatch(NamedTuple):
    kind: str
    start: int  # span of the secret value itself
    end: int


def find_secrets(text: str) -> list[SecretMatch]:
    """Every secret value in `text`, leftmost first, overlaps merged into the earlier match."""
    if not may_hold_secret(text):
        return []
    found: list[SecretMatch] = []
    for pattern in patterns():
        found += _matches_of(pattern, text)
    found.sort(key=lambda m: (m.start, -m.end))
    merged: list[SecretMatch] = []
    for secret in found:
        if merged and secret.start < merged[-1].end:
            # Overlapping: one span covering both, so the part past the first (a key body) is masked too.
            if secret.end > merged[-1].end:
                merged[-1] = merged[-1]._replace(end=secret.end)
            continue
        merged.append(secret)
    return merged


def _matches_of(pattern: SecretPattern, text: str) -> list[SecretMatch]:
    plausible = _PLAUSIBLE.get(pattern.kind)
    found = []
    pos = 0
    while (match := pattern.regex.search(text, pos)) is not None:
        start, end = match.span(pattern.group)
        if start < end and not _is_placeholder(text[start:end]) and (plausible is None or plausible(match)):
            found.append(SecretMatch(pattern.kind, start, end))
            pos = match.end()
        else:
            # A refused match may hold a real one: TOKEN_URL = "https://x/cb?token=..." with a real value.
            pos = max(start, match.start() + 1)
    return found


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


# Words that stand for "no value here" rather than a value.
_PLACEHOLDER_WORDS: Final = frozenset({
    "none", "null", "nil", "true", "false", "undefined", "changeme", "change_me", "change-me", "replace_me",
    "replaceme", "example", "dummy", "placeholder", "redacted", "required", "optional", "string",
    # the secret's own name standing in for it: http://user:password@host, --token token
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
})


def _is_placeholder(value: str) -> bool:
    # References and templates are not secrets: $VAR, ${VAR}, os.environ[...], <token>, {{ x }}, ***, xxx,
    # `cmd`, !vault, null, your_api_key_here.
    bare = value.strip("'\"")
    if not bare or bare == MASK:
        return True
    if bare[0] in "$<{%`!" or bare.startswith(("os.environ", "os.getenv", "process.env", "env(", "getenv(")):
        return True
    lowered = bare.lower()
    if lowered in _PLACEHOLDER_WORDS or lowered.startswith("your"):
        return True
    return len(set(lowered.strip())) == 1


# --- secret-assignment: is the name a secret's name, and the value a literal? ---------------------------

# The last word of a name that holds something *about* a secret, not the secret: TOKEN_URL, password_prompt.
_DESCRIPTOR_WORDS: Final = frozenset({
    "type", "types", "kind", "url", "urls", "uri", "uris", "endpoint", "host", "path", "paths", "file", "files",
    "filename", "dir", "folder", "name", "names", "length", "len", "size", "count", "min", "max", "limit",
    "prompt", "field", "fields", "header", "env", "var", "regex", "pattern", "hint", "label", "help", "format",
    "expiry", "expires", "expiration", "ttl", "timeout", "lifetime", "policy", "mode", "class", "index",
    "prefix", "suffix", "param", "arg", "option", "flag", "enabled", "required", "location", "source", "provider",
    "version", "id", "ids", "re", "matcher", "parser", "cb", "callback",
})
# Words a test or an example puts where a secret would go; a value made of these alone stands in for one.
_FAKE_WORDS: Final = frozenset({
    "test", "testing", "tests", "fake", "dummy", "mock", "mocked", "sample", "example", "placeholder", "foo", "bar",
    "baz", "secret", "password", "token", "key", "api", "sk", "pk", "my", "value", "here", "invalid", "none",
})


class _Shapes:
    """The regexes that tell a literal from code, compiled on first use like the table."""

    def __init__(self) -> None:
        words = r"apikey|privatekey|accesskey|secret|password|passwd|token|credential"
        # a word of a name that holds a secret: apikey, db_password's password, tokens
        self.secret_word = re.compile(rf"[a-z0-9]*(?:{words})(?:s|key|keys)?", re.ASCII)
        self.name_words = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", re.ASCII)
        self.call_or_index = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_$][\w$]*)*[(\[]", re.ASCII)
        self.dotted = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_$][\w$]*)+", re.ASCII)
        self.identifier = re.compile(r"[A-Za-z_][\w$]*", re.ASCII)
        self.value_words = re.compile(r"[a-z]+|[0-9]+", re.ASCII)
        self.path = re.compile(r"(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)+/?", re.ASCII)
        self.url = re.compile(r"[a-z][a-z0-9+.-]*://", re.ASCII | re.IGNORECASE)
        # 16+ characters mixing letters and digits
        self.random_part = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}", re.ASCII)
        self.key_body = re.compile(r"[A-Za-z0-9+/=]{40}", re.ASCII)


@functools.cache
def _shapes() -> _Shapes:
    return _Shapes()


def name_words(name: str) -> list[str]:
    """`self.apiKey` -> [self, api, key]; `DB_PASSWORD` -> [db, password]; lowercased."""
    return [w.lower() for w in _shapes().name_words.findall(name)]


def _names_a_secret(name: str) -> bool:
    words = name_words(name)
    if not words or words[-1] in _DESCRIPTOR_WORDS:
        return False
    joined = words + [a + b for a, b in zip(words, words[1:])]  # api + key = apikey
    # max_tokens, total_tokens: counts of tokens, not tokens
    return any(not w.endswith("tokens") and _shapes().secret_word.fullmatch(w) for w in joined)


def _is_literal(value: str) -> bool:
    """Whether an assigned value is a literal, not code: a call, an index, a variable, a path or a plain URL."""
    shapes = _shapes()
    bare = value.strip("'\"")
    words = shapes.value_words.findall(bare.lower())
    if "{" in bare or words and _FAKE_WORDS.issuperset(words):
        return False  # a template ("{prefix}abc"), or a test's stand-in ("sk-test", "fake-token")
    if value[0] not in "'\"":
        if bare[0] in "([" or shapes.call_or_index.match(bare) or shapes.dotted.fullmatch(bare):
            return False  # input(...), request.headers[...], self.token, (a, b)
        if shapes.identifier.fullmatch(bare.rstrip(":")) and not _looks_random(bare):
            return False  # a variable, a type or `lambda:` (`token = token`, `password: str`): quote a literal
    elif " " in bare and shapes.secret_word.search(bare.lower()):
        return False  # prose about the secret: "the API token of the bot"
    if shapes.path.fullmatch(bare):
        return False
    return not (shapes.url.match(bare) and "@" not in bare and not shapes.random_part.search(bare))


def _looks_random(word: str) -> bool:
    """A bare word that reads as a generated value rather than a name: it has digits, or is long and unbroken."""
    return any(c.isdigit() for c in word) or (len(word) >= 24 and "_" not in word)


def _plausible_assignment(match: re.Match[str]) -> bool:
    name, value = match.group("name"), match.group("value")
    if not _names_a_secret(name) or value.strip("'\"").lower() in {name.lower(), *name_words(name)}:
        return False  # `{"password": "password"}`: a field's name, not its value
    return _is_literal(value)


def _plausible_private_key(match: re.Match[str]) -> bool:
    # A header alone is code that handles keys (`if line == "-----BEGIN RSA PRIVATE KEY-----"`), not a key.
    return _shapes().key_body.search(match.group(0), match.group(0).index("-----", 5) + 5) is not None


_PLAUSIBLE: Final[dict[str, Callable[[re.Match[str]], bool]]] = {
    "secret-assignment": _plausible_assignment,
    "user-password": lambda match: not match.group("value").isdigit(),  # docker -u 1000:1000 is a uid:gid
    "private-key": _plausible_private_key,
}

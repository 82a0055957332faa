"""Is a matched value a secret? Placeholders, templates, code and prose told from real values.

Pure functions over the text a row of the secret table matched (sfp/infra/secret_rules.py): redaction
and the secrets scanner both ask them, so the two still agree. Their regexes are compiled on first use.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from collections import Counter
from typing import Final

MASK: Final = "***"

# Words that stand for "no value here" rather than a value.
_PLACEHOLDER_WORDS: Final = frozenset({
    "none", "null", "nil", "true", "false", "undefined", "changeme", "change_me", "change-me", "replace_me",
    "replaceme", "example", "dummy", "placeholder", "redacted", "required", "optional", "string",
    # the secret's own name standing in for it: http://user:password@host, --token token
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
})
# Inside a value, these say it was written to stand in for one: EXAMPLE keys, insert_key_here, a-fake-key.
_STAND_IN_MARKERS: Final = (
    "example", "fake", "dummy", "placeholder", "changeme", "change_me", "redacted", "insert_", "_here", "-here",
    "replace_with", "replace-with", "replaceme", "your_", "your-", "<your", "xxxx", "****", "####", "...", "tbd",
)
# Words of a name that make what it holds public or not a credential: public_key, csrf_token, sort_key.
_NOT_SECRET_WORDS: Final = frozenset({
    "public", "pub", "csrf", "xsrf", "authenticity", "primary", "foreign", "sort", "partition", "bucket", "cache",
    "object", "dict", "map", "hash", "lookup", "index", "row", "unique", "composite", "event", "registry", "group",
    "item", "cluster", "routing", "idempotency", "dedup", "entry", "translation", "i18n", "message", "label",
    "shard", "sorting", "cursor", "page", "next", "continuation", "pagination", "sync", "lock", "session_id",
})
# Users that say a URL's credentials are a template: https://username:password@host
_PLACEHOLDER_USERS: Final = frozenset({"user", "username", "usr", "name", "login", "someone", "me", "you"})
# The last word of a name that holds something *about* a secret, not the secret: TOKEN_URL, password_prompt.
_DESCRIPTOR_WORDS: Final = frozenset({
    "type", "types", "kind", "url", "urls", "uri", "uris", "endpoint", "host", "path", "paths", "file", "files",
    "filename", "dir", "folder", "name", "names", "length", "len", "size", "count", "min", "max", "limit",
    "prompt", "field", "fields", "header", "env", "var", "regex", "pattern", "hint", "label", "help", "format",
    "expiry", "expires", "expiration", "ttl", "timeout", "lifetime", "policy", "mode", "class", "index",
    "prefix", "suffix", "param", "arg", "option", "flag", "enabled", "required", "location", "source", "provider",
    "version", "id", "ids", "re", "matcher", "parser", "cb", "callback", "hash", "digest", "algorithm", "store",
    "manager", "service", "handler", "policy", "reset", "change", "input", "box", "text", "description", "desc",
    "message", "msg", "error", "err", "status", "state", "id", "method", "scheme", "strategy", "validator",
    "secrets",
})
# Words a test or an example puts where a secret would go; a value made of these alone stands in for one.
_FAKE_WORDS: Final = frozenset({
    "test", "testing", "tests", "fake", "dummy", "mock", "mocked", "sample", "example", "placeholder", "foo", "bar",
    "baz", "secret", "password", "token", "key", "api", "sk", "pk", "my", "value", "here", "invalid", "none",
    "admin", "root", "user", "username", "guest", "default", "demo", "pass", "pwd", "qwerty", "letmein",
})
# Words of a name that make it a secret's name whatever its value looks like (the value must still be a literal).
_STRONG_WORDS: Final = r"apikey|privatekey|accesskey|secretkey|secret|password|passwd|passphrase|token|credentials?"
# ... and these only as a word of their own (bypass and compass hold no password).
_STRONG_ALONE: Final = frozenset({"pass", "pwd", "pswd", "passwd", "pw"})
# Passwords that come with software and stand for "not set yet": postgres:postgres@, admin:admin.
DEFAULT_PASSWORDS: Final = frozenset({
    "admin", "root", "password", "pass", "postgres", "mysql", "mongodb", "redis", "guest", "test", "user",
    "changeme", "secret", "default", "toor", "1234", "12345", "123456", "qwerty",
})
# Words of a name that hold a secret only when the value reads as generated: api_key-like `key`, `auth`.
_WEAK_WORDS: Final = frozenset({"key", "keys", "auth", "creds", "cred"})


class _Shapes:
    def __init__(self) -> None:
        self.secret_word = re.compile(rf"[a-z0-9]*(?:{_STRONG_WORDS})(?:s|e|key|keys)?", re.ASCII)
        self.name_words = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", re.ASCII)
        self.call_or_index = re.compile(r"[A-Za-z_$@][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)*[(\[]", re.ASCII)
        self.dotted = re.compile(r"[A-Za-z_$@][\w$]*(?:(?:\.|->|::)[A-Za-z_$][\w$]*)+", re.ASCII)
        self.identifier = re.compile(r"[A-Za-z_$][\w$]*", re.ASCII)
        self.value_words = re.compile(r"[a-z]+|[0-9]+", re.ASCII)
        self.path = re.compile(r"(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)+/?", re.ASCII)
        self.url = re.compile(r"[a-z][a-z0-9+.-]*://", re.ASCII | re.IGNORECASE)
        # 16+ characters mixing letters and digits
        self.random_part = re.compile(r"(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}", re.ASCII)
        self.key_body = re.compile(r"[A-Za-z0-9+/=]{40}", re.ASCII)
        # A value that is only a template: {{ x }}, ${X}, ${X:-d}, {name}, %(name)s, %s, {0}, <name>, $VAR, %VAR%
        self.template = re.compile(
            r"\{\{[^{}]*\}\}|\$\{[A-Za-z_][\w.:-]*(?::?-[^{}]*)?\}|\{[A-Za-z_][\w.]*\}|\{\d*\}|%\([\w.]+\)[sd]"
            r"|%[sd]|<[A-Za-z_][\w .-]*>|\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|\$\([^()]*\)", re.ASCII)
        self.base64 = re.compile(r"[A-Za-z0-9+/]+={0,2}", re.ASCII)
        self.repeated = re.compile(r"(.)\1{5}", re.ASCII | re.DOTALL)
        # a dotted or dashed name (jetbrains.mps.v8_elimination), not a generated value
        self.dotted_name = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z][A-Za-z0-9]*)+", re.ASCII)
        # what a generated value doesn't hold: spaces, escapes, entities, a host:port, key=value, a file name
        self.not_generated = re.compile(r"[\s:\\]|&[a-z]+;|=[^=]|\.[a-z]{2,4}$", re.ASCII)
        self.code_characters = re.compile(r"[\[\](){}|^$*<>]", re.ASCII)
        # regex syntax: a pattern that describes secrets is code, not one
        self.regex_syntax = re.compile(r"\(\?|\\[sdwbSDWB.]|\[\^|\[[A-Za-z0-9]-[A-Za-z0-9]", re.ASCII)


@functools.cache
def _shapes() -> _Shapes:
    return _Shapes()


def name_words(name: str) -> list[str]:
    """`self.apiKey` -> [self, api, key]; `DB_PASSWORD` -> [db, password]; lowercased."""
    return [w.lower() for w in _shapes().name_words.findall(name)]


def _has_sequence(text: str, length: int = 6) -> bool:
    """`123456`, `abcdef`, `987654`: a run of `length` characters each one after (or before) the last."""
    up = down = 1
    for a, b in zip(text, text[1:]):
        step = ord(b) - ord(a)
        up = up + 1 if step == 1 and b.isalnum() else 1
        down = down + 1 if step == -1 and b.isalnum() else 1
        if up >= length or down >= length:
            return True
    return False


def looks_fake(value: str) -> bool:
    """A value written to stand in for a secret: repeated or sequential characters, EXAMPLE, xxxx, your_key_here."""
    lowered = value.lower()
    if any(marker in lowered for marker in _STAND_IN_MARKERS):
        return True
    if _shapes().repeated.search(lowered) or _has_sequence(lowered):
        return True
    body = [c for c in lowered if c.isalnum()]
    if len(body) >= 6 and len(set(body)) <= 3:
        return True
    return _decodes_to_fake(value)


def _decodes_to_fake(value: str) -> bool:
    """A base64 value whose text says it stands in for one: ZHVtbXkg... is "dummy ..."."""
    if len(value) < 16 or len(value) % 4 or not _shapes().base64.fullmatch(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    if not all(32 <= b < 127 for b in decoded):
        return False
    text = decoded.decode("ascii").lower()
    return any(marker in text for marker in _STAND_IN_MARKERS)


def is_placeholder(value: str) -> bool:
    """References, templates and stand-ins: $VAR, ${VAR}, os.environ[...], <token>, {{ x }}, ***, xxx, null."""
    bare = value.strip("'\"`")
    if not bare or bare == MASK or MASK in bare:
        return True
    if bare[0] in "$<%!" and _shapes().template.fullmatch(bare) or bare[0] in "!<":
        return True  # $VAR, <token>, !vault, %VAR%
    if bare.startswith(("os.environ", "os.getenv", "process.env", "env(", "getenv(", "ENV[")):
        return True
    if _shapes().template.fullmatch(bare) or bare.startswith("${") or bare.startswith("{{"):
        return True
    lowered = bare.lower()
    if lowered in _PLACEHOLDER_WORDS or lowered.startswith("your") or lowered.startswith("{{"):
        return True
    return len(set(lowered.strip())) == 1


def has_template(value: str) -> bool:
    """A value built around a template marker: "Bearer {}", f"token={tok}", "${PREFIX}abc".

    A brace alone makes no template: what is left with the markers taken out must hold no brace.
    """
    template = _shapes().template
    if template.search(value) is None:
        return False
    rest = template.sub("", value)
    return "{" not in rest and "}" not in rest


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str, min_length: int = 16) -> bool:
    """A generated value: long enough, letters mixed with digits (or very varied), high entropy."""
    shapes = _shapes()
    if len(value) < min_length or looks_fake(value) or shapes.dotted_name.fullmatch(value) \
            or shapes.not_generated.search(value):
        return False
    words = name_words(value)
    if value.isalpha() and len(words) >= 2 and all(len(w) >= 3 for w in words):
        return False  # a CamelCase name: HTTPPasswordMgrWithDefaultRealm
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    if not has_alpha:
        return len(value) >= 16 and entropy(value) >= 3.0
    return entropy(value) >= (3.0 if has_digit else 3.8)


def looks_generated(value: str) -> bool:
    """Looser than `looks_random`: 12+ characters mixing letters and digits, not a snake_case name or key=value."""
    shapes = _shapes()
    if len(value) < 12 or looks_fake(value) or shapes.not_generated.search(value) or shapes.code_characters.search(value):
        return False
    if re.fullmatch(r"_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+", value):
        return False  # PKCS7_ISSUER_AND_SERIAL
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and entropy(value) >= 3.0


# --- the generic rows: is the name a secret's name, and the value a literal? --------------------------------


def name_strength(name: str) -> str:
    """"strong" (password, token, secret...), "weak" (key, auth: only with a generated value) or ""."""
    words = name_words(name)
    if not words or words[-1] in _DESCRIPTOR_WORDS or _NOT_SECRET_WORDS.intersection(words):
        return ""
    joined = words + [a + b for a, b in zip(words, words[1:])]  # api + key = apikey
    # max_tokens, total_tokens: counts of tokens, not tokens; passthrough, passive: not a pass
    if any(not w.endswith("tokens") and _shapes().secret_word.fullmatch(w) for w in joined):
        return "strong"
    if any(w in _STRONG_ALONE for w in words):
        return "strong"
    return "weak" if words[-1] in _WEAK_WORDS else ""


def is_literal(value: str, strict: bool = False) -> bool:
    """Whether an assigned value is a literal, not code: a call, an index, a variable, a path or a plain URL."""
    shapes = _shapes()
    bare = value.strip("'\"`")
    words = shapes.value_words.findall(bare.lower())
    if not bare or words and _FAKE_WORDS.issuperset(words):
        return False  # a test's stand-in ("sk-test", "fake-token")
    if shapes.regex_syntax.search(bare):
        return False  # a pattern for secrets, not one
    if re.fullmatch(r"[a-z]+(?:_[a-z0-9]+)+", bare) and shapes.secret_word.search(bare):
        return False  # another name: "read_secret_file_count"
    if value[0] not in "'\"`":
        if bare[0] in "([{&*" or shapes.call_or_index.match(bare) or shapes.dotted.fullmatch(bare.rstrip(";,")):
            return False  # input(...), request.headers[...], self.token, (a, b), &buf, my_passwd->pw_uid
        if shapes.identifier.fullmatch(bare.rstrip(":;,")) and not _looks_generated_word(bare):
            return False  # a variable, a type or `lambda:` (`token = token`, `password: str`): quote a literal
        if re.fullmatch(r"[a-z]+(?:[-_][a-z]+)+", bare):
            return False  # a kebab-case name: shorter-version
        if "*" in bare or re.fullmatch(r"0x[0-9a-fA-F]{1,8}", bare):
            return False  # a grammar (token = 1*tchar), a pointer, a glob, a small hex number
        if bare.count("{") == 1 and re.search(r"\{[A-Za-z_]\w*$", bare):
            return False  # cut at a template's `}`: f'token=ghp_{x}' 
    elif " " in bare.strip() and (shapes.secret_word.search(bare.lower()) or strict and len(bare.split()) >= 3):
        return False  # prose about the secret: "the API token of the bot"; to the scanner "doesnt start right" too
    if shapes.path.fullmatch(bare):
        return False
    # A URL holds a secret only in a random part of its own (user:password@ is the url-credentials row's).
    return not (shapes.url.match(bare) and ("@" in bare or not shapes.random_part.search(bare)))


def is_pattern(value: str) -> bool:
    """Regex syntax: a pattern that describes secrets (in a scanner's own source) is code, not one."""
    return _shapes().regex_syntax.search(value) is not None


def _looks_generated_word(word: str) -> bool:
    """A bare word that reads as a generated value rather than a name: it has digits, or is long and unbroken."""
    return any(c.isdigit() for c in word) or (len(word) >= 24 and "_" not in word)


def plausible_assignment(name: str, value: str, strict: bool = False) -> bool:
    strength = name_strength(name)
    bare = value.strip("'\"`")
    if not strength or bare.lower() in {name.lower(), *name_words(name)}:
        return False  # `{"password": "password"}`: a field's name, not its value
    if has_template(bare) or not is_literal(value, strict) or is_placeholder(value):
        return False
    return strength == "strong" or looks_random(bare)


def plausible_url_credentials(user: str, value: str, strict: bool) -> bool:
    """user:password@ in a URL; `strict` (the scanner) also refuses defaults and templates: postgres:postgres@."""
    lowered = value.lower()
    if is_placeholder(value) or lowered in ("password", "passwd", "pass"):
        return False
    return not strict or (lowered != user.lower() and user.lower() not in _PLACEHOLDER_USERS
                          and lowered not in DEFAULT_PASSWORDS and "password" not in lowered)


def plausible_private_key(block: str) -> bool:
    # A header alone is code that handles keys (`if line == "-----BEGIN RSA PRIVATE KEY-----"`), not a key.
    return _shapes().key_body.search(block, block.index("-----", 5) + 5) is not None


def is_jwt(token: str) -> bool:
    """Three dot-separated base64url parts whose first decodes to a JSON object: a JWT, not a look-alike."""
    header = token.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    except (binascii.Error, ValueError):
        return False
    import json

    try:
        return isinstance(json.loads(decoded), dict)
    except ValueError:
        return False


def decodes_to_jwt(text: str) -> bool:
    """A base64 text (a JWT wrapped once more) whose decoded form starts like a JWT."""
    try:
        decoded = base64.b64decode(text[:64] + "=" * (-len(text[:64]) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return decoded.startswith(b"eyJ")

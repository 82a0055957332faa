"""The rows of the secret table that are not one provider's token: keys, URLs, headers, command lines, assignments.

A row is a text regex (the secret is one of its groups), the substrings one of which every match
holds (`triggers`, lowercase: the cheap pre-check), byte anchors for the scanner's first pass, an
optional plausibility check, and a synthetic example. Provider tokens are in secret_providers.py;
redact.py puts both together into the one table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sfp.infra import secret_sense as sense

# The PEM armour of a private key.
_PEM_HEADER = r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
_PEM_FOOTER = r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
# A fake key block for the private-key row's example, assembled so that no line of the source is one.
PEM_SAMPLE: Final = ("-----BEGIN RSA PRIVATE" + " KEY-----\n" + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" * 2
                     + "-----END RSA PRIVATE" + " KEY-----")

# The match's named groups (and "0", the whole match; "strict" set when the scanner asks) -> a secret?
Check = Callable[[dict[str, str]], bool]


class Row:
    """A row of the table. (Plain classes here: a NamedTuple costs a hook a tenth of a millisecond.)"""

    __slots__ = ("kind", "pattern", "group", "ignore_case", "anchors", "lower_anchors", "prefixes", "triggers",
                 "shape", "check", "example")

    def __init__(self, kind: str, pattern: str, group: int | str = 0, *, ignore_case: bool = False,
                 anchors: tuple[bytes, ...] = (), lower_anchors: tuple[bytes, ...] = (),
                 prefixes: tuple[str, ...] = (), triggers: tuple[str, ...] = (), shape: str = "",
                 check: Check | None = None,
                 example: str = "") -> None:
        self.kind = kind
        self.pattern = pattern
        self.group = group  # the group holding the value, by number or name
        self.ignore_case = ignore_case
        # Byte regexes, each starting with a literal byte, one of which every match of `pattern` contains:
        # `anchors` are searched in the text as it is, `lower_anchors` in the text lowercased.
        self.anchors = anchors
        self.lower_anchors = lower_anchors
        # Literal starts of a token (`glrt-`): anchored as the prefix and 8 body characters, all such merged.
        self.prefixes = prefixes
        # Lowercase substrings, one of which is in every text the row matches.
        self.triggers = triggers or tuple(dict.fromkeys(p.lower() for p in prefixes))
        # For a token with no literal in it (a Discord bot token): a small regex that stands in for triggers.
        self.shape = shape
        self.check = check
        # A text holding one sample of this kind, assembled so that the source holds none whole.
        self.example = example


def _value(groups: dict[str, str]) -> str:
    return groups["value"]


def _assignment(groups: dict[str, str]) -> bool:
    op, value = groups.get("op"), groups["value"]
    if op == "," and not (groups.get("quote") and sense.looks_generated(value.strip("'\"`"))):
        return False  # `f(token, x)`, ('Token', 'copy_context'): only ("X_TOKEN", "<a generated value>") is a key
    if op in ("==", "!=", "===", "!==") and not _compared(groups):
        return False  # `token == 'async'` is parsing, not a password written out
    if groups.get("op") == ":" and "." in groups["name"] and not groups["0"].split(":", 1)[1][:1].isspace():
        return False  # io.jsonwebtoken:jjwt-api, a Maven coordinate or a qualified name, not `key: value`
    return sense.plausible_assignment(groups["name"], groups["value"], bool(groups.get("strict")))


def _compared(groups: dict[str, str]) -> bool:
    value = groups["value"]
    return value[:1] in "'\"`" and sense.looks_random(value.strip("'\"`"), 8) \
        and sense.plausible_assignment(groups["name"], value, bool(groups.get("strict")))


def _k8s_data(groups: dict[str, str]) -> bool:
    import base64
    import binascii

    value = groups["value"]
    if len(value) % 4:
        return False
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in decoded)
    return len(decoded) >= 4 and printable == len(decoded)


def _user_password(groups: dict[str, str]) -> bool:
    if groups["user"].startswith("<") or groups["value"].endswith(">"):
        return False  # curl -u <user:password>
    user, value = groups["user"].strip("'\"{}"), groups["value"].strip("'\"{}").rstrip(",.;")
    if value.isdigit() or sense.is_placeholder(value) or sense.is_pattern(groups["value"]):
        return False  # docker -u 1000:1000 is a uid:gid; a regex that describes the form
    if groups.get("strict") and value.lower() in (user.lower(), *sense.DEFAULT_PASSWORDS):
        return False  # curl -u test:test, admin:admin: a stand-in, or a default nobody chose
    return not (value.startswith("[") or value.startswith("$"))


def _url_credentials(groups: dict[str, str]) -> bool:
    return sense.plausible_url_credentials(groups["user"], groups["value"], bool(groups.get("strict")))


# Names a generic assignment takes (the regex's side; secret_sense.name_strength has the last word).
_NAME_WORDS = (r"SECRET|PASSW(?:OR)?D|PASSPHRASE|PASS|PWD|PSWD|TOKEN|CREDENTIALS?|CREDS|AUTH|API[_-]?KEY|KEY")
# name, then a closing quote or bracket, an optional type (`var x string =`, `x: String =`) and the operator
# The name starts where its run of name characters does, or 100 on into a longer run: a start per character
# made the search quadratic in the length of every identifier.
_ASSIGNMENT = (
    r"(?:(?<![A-Za-z0-9_.$@-])|(?<=[A-Za-z0-9_.$@-]{100}))"
    rf"(?P<name>[A-Za-z0-9_.$@-]{{0,100}}(?:{_NAME_WORDS})[A-Za-z0-9_.-]{{0,100}})\b(?P<quote>[\"'`])?(?:\]|\[\d*\])?"
    r"(?:[ \t]*:?[ \t]*[A-Za-z][\w.<>*]{0,30}(?=[ \t]+=[^=>]))?"
    r"(?:[ \t]*(?P<op>:::=|::=|:=|\?=|\.=|\+=|\|\|=|=>|===?|!==?|=|:|,)|[ \t]+(?=\"[^\"\n]{3,}\";?[ \t]*$))[ \t]*"
    r"(?:[@$]|[bru]{1,2})?(?=[\"'`]|(?<=[:=>,]))?"
    r"[ \t]*(?P<value>\"[^\"\n]{4,4096}\"|'[^'\n]{4,4096}'|`[^`\n]{4,4096}`|[^\s\"'`,;)}\]]{4,1024})"
)
# What may follow a secret word up to the first character of the value, lowercased (anchors only).
_ASSIGNED = rb"[a-z0-9_.-]*[\"'`]?(?:\]|\[[0-9]*\])?(?:[ \t]*:?[ \t]*[a-z][a-z0-9_.<>*]{0,30})?[ \t]*[:=?.+|!,>]"
# The same word opening an XML element whose text is the value, or an <add key="..." value="..."/>.
_XML_AFTER = rb"[a-z0-9_.:-]*(?:[ \t][^>\n]{0,200})?>\s{0,200}[^<\s][^<\n]{2,1024}?\s{0,200}</"
# A `data:` entry of a Secret: its first key's base64 value, maybe on a line of its own after | or >.
_K8S_DATA = (r"^[ \t]*data:[ \t]*\n(?:[ \t]*\#.*\n)*[ \t]+[\"']?[\w.-]+[\"']?:[ \t]*(?:[|>][-+]?[ \t]*\n[ \t]+)?"
             r"[\"']?(?P<value>[A-Za-z0-9+/]{8,}={0,2})[\"']?[ \t]*")
_GENERIC_WORDS = (rb"ken(?<=token)", rb"cret(?<=secret)", rb"credential", rb"creds", rb"passw(?:or)?d",
                  rb"passphrase", rb"pwd", rb"pswd", rb"pass(?!w)", rb"key", rb"auth")
# `key` and `auth` name a secret only with a generated value (12+ characters) unless they end api_key and the like:
# in code they are mostly dict keys and auth objects, and anchoring them loosely would decode every such line.
_STRONG_KEY = rb"key(?:(?<=apikey)|(?<=api[_-]key)|(?<=privatekey)|(?<=private[_-]key)|(?<=accesskey)|(?<=access[_-]key))"
_ASSIGNMENT_ANCHORS = tuple(word + _ASSIGNED for word in _GENERIC_WORDS[:-2]) + (_STRONG_KEY + _ASSIGNED,) + tuple(
    word + _ASSIGNED + rb"[=:>]*[ \t]*[@$bru]{0,2}[\"'`]?[a-z0-9+/=_.~-]{12}" for word in (rb"key", rb"auth"))

CORE_ROWS: Final = (
    # A key block up to its END line (at most 16 KiB on), or without one the header line and the next.
    Row("private-key", rf"{_PEM_HEADER}(?:[\s\S]{{0,16384}}?{_PEM_FOOTER}|.*(?:\n.*)?)",
        # 4 bytes a character: the byte form must reach every END line the text form reaches.
        anchors=(rf"{_PEM_HEADER}(?:[\s\S]{{0,65536}}?{_PEM_FOOTER}|.*(?:\n.*)?)".encode(),),
        triggers=("private key",), check=lambda g: sense.plausible_private_key(g["0"]),
        example="KEY = '''" + PEM_SAMPLE + "'''"),
    Row("jwt", r"(?<![\w-])(?P<value>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", "value",
        anchors=(rb".eyJ",), triggers=("eyj",), check=lambda g: sense.is_jwt(g["value"]),
        example="t = 'eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4'"),
    # A Discord bot token: the user id in base64, a timestamp, an HMAC.
    Row("discord-bot-token", r"(?<![\w.-])(?P<value>[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![\w-])",
        "value", anchors=(rb".(?<=\.[A-Za-z0-9_-]{6}\.)[A-Za-z0-9_-]{27}",), shape=r"[MNO][\w-]{23,25}\.[\w-]{6}\.",
        example="bot = 'M{A23}.{A6}.{w27}q'"),
    # A JWT base64-encoded once more (as Kubernetes and CI variables hold them): "eyJ" encodes to "ZXlK".
    Row("jwt-base64", r"(?<![A-Za-z0-9+/])(?P<value>ZXlK[A-Za-z0-9+/]{60,}={0,2})", "value",
        lower_anchors=(rb"k(?<=zxlk)[a-z0-9+/]{60}",), triggers=("zxlk",), check=lambda g: sense.decodes_to_jwt(g["value"]),
        example="JWT_B64=ZXlK" + "aGJHY2lPaUpJVXpJMU5pSjkuZXlKemRXSWlPaUl4TWpNMElu" + "MC5hYmNkZWZnaGlqa2xtbm9w"),
    Row("url-credentials", r"\b[a-z][a-z0-9+.-]*://(?P<user>[^\s:/@'\"]*):(?P<value>[^\s@/'\"]+)@", "value",
        anchors=(rb"//(?<=://)[^\s:/@'\"]*:[^\s@/'\"]+@",), triggers=("://",), check=_url_credentials,
        example="DSN = 'postgres://app:" + "Qw3rty9z@db:5432/app'"),
    Row("bearer-token", r"\b(?:Bearer|Basic)[ \t]+(?P<value>[A-Za-z0-9._~+/=-]{16,})", "value",
        lower_anchors=(rb"arer(?<=bearer)[ \t]+[a-z0-9._~+/=-]{16}", rb"asic(?<=basic)[ \t]+[a-z0-9._~+/=-]{16}"), triggers=("bearer", "basic"),
        example="curl -H 'Authorization: Bearer " + "q8ZrT1kx7Wm2Pd4LsV9n'"),
    # Authorization: Basic|Bearer|Token|Api-Token|Digest <value>, as a header or a config entry; or a bare value.
    Row("authorization-header",
        # a bare value only in quotes: 'Authorization': '<value>' or 'Authorization: <value>'
        r"(?P<q>[\"'])?\bAuthorization(?P<closed>[\"'])?[ \t]*[:=][ \t]*[\"']?"
        r"(?:(?:Basic|Bearer|Token|Api-Token|Digest)[ \t]+|(?<=[\"'])|(?(closed)(?!)|(?(q)[ \t]*|(?!))))"
        r"(?P<value>[A-Za-z0-9._~+/=-]{4,})", "value", ignore_case=True,
        lower_anchors=(rb"authorization[\"']?[ \t]*[:=][ \t]*[\"']?[a-z0-9._~+/=-]{4}",), triggers=("authorization",),
        check=lambda g: g["value"].lower() not in ("basic", "bearer", "token", "api-token", "digest"),
        example="headers = {'Authorization': 'Basic " + "dXNlcjpwYXNz'}"),
    # --password X, --password=X, --token X: a secret on a command line.
    Row("command-line-secret",
        r"--(?:password|passwd|pass|secret|token|api[-_]?key)(?:=|[ \t]+)"
        r"(?P<value>\"[^\"\n]{3,}\"|'[^'\n]{3,}'|[^\s\"'`;|&]{3,})", "value", ignore_case=True,
        # In the case-sensitive "-" pass (spelled out in both cases): one pass fewer over every file.
        anchors=(rb"--(?:[Pp][Aa][Ss][Ss](?:[Ww](?:[Oo][Rr])?[Dd])?|[Ss][Ee][Cc][Rr][Ee][Tt]|[Tt][Oo][Kk][Ee][Nn]"
                 rb"|[Aa][Pp][Ii][-_]?[Kk][Ee][Yy])(?:=|[ \t]+)[^\s`;|&]{3}",),
        triggers=("--pass", "--secret", "--token", "--api"),
        check=lambda g: not sense.is_placeholder(g["value"]) and not sense.has_template(g["value"]),
        example="psql --pass" + "word Hunter2x9q"),
    # mysql -pSECRET (the password glued to -p), mysqldump and mysqladmin too.
    Row("mysql-password", r"\bmysql(?:dump|admin|sh)?\b[^\n|;&]*?[ \t]-p(?P<value>[^\s\"'`;|&-][^\s\"'`;|&]{2,})",
        "value", anchors=(rb"-p[^\s\"'`;|&-][^\s\"'`;|&]{2}",), triggers=("mysql",),
        check=lambda g: not sense.is_placeholder(g["value"]), example="mysql -u root -p" + "Sup3rS3cret db"),
    # curl -u user:password, --user user:password, quoted or not.
    Row("user-password",
        r"(?:\s-u|--user)(?:[ \t]+|=)[\"']?(?P<user>[^\s:\"']*)[\"']?:[\"']?(?P<value>[^\s\"'@]{3,})", "value",
        anchors=tuple(flag + rb"(?:[ \t]+|=)[\"']?[^\s:\"']*[\"']?:[\"']?[^\s\"'@]{3}" for flag in (rb"-u", rb"--user")), triggers=("-u",),
        check=_user_password, example="curl -u alice:" + "Wond3rl4nd https://api"),
    # "value" == password: a literal compared with a secret's name is that secret, written out.
    Row("secret-comparison",
        r"(?P<value>\"[^\"\n]{4,1024}\"|'[^'\n]{4,1024}')[ \t]*(?:===?|!==?)[ \t]*"
        rf"(?P<name>[A-Za-z0-9_.$]{{0,100}}(?:{_NAME_WORDS})[A-Za-z0-9_.]{{0,100}})\b", "value", ignore_case=True,
        # the name closing the condition: `if ("..." == password)`
        lower_anchors=tuple(word + rb"[a-z0-9_.]{0,100}[ \t]*\)" for word in _GENERIC_WORDS),
        triggers=("==", "!="), check=_compared, example="if (\"Tr0ub4" + "dor&3x\" == password) {"),
    # <password>value</password>, the value maybe on a line of its own.
    Row("xml-secret-element",
        rf"<(?P<name>[A-Za-z_][\w.:-]{{0,100}})(?:[ \t][^>\n]{{0,200}})?>\s{{0,200}}(?P<value>[^<\s][^<\n]{{2,1024}}?)"
        r"\s{0,200}</(?P=name)>", "value",
        lower_anchors=tuple(word + _XML_AFTER for word in _GENERIC_WORDS),
        triggers=("token", "secret", "credential", "pass", "pwd", "key", "auth"),
        check=lambda g: sense.plausible_assignment(g["name"], g["value"].strip(), bool(g.get("strict"))),
        example="<db" + "Password>\n    Tr0ub4" + "dor&3x\n</dbPassword>"),
    # <add key="ApiKey" value="..."/> (.NET config, NuGet.Config).
    Row("xml-secret-attribute",
        r"\bkey=[\"'](?P<name>[^\"'\n]{1,100})[\"'][ \t]+value=(?P<value>\"[^\"\n]{3,1024}\"|'[^'\n]{3,1024}')",
        "value", ignore_case=True, lower_anchors=(rb"key=[\"'][^\"'\n]{1,100}[\"'][ \t]+value=",),
        triggers=("value=",), check=lambda g: len(g["value"]) >= 6 and sense.plausible_assignment(g["name"], g["value"], bool(g.get("strict"))),
        example="<add key=\"ClearTextPassword\" value=\"Tr0ub4" + "dor&3x\" />"),
    # A Kubernetes Secret's data: base64 values under `data:`, the document's `kind: Secret` before or after them.
    Row("kubernetes-secret", rf"(?im)^[ \t]*kind:[ \t]*[\"']?Secret[\"']?[ \t]*\n(?:.*\n){{0,40}}?{_K8S_DATA}$", "value",
        lower_anchors=(rb"kind:[ \t]*[\"']?secret[\"']?[ \t]*\n(?:[^\n]*\n){0,40}?[ \t]*data:[ \t]*\n[^\n]*\n?[^\n]*\n?[^\n]*",),
        triggers=("data:",), check=_k8s_data, example="kind: Secret\ndata:\n  password: " + "SHVudGVyMng5cQ=="),
    Row("kubernetes-secret-data", rf"(?im){_K8S_DATA}\n(?=(?:.*\n){{0,40}}?[ \t]*kind:[ \t]*[\"']?Secret[\"']?[ \t]*$)", "value",
        lower_anchors=(rb"ata:(?<=data:)[ \t]*\n(?:[^\n]*\n){0,40}?[ \t]*kind:[ \t]*[\"']?secret",),
        triggers=("data:",), check=_k8s_data, example="data:\n  password: " + "SHVudGVyMng5cQ==\nkind: Secret"),
    # NAME = "value" in every common syntax: NAME: value, NAME := `v`, $NAME .= "v", NAME ?= v, "NAME" => "v",
    # var NAME string = "v", setProperty("NAME", "v"), NAME == "v"; all on one line.
    Row("secret-assignment", _ASSIGNMENT, "value", ignore_case=True,
        # Each anchored on the word's rarest letter (k, c, p, a): a pass over the text costs per candidate letter.
        lower_anchors=_ASSIGNMENT_ANCHORS,
        triggers=("token", "secret", "credential", "creds", "pass", "pwd", "pswd", "key", "auth"),
        check=_assignment, example="DB_PASS" + "WORD = 'Tr0ub4dor&3x'"),
)

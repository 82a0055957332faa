"""Redaction: secret values masked, names and references kept; the rules the secrets gate shares.

Secret-looking literals below are fakes, and this file is itself scanned by the gate: lines that hold
one carry the allow marker (sfp: allow-secret), which the gate's own tests check it honours.
"""

from __future__ import annotations

import re

import pytest

from sfp.infra.redact import MASK, anchors, examples, find_secrets, mask_value, name_words, patterns, redact

KEY_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" * 3

SECRETS = [
    ("API_KEY=abcd1234efgh", "API_KEY=***"),  # sfp: allow-secret
    ('password: "hunter22"', "password: ***"),  # sfp: allow-secret
    ("db_password='correct horse'", "db_password=***"),  # sfp: allow-secret
    ("curl https://bob:s3cretpw@example.com/x", "curl https://bob:***@example.com/x"),  # sfp: allow-secret
    ("token ghp_" + "q8Zr1Kx7Wm2Pd4LsV9nT" + "3bY6cH5jF0gE8aUu", "token ***"),
    ("AKIA" + "Z7QXW3KD5MPLR2VN in config", "*** in config"),
    ("Authorization: Bearer q8ZrT1kx7Wm2Pd4LsV9n", "Authorization: Bearer ***"),  # sfp: allow-secret
    ("export AWS_SECRET_ACCESS_KEY=" + "q8Zr1Kx7/Wm2Pd4LsV9nT3bY6cH5jF0gE8aUuR2w", "export AWS_SECRET_ACCESS_KEY=***"),
    ("key " + examples()["anthropic-key"].split("'")[1], "key ***"),
    ("-----BEGIN RSA PRIVATE KEY-----\n" + KEY_BODY + "-----END RSA PRIVATE KEY-----\nafter", "***\nafter"),
    # a key block without its END line: the header and the next line go
    ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + KEY_BODY, "***\n" + KEY_BODY.split("\n", 1)[1]),
    # shapes of assignment: a bytes literal, an index, Go's :=, a flag, camelCase, a joined name, numbers
    ("app.secret_key = b'_5#y2L\"F4Q8z\\n\\xec]/'", "app.secret_key = b***"),  # sfp: allow-secret
    ('os.environ["API_KEY"] = "abcd1234efgh"', 'os.environ["API_KEY"] = ***'),  # sfp: allow-secret
    ('token := "abcd1234efgh"', "token := ***"),  # sfp: allow-secret
    ("--password=hunter22", "--password=***"),  # sfp: allow-secret
    ("apiKey: 'abcd1234efgh'", "apiKey: ***"),  # sfp: allow-secret
    ("AUTHTOKEN=abcd1234efgh", "AUTHTOKEN=***"),  # sfp: allow-secret
    ("password = 918273", "password = ***"),  # sfp: allow-secret
    ("password = '#$%^&*!@'", "password = ***"),  # sfp: allow-secret
    ('{"password": "s3cr3t!pw"}', '{"password": ***}'),  # sfp: allow-secret
    # an unquoted word counts once it reads as generated: digits, or long and unbroken
    ("DB_PASSWORD=SuperSecretPasswordValue", "DB_PASSWORD=***"),  # sfp: allow-secret
    ("SECRET_KEY=django-insecure-x9f2", "SECRET_KEY=***"),  # sfp: allow-secret
    # a name that describes the secret is refused, but a secret inside its value is still found
    ('TOKEN_URL = "https://x.example/cb?access_token=4f9a8b7c6d5e4f3a"',  # sfp: allow-secret
     'TOKEN_URL = "https://x.example/cb?access_token=***"'),
    # a URL is a secret's value when it carries one: a webhook's random path
    ('WEBHOOK_SECRET = "https://hooks.acme.io/services/T8Q2ZK4W1/B7RX3M9PL/q8ZrT1kx7Wm2Pd4LsV9nT3bY"',  # sfp: allow-secret
     "WEBHOOK_SECRET = ***"),
]


@pytest.mark.parametrize("text, expected", SECRETS)
def test_secret_values_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


NOT_SECRETS = [
    "token = $TOKEN", "api_key = os.environ['API_KEY']", "password: ${DB_PASSWORD}", "nothing to see",
    "the TOKEN env var is read at start", "SECRET=***", "passwords are hashed", "keyboard", "",
    # code, not literals: calls, indexes, attributes, variables, types
    'password = input("Password: ")', 'token = request.headers["X-Token"]', "password = getpass.getpass()",
    "secret = self.secret", "token = token", "password = None", "api_key: Optional[str] = None",
    "password: str", "const token = await getToken();", "token = line[start:pos]", "token = (NAME, 'x')",
    "'password': config.get(server, 'password'),", "user, passwd = _splitpasswd(userinfo)",
    "password = hunter",  # a bare word without digits reads as a variable: quote a literal
    '"scan-secrets": lambda: run(args)', "a `token = ...` in markdown", "`password: str`",
    # names that describe a secret rather than hold one
    'TOKEN_URL = "https://auth.example.com/oauth/token"', "token_type = 'header'", "max_tokens = 4096",
    'PASSWORD_FILE = "/run/secrets/db"', 'SECRET_NAME = "prod/db"', 'password_prompt = "Your password: "',
    'tokenizer = "bert-base-uncased"', "secretary = 'Jane Smith'", 'GITHUB_TOKEN_ENV = "GH_TOKEN"',
    'SECRET_ID = "abc123def456"',
    # placeholders and values that only name the secret
    "API_KEY=your_api_key_here", "password: changeme", 'token: "<token>"', 'TOKEN = "${GITHUB_TOKEN}"',
    "TOKEN=`cat token.txt`", "password: !vault |", '{"password": "password"}', "http://user:password@example.com/",
    "token = 'xxxxxxxx'", "password: null", '"ANTHROPIC_API_KEY": "sk-test",', "password = 'fake-password'",
    "print(f'token=ghp_{x}')", "TOKEN = 'Bearer {}'.format(t)", "secret: '{{ secrets.DB }}'", 'TOKEN = "paste the API token here"',
    # ordinary code that names a password
    "pw_gid = my_passwd->pw_uid", "my $password = prompt('Password: ');", "token = self._token", "public_key = 'AAAAB3Nza1yc2E'",
    "csrf_token = 'q8ZrT1kx7Wm2Pd4LsV9nT3bY'",
    # a plain URL in a secret-named setting; a path
    'token: "https://oauth2.example.com/token"', 'password: "/run/secrets/db_password"',
    # a PEM header alone is code that handles keys; a nested YAML key is not a value
    'if line == "-----BEGIN RSA PRIVATE KEY-----":\n    return parse(line)',
    "credentials:\n  username: admin\n  region: eu",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_references_code_and_prose_are_left_alone(text: str) -> None:
    assert redact(text) == text


STAND_INS = [
    # AWS's documented example keys, sequential and repeated bodies, default credentials
    "AKIAIOSFODNN7EXAMPLE", "aws_secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'", "ghp_" + "x" * 36,
    "glpat-" + "X" * 20, "sk_live_" + "A" * 24, "password = 123456", "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
    "postgres://postgres:postgres@localhost/db", "https://username:mypassword@example.org", "CLOUD_APIKEY: 'insert_key_here'",
    "api_key = '1234567890abcdef1234567890abcdef'", "curl -u admin:admin https://x",
]


@pytest.mark.parametrize("text", STAND_INS)
def test_stand_ins_are_not_reported_but_still_masked(text: str) -> None:
    # The scanner must not cry wolf; redaction loses nothing by masking a value that only looks fake.
    assert find_secrets(text) == []
    assert redact(text) != text


def test_find_secrets_names_the_kind() -> None:
    [match] = find_secrets("x = 'AKIA" + "Z7QXW3KD5MPLR2VN'")
    assert match.kind == "aws-access-key-id"


def test_find_secrets_gives_the_value_span_and_merges_overlaps() -> None:
    token = "ghp_" + "q8Zr1Kx7Wm2Pd4LsV9nT" + "3bY6cH5jF0gE8aUu"
    text = "API_KEY=" + token
    [match] = find_secrets(text)
    assert text[match.start:match.end] == token and match.kind == "github-token"


def test_two_secrets_on_one_line_are_both_masked() -> None:
    assert redact("user=x password=hunter22 token=abcd1234efgh") == "user=x password=*** token=***"  # sfp: allow-secret


@pytest.mark.parametrize("value, shown", [
    ("abcdefghijkl", "abcd***"), ('"abcdefghijkl"', "abcd***"), ("short", MASK), ("12345678", MASK),
])
def test_mask_value_never_shows_more_than_four_characters(value: str, shown: str) -> None:
    assert mask_value(value) == shown


@pytest.mark.parametrize("name, words", [
    ("self.apiKey", ["self", "api", "key"]), ("DB_PASSWORD", ["db", "password"]), ("APIKey", ["api", "key"]),
    ("x-api-key", ["x", "api", "key"]), ("token2", ["token", "2"]),
])
def test_name_words_split_snake_kebab_and_camel_case(name: str, words: list[str]) -> None:
    assert name_words(name) == words


def test_the_table_matches_ascii_only() -> None:
    # The gate searches bytes; a text pattern that matched a non-ASCII look-alike would be missed there.
    assert all(p.regex.flags & re.ASCII for p in patterns())
    assert redact("\u017fecret = 'abcd1234efgh'") == "\u017fecret = 'abcd1234efgh'"  # long s: not an s


def test_anchors_are_merged_into_one_pass_per_first_byte() -> None:
    found = anchors()
    keys = [(a.lowercase, a.first) for a in found]
    assert len(keys) == len(set(keys))
    # Each starts with its literal byte, which is what makes the pass fast.
    assert all(a.regex.pattern.startswith(re.escape(a.first)) for a in found)
    assert len(found) <= 10


@pytest.mark.parametrize(("text", "secret"), [
    ("mysql -u root -phunter2x db", "hunter2x"),
    ("mysqldump --single-transaction -pS3cr3t! shop > shop.sql", "S3cr3t!"),
    ("curl -u alice:wonderland9 https://api.example.com", "wonderland9"),
    ("curl --user=bob:Tr0ub4dor https://x", "Tr0ub4dor"),
    ("pg_dump --password hunter2x", "hunter2x"),
    ("./deploy --password=hunter2x --verbose", "hunter2x"),
    ("./cli --token 'abc def ghi'", "abc def ghi"),
    ("Authorization: Basic dXNlcjpw", "dXNlcjpw"),
    ('{"authorization": "bearer abc123xyz"}', "abc123xyz"),
])
def test_command_line_and_header_secrets_are_masked(text: str, secret: str) -> None:
    assert secret not in redact(text) and MASK in redact(text)


@pytest.mark.parametrize("text", [
    "git push -u origin main", "docker run -u 1000:1000 img", "ssh -p 2222 host", "mysql -u root -p shop",
    "x --password $DB_PASSWORD", "curl -u \"$USER:$PASS\" x", "--password-file secrets.txt",
])
def test_look_alikes_of_those_forms_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_key_block_after_another_secret_is_masked_whole() -> None:
    body = "MIIEowIBAAKCAQEA" + "q8Zr1Kx7" * 8
    text = f"private_key: -----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\nnext: line"
    shown = redact(text)
    assert body not in shown and "q8Zr1Kx7" not in shown and shown.endswith("next: line")


def test_every_row_has_an_example_found_as_its_own_kind_and_masked() -> None:
    samples = examples()
    assert set(samples) == {p.kind for p in patterns()}
    for kind, text in samples.items():
        found = find_secrets(text)
        assert [m.kind for m in found] == [kind], text
        value = text[found[0].start:found[0].end]
        assert value not in redact(text) and MASK in redact(text)


def test_keep_lines_masks_a_key_block_and_keeps_its_line_breaks() -> None:
    body = "\n".join("MIIEow" + "Q3EGRIXZ" * 7 for _ in range(3))
    block = "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----"
    text = f"one\n{block}\nlast"
    kept = redact(text, keep_lines=True)
    assert "Q3EGRIXZ" not in kept and kept.count("\n") == text.count("\n")
    assert kept.splitlines()[-1] == "last" and "Q3EGRIXZ" not in redact(text)


def test_the_pre_checks_literals_are_the_rows_own() -> None:
    from pathlib import Path

    from sfp.infra.secret_table import trigger_module_text

    written = (Path(__file__).resolve().parents[2] / "sfp" / "infra" / "secret_triggers.py").read_text(encoding="utf-8")
    assert written == trigger_module_text(), (
        "the rows changed: run `python -c 'from sfp.infra.secret_table import write_trigger_module; "
        "write_trigger_module()'`")


def test_a_clean_line_is_redacted_without_importing_the_table() -> None:
    import subprocess
    import sys

    probe = ("import sys; from sfp.infra.redact import redact; assert redact('handled: health healthy') == "
             "'handled: health healthy'; print(sorted(m for m in sys.modules if m.startswith('sfp.infra.secret')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['sfp.infra.secret_triggers']", loaded

"""Redaction: secret values masked, names and references kept."""

from __future__ import annotations

import pytest

from sfp.redact import find_secrets, redact

SECRETS = [
    ("API_KEY=abcd1234efgh", "API_KEY=***"),
    ('password: "hunter22"', "password: ***"),
    ("db_password='correct horse'", "db_password=***"),
    ("curl https://bob:s3cretpw@example.com/x", "curl https://bob:***@example.com/x"),
    ("token ghp_" + "A1b2" * 9, "token ***"),
    ("AKIAIOSFODNN7EXAMPLE in config", "*** in config"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz", "Authorization: Bearer ***"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "export AWS_SECRET_ACCESS_KEY=***"),
    ("key sk-ant-api03-" + "x1Y2" * 10, "key ***"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n-----END RSA PRIVATE KEY-----\nafter", "***\nafter"),
]


@pytest.mark.parametrize("text, expected", SECRETS)
def test_secret_values_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "token = $TOKEN", "api_key = os.environ['API_KEY']", "password: ${DB_PASSWORD}", "nothing to see",
    "the TOKEN env var is read at start", "SECRET=***", "passwords are hashed", "keyboard", "",
])
def test_references_and_prose_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_find_secrets_names_the_kind() -> None:
    [match] = find_secrets("x = 'AKIAIOSFODNN7EXAMPLE'")
    assert match.kind == "aws-access-key-id"

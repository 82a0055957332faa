"""Moments in UTC with a Z, whatever form sfp stored them in; one document a write."""

from __future__ import annotations

import io
import json
import time

from sfp.infra.jsondoc import json_line, utc_moment, write_json


def test_an_offset_is_turned_into_utc() -> None:
    assert utc_moment("2026-02-10T11:59:52+01:00") == "2026-02-10T10:59:52Z"


def test_a_z_stays_and_milliseconds_are_kept() -> None:
    assert utc_moment("2026-02-10T10:59:52Z") == "2026-02-10T10:59:52Z"
    assert utc_moment("2026-02-10T10:59:52.137Z") == "2026-02-10T10:59:52.137Z"


def test_a_unix_time_is_utc() -> None:
    assert utc_moment(1770721192.0) == "2026-02-10T10:59:52Z"


def test_a_naive_time_is_local_time() -> None:
    moment = 1770721192.0
    local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))
    assert utc_moment(local) == "2026-02-10T10:59:52Z"


def test_what_is_not_a_moment_is_none() -> None:
    assert [utc_moment(v) for v in (None, "", "yesterday", True)] == [None, None, None, None]


def test_write_json_is_one_indented_utf8_document_and_a_newline() -> None:
    out = io.StringIO()
    write_json(out, {"schema": "sfp.x/1", "name": "García"})
    assert out.getvalue().endswith("}\n") and "García" in out.getvalue() and "\n  " in out.getvalue()
    assert json.loads(out.getvalue()) == {"schema": "sfp.x/1", "name": "García"}
    assert "\n" not in json_line({"a": [1, 2]})

"""sfp.config.schema: a number's bounds (Scalar.within), never infinite or NaN, errors at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfp.config.layers import load_config, parse_layer
from sfp.config.schema import INT, NUMBER, Map, Positions, Scalar, validate
from sfp.errors import ConfigError

WHERE: Positions = {("value",): (3, 7)}  # where a test's `value` key sits in its pretend file


def check(value: object, spec: Scalar) -> None:
    """Validate `{"value": value}` as if read from x.yaml, the value at line 3, column 7."""
    validate({"value": value}, Map({"value": spec}), "x.yaml", WHERE)


def refused(value: object, spec: Scalar) -> str:
    with pytest.raises(ConfigError) as caught:
        check(value, spec)
    return str(caught.value)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- Scalar.within: low, high, above ---------------------------------------------------------------


def test_within_sets_the_bounds_on_a_copy() -> None:
    bounded = INT.within(1, 10)
    assert (bounded.types, bounded.low, bounded.high, bounded.above) == ((int,), 1, 10, None)
    assert (INT.low, INT.high, INT.above) == (None, None, None)  # the shared INT is untouched
    assert NUMBER.within(high=600, above=0) == Scalar((int, float), high=600, above=0)
    assert INT.within(1).within(high=5) == Scalar((int,), high=5)  # a new within states every bound again


def test_low_is_a_least_value_it_may_equal() -> None:
    check(1, INT.within(1))
    check(10**9, INT.within(1))
    assert refused(0, INT.within(1)) == "x.yaml:3:7: `value` is 0; it must be at least 1"
    assert refused(-3, INT.within(1, 10)) == "x.yaml:3:7: `value` is -3; it must be at least 1 and at most 10"


def test_high_is_a_greatest_value_it_may_equal() -> None:
    check(10, INT.within(1, 10))
    check(0.5, NUMBER.within(high=1))
    assert refused(11, INT.within(1, 10)) == "x.yaml:3:7: `value` is 11; it must be at most 10"
    assert refused(1.5, NUMBER.within(0, 1)) == "x.yaml:3:7: `value` is 1.5; it must be at most 1"


def test_above_is_a_value_it_must_exceed() -> None:
    spec = NUMBER.within(high=600, above=0)
    for fine in (0.001, 1, 600, 600.0):
        check(fine, spec)
    assert refused(0, spec) == "x.yaml:3:7: `value` is 0; it must be more than 0 and at most 600"
    assert refused(-1.5, spec) == "x.yaml:3:7: `value` is -1.5; it must be more than 0 and at most 600"
    assert refused(0, NUMBER.within(above=0)) == "x.yaml:3:7: `value` is 0; it must be more than 0"
    assert refused(600.5, spec) == "x.yaml:3:7: `value` is 600.5; it must be at most 600"


def test_a_number_without_bounds_takes_any_finite_value() -> None:
    for fine in (0, -(10**30), 1e300, -2.5):
        check(fine, NUMBER)


def test_true_is_not_a_number_within_bounds() -> None:
    assert refused(True, INT.within(0, 5)) == "x.yaml:3:7: `value` should be a whole number, not true or false"


# --- never infinite, never NaN ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_infinite_and_nan_are_out_even_without_bounds(value: float) -> None:
    assert refused(value, NUMBER).endswith("; it must be a finite number")
    assert refused(value, NUMBER.within(high=600, above=0)).endswith("; it must be a finite number")


@pytest.mark.parametrize(("text", "shown"), [
    (".inf", "inf"), ("-.inf", "-inf"), (".Inf", "inf"), (".nan", "nan"), (".NaN", "nan"),
    ("1.0e+400", "inf"),  # too big for a float: read as infinity, refused as one
])
def test_yaml_infinities_and_nan_are_refused_as_not_finite(text: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_layer(f"timeout: {text}\n", "auto_fix.yaml", "auto_fix")
    assert str(caught.value) == f"auto_fix.yaml:1:1: `timeout` is {shown}; it must be a finite number"


def test_a_nan_deep_in_a_gate_env_is_refused_at_its_line() -> None:
    text = "gates:\n  - name: g\n    command: 'true'\n    env:\n      RATE: .nan\n"
    with pytest.raises(ConfigError, match=r"^gates\.yaml:5:7: `gates\[0\]\.env\.RATE` is nan; it must be a finite number$"):
        parse_layer(text, "gates.yaml", "gates")


# --- the bounds in the files people edit -----------------------------------------------------------


@pytest.mark.parametrize("timeout", ["-1", "0", "-0.5", "601"])
def test_a_hook_timeout_out_of_bounds_in_fallback_yaml_names_file_line_and_column(
        claude_dir: Path, timeout: str) -> None:
    path = write(claude_dir / "sfp" / "fallback.yaml", f"policies:\n  pre_compact:\n    timeout: {timeout}\n")
    with pytest.raises(ConfigError) as caught:
        load_config("fallback", claude_dir)
    must = "at most 600" if timeout == "601" else "more than 0 and at most 600"
    assert str(caught.value) == f"{path}:3:5: `policies.pre_compact.timeout` is {timeout}; it must be {must}"
    assert (caught.value.filename, caught.value.line, caught.value.col) == (str(path), 3, 5)


@pytest.mark.parametrize(("budget", "must"), [
    ("1000000000000", "at most 600000"), ("600001", "at most 600000"), ("99", "at least 100 and at most 600000"),
])
def test_a_budget_ms_out_of_bounds_names_file_line_and_column(claude_dir: Path, budget: str, must: str) -> None:
    path = write(claude_dir / "sfp" / "fallback.yaml",
                 f"# my policies\npolicies:\n  stop:\n    on_failure: log_only\n    budget_ms: {budget}\n")
    with pytest.raises(ConfigError) as caught:
        load_config("fallback", claude_dir)
    assert str(caught.value) == f"{path}:5:5: `policies.stop.budget_ms` is {budget}; it must be {must}"


def test_values_on_the_bounds_load(claude_dir: Path) -> None:
    write(claude_dir / "sfp" / "fallback.yaml",
          "policies:\n  stop:\n    timeout: 600\n    budget_ms: 600000\n  pre_compact:\n    timeout: 0.5\n    budget_ms: 100\n")
    config = load_config("fallback", claude_dir)
    assert config.get("policies", "stop", "budget_ms") == 600_000
    assert config.get("policies", "pre_compact", "timeout") == 0.5

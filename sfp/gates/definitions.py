"""gates.yaml → the gates of a tier, and the run settings, as plain data for the runner."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from sfp.errors import UsageError
from sfp.gates.runner import GateSpec, RunSettings
from sfp.infra.record import Record

TIERS: Final = ("fast", "deep")
DEFAULT_TIMEOUT_MS: Final = 60_000


class Gate(Record):
    spec: GateSpec
    file_patterns: tuple[str, ...]  # empty: the gate runs whenever anything changed


def tier_gates(data: Mapping[str, Any], tier: str) -> list[Gate]:
    """The enabled gates of `tier`; the legacy flat `gates:` list belongs to `deep` (deduplicated by name).

    `data` is gates.yaml as loaded: the schema has checked every key, so nothing is checked again here.
    """
    tiers = data.get("tiers") or {}
    if tiers and tier not in tiers and tier not in TIERS:
        raise UsageError(f"no tier `{tier}` in gates.yaml; tiers: {', '.join(tiers)}")
    raw = list((tiers.get(tier) or {}).get("gates") or [])
    if tier == "deep":
        raw += data.get("gates") or []
    gates, seen = [], set()
    for item in raw:
        if item.get("enabled", True) and item["name"] not in seen:
            seen.add(item["name"])
            gates.append(gate_from(item))
    return gates


def gate_from(item: Mapping[str, Any]) -> Gate:
    spec = GateSpec(
        name=item["name"],
        command=item["command"],
        timeout_ms=item.get("timeout", DEFAULT_TIMEOUT_MS),
        required=item.get("required", False),
        critical=item.get("critical", False),
        env={key: _env_value(value) for key, value in (item.get("env") or {}).items()},
        cwd=Path(item["cwd"]) if item.get("cwd") else None,
        requires=tuple(item.get("requires", ())),
        fix=item.get("fix"),
        pass_filenames=item.get("pass_filenames", False),
        builtin=item.get("builtin"),
    )
    return Gate(spec, tuple(item.get("file_patterns", ())))


def run_settings(data: Mapping[str, Any]) -> RunSettings:
    settings = data.get("settings") or {}
    timeouts = {"timeout_ms": settings["timeout"]} if "timeout" in settings else {}
    return RunSettings(
        parallel=settings.get("parallel", True),
        max_workers=settings.get("max_workers") or os.cpu_count() or 1,
        fail_fast=settings.get("fail_fast", False),
        **timeouts,
        **{key: settings[key] for key in ("output_cap_bytes", "grace_ms") if key in settings},
    )


def hook_tier(data: Mapping[str, Any]) -> str:
    tier: str = (data.get("settings") or {}).get("hook_tier", "fast")
    return tier


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

"""gates.yaml → the gates of a tier, and the run settings, as plain data for the runner."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, NamedTuple

from sfp.errors import UsageError
from sfp.gates.runner import GateSpec, RunSettings

TIERS: Final = ("fast", "deep")
DEFAULT_TIMEOUT_MS: Final = 60_000


class Gate(NamedTuple):
    spec: GateSpec
    file_patterns: tuple[str, ...]  # empty: the gate runs whenever anything changed


def tier_gates(data: Mapping[str, Any], tier: str) -> list[Gate]:
    """The enabled gates of `tier`; the legacy flat `gates:` list belongs to `deep` (deduplicated by name)."""
    raw: list[Any] = []
    tiers = data.get("tiers")
    if isinstance(tiers, dict):
        if tier not in tiers and tier not in TIERS:
            raise UsageError(f"no tier `{tier}` in gates.yaml; tiers: {', '.join(tiers) or 'none'}")
        entry = tiers.get(tier)
        if isinstance(entry, dict) and isinstance(entry.get("gates"), list):
            raw += entry["gates"]
    if tier == "deep" and isinstance(data.get("gates"), list):
        raw += data["gates"]
    gates, seen = [], set()
    for item in raw:
        if not isinstance(item, dict) or item.get("enabled") is False or item.get("name") in seen:
            continue
        seen.add(item.get("name"))
        gates.append(gate_from(item))
    return gates


def gate_from(item: Mapping[str, Any]) -> Gate:
    env = item.get("env") or {}
    spec = GateSpec(
        name=str(item["name"]),
        command=str(item["command"]),
        timeout_ms=int(item.get("timeout", DEFAULT_TIMEOUT_MS)),
        required=bool(item.get("required", False)),
        critical=bool(item.get("critical", False)),
        env={str(k): _env_value(v) for k, v in env.items()},
        cwd=Path(item["cwd"]) if item.get("cwd") else None,
        requires=tuple(str(t) for t in item.get("requires") or ()),
        fix=item.get("fix"),
    )
    return Gate(spec, tuple(str(p) for p in item.get("file_patterns") or ()))


def run_settings(data: Mapping[str, Any]) -> RunSettings:
    settings = data.get("settings") or {}
    workers = settings.get("max_workers")
    return RunSettings(
        parallel=bool(settings.get("parallel", True)),
        max_workers=int(workers) if isinstance(workers, int) and workers > 0 else (os.cpu_count() or 1),
        fail_fast=bool(settings.get("fail_fast", False)),
        timeout_ms=int(settings["timeout"]) if isinstance(settings.get("timeout"), int) else None,
        **{k: int(settings[k]) for k in ("output_cap_bytes", "grace_ms") if isinstance(settings.get(k), int)},
    )


def hook_tier(data: Mapping[str, Any]) -> str:
    settings = data.get("settings") or {}
    tier = settings.get("hook_tier", "fast")
    return tier if isinstance(tier, str) else "fast"


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

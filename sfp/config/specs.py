"""What each config file may hold, with the bounds of every number. One place, so `sfp config show` and every
feature agree, and a feature never checks a value the schema has passed."""

from __future__ import annotations

from typing import Final

from sfp.config.schema import BOOL, INT, NUMBER, STR, Map, Scalar, Seq, Spec, choice

DAY_MS: Final = 24 * 3600 * 1000

POSITIVE_INT = INT.within(1)
MILLISECONDS = INT.within(1, DAY_MS)
OPTIONAL_STR = Scalar((str,), nullable=True)
RATE = NUMBER.within(0, 1)
MEGABYTES = NUMBER.within(0)

GATE = Map(
    {
        "name": STR, "description": STR, "command": STR, "required": BOOL, "critical": BOOL,
        "timeout": MILLISECONDS, "file_patterns": Seq(STR), "env": Map(values=Scalar((str, int, float, bool))),
        "cwd": STR, "fix": STR, "requires": Seq(STR), "enabled": BOOL, "pass_filenames": BOOL,
        # sfp runs this check in process on the gate's files instead of its `command`.
        "builtin": choice("secrets"),
    },
    required=("name", "command"),
)

GATES = Map(
    {
        "settings": Map({
            "parallel": BOOL, "max_workers": Scalar((int,), nullable=True, low=1, high=256), "fail_fast": BOOL,
            "timeout": MILLISECONDS, "hook_tier": STR, "output_cap_bytes": INT.within(256, 64 * 1024 * 1024),
            "grace_ms": INT.within(0, 60_000),
        }),
        "tiers": Map(values=Map({"description": STR, "gates": Seq(GATE)})),
        "gates": Seq(GATE),
    }
)

_RATES = Map({"failure_rate": RATE, "timeout_rate": RATE})
ALERTS = Map({"thresholds": Map({
    **{level: _RATES for level in ("critical", "high", "medium", "low", "info")},
    # A rate over fewer gates than this (that ran) raises no alert: one failing gate is not a rate.
    "min_gates": INT.within(1, 1000),
})})

EVIDENCE = Map(
    {
        "validation": Map({"timeout": MILLISECONDS, "fail_fast": BOOL, "parallel": BOOL}),
        "checks": Seq(Map({"name": STR, "description": STR, "critical": BOOL, "enabled": BOOL}, required=("name",))),
        "required_files": Seq(STR),
        "manifests": Map(values=Seq(STR)),
    }
)

ACTIONS = (
    "log_only", "continue", "continue_with_warning", "continue_with_summary",
    "log_and_warn", "retry_once", "critical",
)
POLICY = Map(
    {
        "description": STR, "on_failure": choice(*ACTIONS), "timeout_action": choice(*ACTIONS),
        "user_message": STR, "max_retries": INT.within(0, 5), "retry_delay_ms": INT.within(0, 60_000),
        # Claude Code's own limit is 10 minutes a hook.
        "timeout": NUMBER.within(high=600, above=0), "budget_ms": INT.within(100, 600_000),
    }
)
FALLBACK = Map({"policies": Map(values=POLICY)})

AUTO_FIX = Map(
    {
        "enabled": BOOL, "timeout": NUMBER.within(high=600, above=0),
        "formatters": Map(values=Map(
            {"enabled": BOOL, "extensions": Seq(STR), "command": STR, "description": STR, "requires": Seq(STR)},
        )),
        "exclude_dirs": Seq(STR), "exclude_patterns": Seq(STR),
        "options": Map({"verbose": BOOL, "backup": BOOL}),
    }
)

# YAML reads a bare `off` as false: both mean off.
ON_STARTUP = Scalar((str, bool), choices=("off", "pointer", "full", False))

_MB = Map({"degraded_mb": MEGABYTES, "unhealthy_mb": MEGABYTES})
SFP = Map(
    {
        "health": Map({
            "claude_process_rss": _MB,
            "available_memory": _MB,
            "disk_free": _MB,
        }),
        # The client turns 10,000 characters or more into a short preview.
        "handoff": Map({"budget_chars": INT.within(200, 9000), "on_startup": ON_STARTUP,
                        "recent_days": NUMBER.within(high=3650, above=0)}),
        "backup": Map({"keep": POSITIVE_INT, "keep_handoffs": POSITIVE_INT, "extra_paths": Seq(STR),
                       "encrypt_command": OPTIONAL_STR, "decrypt_command": OPTIONAL_STR}),
        # `sfp prune`: sfp's own leftovers beyond these counts go (builds a hook runs never do).
        "prune": Map({"keep_settings_backups": INT.within(1, 1000), "keep_builds": INT.within(1, 100)}),
        "secrets": Map({"exclude": Seq(STR), "max_file_bytes": POSITIVE_INT, "guard": Scalar((str, bool), choices=("deny", "warn", "off", False))}),
        # Folders whose projects' .sfp/ config is trusted without `sfp trust` (your own sfp.yaml only).
        "trust": Map({"paths": Seq(STR)}),
        "tags": Map({
            "enabled": BOOL, "files": Seq(STR), "project_claude_md": BOOL, "max_value_chars": INT.within(10, 10_000),
            "budget_chars": INT.within(200, 9000), "max_file_bytes": POSITIVE_INT, "evidence": BOOL,
            "state_keep_days": INT.within(1, 3650),
        }),
    }
)

SPECS: Final[dict[str, Spec]] = {
    "sfp": SFP, "gates": GATES, "alerts": ALERTS, "evidence": EVIDENCE, "fallback": FALLBACK, "auto_fix": AUTO_FIX,
}

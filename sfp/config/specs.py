"""What each config file may hold. One place, so `sfp config show` and every feature agree."""

from __future__ import annotations

from typing import Final

from sfp.config.schema import ANY, BOOL, INT, NUMBER, STR, Map, Scalar, Seq, Spec, choice

OPTIONAL_INT = Scalar((int,), nullable=True)
OPTIONAL_STR = Scalar((str,), nullable=True)

GATE = Map(
    {
        "name": STR, "description": STR, "command": STR, "required": BOOL, "critical": BOOL,
        "timeout": INT, "file_patterns": Seq(STR), "env": Map(values=Scalar((str, int, float, bool))),
        "cwd": STR, "fix": STR, "requires": Seq(STR), "enabled": BOOL,
    },
    required=("name", "command"),
)

GATES = Map(
    {
        "settings": Map({
            "parallel": BOOL, "max_workers": OPTIONAL_INT, "fail_fast": BOOL, "timeout": INT,
            "hook_tier": STR, "output_cap_bytes": INT, "grace_ms": INT,
        }),
        "tiers": Map(values=Map({"description": STR, "gates": Seq(GATE)})),
        "gates": Seq(GATE),
    }
)

_RATES = Map({"failure_rate": NUMBER, "timeout_rate": NUMBER})
ALERTS = Map({"thresholds": Map({level: _RATES for level in ("critical", "high", "medium", "low", "info")})})

EVIDENCE = Map(
    {
        "validation": Map({"timeout": INT, "fail_fast": BOOL, "parallel": BOOL}),
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
        "user_message": STR, "max_retries": INT, "retry_delay_ms": INT,
        "timeout": NUMBER, "budget_ms": INT,
    }
)
FALLBACK = Map({"policies": Map(values=POLICY)})

AUTO_FIX = Map(
    {
        "enabled": BOOL, "timeout": NUMBER,
        "formatters": Map(values=Map(
            {"enabled": BOOL, "extensions": Seq(STR), "command": STR, "description": STR, "requires": Seq(STR)},
        )),
        "exclude_dirs": Seq(STR), "exclude_patterns": Seq(STR),
        "options": Map({"verbose": BOOL, "backup": BOOL}),
    }
)

# YAML reads a bare `off` as false: both mean off.
ON_STARTUP = Scalar((str, bool), choices=("off", "pointer", "full", False))

_MB = Map({"degraded_mb": NUMBER, "unhealthy_mb": NUMBER})
SFP = Map(
    {
        "health": Map({
            "claude_process_rss": _MB,
            "available_memory": _MB,
            "disk_free": _MB,
        }),
        "handoff": Map({"budget_chars": INT, "on_startup": ON_STARTUP, "recent_days": NUMBER}),
        "backup": Map({"keep": INT, "keep_handoffs": INT, "extra_paths": Seq(STR),
                       "encrypt_command": OPTIONAL_STR, "decrypt_command": OPTIONAL_STR}),
        "secrets": Map({"exclude": Seq(STR), "max_file_bytes": INT}),
        "tags": Map({
            "enabled": BOOL, "files": Seq(STR), "project_claude_md": BOOL, "max_value_chars": INT,
            "budget_chars": INT, "max_file_bytes": INT, "evidence": BOOL, "state_keep_days": INT,
        }),
    }
)

SPECS: Final[dict[str, Spec]] = {
    "sfp": SFP, "gates": GATES, "alerts": ALERTS, "evidence": EVIDENCE, "fallback": FALLBACK, "auto_fix": AUTO_FIX,
}

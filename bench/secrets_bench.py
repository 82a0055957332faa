#!/usr/bin/env python3
"""Time `sfp scan-secrets` against `grep -rEnI` with the same patterns over one generated tree of >= 100 MB.

Usage: python bench/secrets_bench.py [--mb 100] [--rounds 3] [--pyz dist/sfp.pyz] [--keep]

The tree: copies of this Python's standard library sources (real code, with real
`token = ...` and `password = ...` lines), a few files with planted fake secrets of
every kind, binary files, and a node_modules and a .git folder that both tools skip.
grep gets one ERE per row of sfp's table, written by hand below (ERE has no
lazy repeats, per-row case folding or post-filters, so it reports more; the
regex work it does is the same or more). Rounds are interleaved; the ratio is
best sfp time over best grep time. Goal: <= 2x.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sfp.infra.redact import patterns  # noqa: E402
from sfp.gates.secret_scan import SKIP_DIRS, ScanSettings, scan  # noqa: E402

GOAL = 2.0


def any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_WORDS = "|".join(any_case(w) for w in ("API[_-]?KEY", "SECRET", "PASSWORD", "PASSWD", "TOKEN", "PRIVATE[_-]?KEY",
                                          "ACCESS[_-]?KEY", "CREDENTIALS?"))
# One POSIX ERE (with GNU's \b) per row of sfp/redact.py's table, by hand.
ERE = [
    ("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"),
    ("aws-access-key-id", r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai-key", r"\bsk-(proj-|svcacct-)?[A-Za-z0-9_-]{32,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("stripe-key", r"\b(sk|rk)_(live|test)_[0-9a-zA-Z]{16,}"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ("url-credentials", r"\b[a-z][a-z0-9+.-]*://[^[:space:]:/@'\"]+:[^[:space:]@/'\"]+@"),
    ("bearer-token", r"\b(Bearer|Basic)[[:blank:]]+[A-Za-z0-9._~+/=-]{16,}"),
    ("secret-assignment", (rf"\b[A-Za-z0-9_.-]*({_WORDS})[A-Za-z0-9_.-]*\b[\"']?]?[[:blank:]]*(:=|=|:)[[:blank:]]*"
                           r"([bBrRuU]{1,2})?(\"[^\"]{4,}\"|'[^']{4,}'|[^][:space:]\"'`,;)}]{4,})")),
]


def planted_secrets() -> list[str]:
    """One line per kind, assembled so this file holds none of them whole."""
    body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
    return [
        "KEY = '''-----BEGIN RSA PRIVATE" + " KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----'''",
        "aws = 'AKIA" + "Z7QXW3KD5MPLR2VN'", "gh = 'ghp_" + "a1B2" * 9 + "'", "gl = 'glpat-" + "x1Y2z3" * 4 + "'",
        "slack = 'xoxb-" + "123456789012-abcdef'", "claude = 'sk-ant-" + "api03-" + "q1W2" * 6 + "'",
        "oai = 'sk-" + "proj-" + "Z9y8" * 9 + "'", "g = 'AIza" + "Sy" + "D4e5F6g7" * 4 + "h8i'",
        "stripe = 'sk_" + "live_" + "4eC39HqLyjWDarjt'", "npm = 'npm_" + "a1B2c3" * 6 + "'",
        "jwt = 'eyJ" + "hbGciOiJIUzI1.eyJ" + "zdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4'",
        "dsn = 'postgres://app:" + "Qw3rty9z@db:5432/app'", "auth = 'Bearer " + "abcdefghij0123456789'",
        "DB_PASS" + "WORD = 'Tr0ub4dor&3x'",
    ]


def make_tree(folder: Path, megabytes: float) -> tuple[int, int, int]:
    """(text bytes, text files, planted secrets) of a tree written into `folder`."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = [p for p in sorted(stdlib.rglob("*.py")) if "site-packages" not in p.parts]
    if sum(p.stat().st_size for p in sources[:2000]) < 5_000_000:
        raise SystemExit(f"bench: too few Python sources under {stdlib} to build a realistic tree")
    target, total, files, copy = megabytes * 1_000_000, 0, 0, 0
    while total < target:
        for source in sources:
            dest = folder / "src" / f"copy{copy}" / source.relative_to(stdlib)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            total += dest.stat().st_size
            files += 1
            if total >= target:
                break
        copy += 1
    secrets = planted_secrets()
    for i in range(20):
        text = "import os\n\n" + "\n".join(f"{line}\n# filler {j}" for j, line in enumerate(secrets)) + "\n"
        path = folder / "config" / f"settings_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        total += len(text)
        files += 1
    rng = random.Random(7)
    for i in range(20):  # binary: both tools skip these after a look at their start
        (folder / "assets").mkdir(exist_ok=True)
        (folder / "assets" / f"blob_{i}.bin").write_bytes(b"\0" + rng.randbytes(200_000))
    for skipped in ("node_modules/pkg/lib", ".git/objects"):  # neither tool should read these
        (folder / skipped).mkdir(parents=True)
        for j, source in enumerate(sources[:300]):
            shutil.copyfile(source, folder / skipped / f"f{j}.py")
    return total, files, 20 * len(secrets)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(command, capture_output=True, env=env, stdin=subprocess.DEVNULL)
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command[:4])} ... exited {done.returncode}: {done.stderr.decode()[:300]}")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=float, default=100, help="text in the tree, in MB (default 100)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pyz", type=Path, help="also time this built sfp.pyz")
    parser.add_argument("--keep", action="store_true", help="keep the generated tree and say where")
    args = parser.parse_args(argv)
    if {p.kind for p in patterns()} != {kind for kind, _ in ERE}:
        raise SystemExit("bench: the ERE list no longer matches sfp/redact.py's table; update ERE")
    if shutil.which("grep") is None:
        raise SystemExit("bench: needs grep")

    work = Path(tempfile.mkdtemp(prefix="sfp-secrets-bench-"))
    try:
        tree = work / "tree"
        text_bytes, text_files, planted = make_tree(tree, args.mb)
        claude = work / "claude"
        claude.mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAUDE_CONFIG_DIR": str(claude), "LC_ALL": "C"}
        grep = ["grep", "-rEnI", *(f"--exclude-dir={d}" for d in sorted(SKIP_DIRS)),
                *(arg for _, ere in ERE for arg in ("-e", ere)), str(tree)]
        commands: dict[str, Callable[[], object]] = {
            "grep -rEnI (LC_ALL=C)": lambda: run(grep, env),
            "scan() in-process, auto jobs": lambda: scan([str(tree)]),
            "scan() in-process, 1 job": lambda: scan([str(tree)], ScanSettings(jobs=1)),
            "python -m sfp scan-secrets": lambda: run([sys.executable, "-m", "sfp", "scan-secrets", str(tree)], env),
        }
        if args.pyz:
            pyz = str(args.pyz.resolve())
            commands["python sfp.pyz scan-secrets"] = lambda: run([sys.executable, pyz, "scan-secrets", str(tree)], env)
        for action in commands.values():  # warm the page cache and the imports
            action()
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, action in commands.items():
                times[name].append(timed(action))

        report = scan([str(tree)])
        grep_lines = run(grep, env).stdout.count(b"\n")
        print(f"tree: {text_bytes / 1e6:.1f} MB of text in {text_files:,} files, 20 binary files, "
              f"node_modules and .git skipped; {os.cpu_count()} CPUs")
        caught = sum(1 for f in report.findings if f"{os.sep}config{os.sep}settings_" in f.path)
        print(f"found: sfp {len(report.findings)}, of them {caught} of the {planted} planted; grep {grep_lines} lines "
              "(grep has no placeholder or code filters)\n")
        floor = min(times["grep -rEnI (LC_ALL=C)"])
        print(f"{'command':32} {'best s':>8} {'median s':>9} {'MB/s':>7} {'x grep':>7}")
        for name, walls in times.items():
            best = min(walls)
            print(f"{name:32} {best:8.3f} {statistics.median(walls):9.3f} {text_bytes / 1e6 / best:7.0f} "
                  f"{best / floor:7.2f}")
        worst = max(min(times[name]) for name in commands if not name.startswith("grep") and "1 job" not in name)
        verdict = "ok" if worst / floor <= GOAL else "MISSED"
        print(f"\nsfp / grep: {worst / floor:.2f}x (goal <= {GOAL:g}x): {verdict}")
        if args.keep:
            print(f"tree kept in {tree}")
        return 0 if verdict == "ok" else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

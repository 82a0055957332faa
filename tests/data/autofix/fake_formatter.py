"""A stand-in formatter for sfp's auto-fix tests: `fake_formatter.py MODE [ARGS…] FILE`.

The file is always the last argument, as sfp appends it to the configured
command. Modes:
  upper     rewrite FILE in upper case after a `# formatted` line (idempotent)
  noop      leave FILE as it is
  fail      print an error holding a fake secret, exit 1
  hang      start a grandchild, write both pids to FILE.pids, sleep for a minute
  stubborn  like hang, but both ignore SIGTERM (only SIGKILL stops them)
If $FAKE_FORMATTER_LOG is set, one JSON line with argv, cwd and npm_config_yes is appended to it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MARK = "# formatted\n"
SLEEPER = "import signal, time\nif {stubborn}: signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"


def main(argv: list[str]) -> int:
    mode, target = argv[1], Path(argv[-1])
    log = os.environ.get("FAKE_FORMATTER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            record = {"argv": argv, "cwd": os.getcwd(), "npm_config_yes": os.environ.get("npm_config_yes")}
            handle.write(json.dumps(record) + "\n")
    if mode == "upper":
        text = target.read_text(encoding="utf-8")
        if not text.startswith(MARK):
            target.write_text(MARK + text.upper(), encoding="utf-8")
        return 0
    if mode == "noop":
        return 0
    if mode == "fail":
        print(f"\nerror: cannot parse {target.name}: token=ghp_{'a' * 36}", file=sys.stderr)
        return 1
    if mode in ("hang", "stubborn"):
        stubborn = mode == "stubborn"
        if stubborn:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", SLEEPER.format(stubborn=stubborn)])
        Path(f"{target}.pids").write_text(f"{os.getpid()} {child.pid}\n", encoding="utf-8")
        time.sleep(60)
        return 0
    print(f"fake_formatter: unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

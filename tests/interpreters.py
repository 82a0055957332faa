"""Run the unit suite under every CPython >= 3.11 on this machine (`make test` does, after the main run).

    python tests/interpreters.py [--main PYTHON] [--jobs N] [--list]

Interpreters: /usr/bin/python3*, /usr/local/bin/python3*, pyenv's versions, python3.11 .. python3.14
on PATH; each is asked for its real executable and version, so links, pyenv shims and the same
version found twice run once, and the main run's interpreter (`--main`) is not run again. Each
gets a venv under .cache/interpreters/, made once per version and requirements-dev.txt, holding
the test requirements (pytest, hypothesis, PyYAML, shiv). Where `python -m venv` can't install pip (a
Debian python3 without python3-venv), the venv is made without pip and the main venv's pip
installs into it; failing that, the venv reads the main venv's packages (they are pure Python
enough for the tests). One line per interpreter; exit 1 when any run failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "interpreters"
REQUIREMENTS = ROOT / "requirements-dev.txt"
TEST_PACKAGES = ("pytest", "hypothesis", "pyyaml", "shiv")  # what the unit suite needs (shiv: tests build sfp.pyz); not mypy
MINIMUM = (3, 11)
# The real-client and real-browser tests run once, under the main interpreter: what they judge is the
# client and the browser, not the Python.
PYTEST = ["-m", "pytest", "-q", "--ignore=tests/e2e", "--ignore=tests/report/test_browser.py", "-p", "no:cacheprovider"]
_ASK = "import json, sys; print(json.dumps([sys.executable, list(sys.version_info[:3]), sys.implementation.name]))"


class Interpreter(NamedTuple):
    path: str  # as found
    executable: str  # its real path
    version: tuple[int, int, int]

    @property
    def shown(self) -> str:
        return ".".join(map(str, self.version))


def candidates() -> list[str]:
    found: list[str] = []
    for folder in ("/usr/bin", "/usr/local/bin"):
        found += sorted(glob.glob(f"{folder}/python3"), key=len) + sorted(glob.glob(f"{folder}/python3.[0-9]*"))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found += sorted(glob.glob(str(pyenv / "versions" / "*" / "bin" / "python3")))
    for minor in range(11, 15):
        on_path = shutil.which(f"python3.{minor}")
        if on_path:
            found.append(on_path)
    # python3.11-config, python3.12-gdb.py and the like are not interpreters.
    return [path for path in found if Path(path).name.replace("python3", "", 1).replace(".", "").isdigit()
            or Path(path).name == "python3"]


def ask(path: str) -> Interpreter | None:
    """The interpreter at `path`, or None when it doesn't run, isn't CPython or is older than 3.11."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        done = subprocess.run([path, "-I", "-c", _ASK], capture_output=True, text=True, timeout=20, env=env)
        executable, version, implementation = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or implementation != "cpython" or tuple(version[:2]) < MINIMUM:
        return None
    return Interpreter(path, os.path.realpath(executable), (version[0], version[1], version[2]))


def interpreters(main: str | None) -> tuple[list[Interpreter], Interpreter | None]:
    """The interpreters to run, one per version, and the main run's (left out)."""
    main_found = ask(main) if main else None
    asked: set[str] = set()
    by_version: dict[tuple[int, int, int], Interpreter] = {}
    for path in candidates():
        real = os.path.realpath(path)  # a pyenv shim is its own real path: it is asked where it leads
        if real in asked:
            continue
        asked.add(real)
        interpreter = ask(path)
        if interpreter is not None and (main_found is None or interpreter.version != main_found.version):
            by_version.setdefault(interpreter.version, interpreter)
    return sorted(by_version.values(), key=lambda i: i.version), main_found


def test_requirements() -> list[str]:
    lines = [line.split("#")[0].strip() for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and line.split("=")[0].split("[")[0].strip().lower() in TEST_PACKAGES]


def venv_dir(interpreter: Interpreter) -> Path:
    key = hashlib.sha256("\n".join(test_requirements()).encode()).hexdigest()[:12]
    return CACHE / f"py{interpreter.shown}-{key}"


def ensure_venv(interpreter: Interpreter, main: str | None, log: Path) -> Path:
    """The venv's python, made (once) with the test requirements; raises RuntimeError saying why not."""
    folder = venv_dir(interpreter)
    python = folder / "bin" / "python"
    stamp = folder / ".sfp-ready"
    if stamp.exists() and python.exists():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    requirements = test_requirements()
    pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements]
    with log.open("a", encoding="utf-8") as out:
        def run(*args: str) -> bool:
            out.write(f"$ {' '.join(args)}\n")
            out.flush()
            return subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).returncode == 0

        how = "pip"
        if not (run(interpreter.executable, "-m", "venv", str(folder)) and run(str(python), *pip)):
            shutil.rmtree(folder, ignore_errors=True)
            if not run(interpreter.executable, "-m", "venv", "--without-pip", str(folder)):
                raise RuntimeError(f"`{interpreter.executable} -m venv` does not work (see {log})")
            how = "main pip"
            if not (main and run(main, "-m", "pip", "--python", str(python), "install", "--quiet",
                                 "--disable-pip-version-check", *requirements)):
                how = "main site-packages"
                link_main_packages(python, main, log)
        out.write(f"venv made ({how})\n")
    stamp.write_text(f"{how}\n", encoding="utf-8")
    return python


def link_main_packages(python: Path, main: str | None, log: Path) -> None:
    """Last resort: a .pth in the venv that adds the main venv's site-packages."""
    if not main:
        raise RuntimeError(f"no pip for the venv and no main venv to borrow packages from (see {log})")
    ask_paths = "import json, site; print(json.dumps(site.getsitepackages()))"
    theirs = json.loads(subprocess.run([main, "-c", ask_paths], capture_output=True, text=True, check=True).stdout)
    ours = json.loads(subprocess.run([str(python), "-c", ask_paths], capture_output=True, text=True, check=True).stdout)
    Path(ours[0], "sfp-main-venv.pth").write_text("".join(f"{path}\n" for path in theirs), encoding="utf-8")


class Result(NamedTuple):
    interpreter: Interpreter
    passed: bool
    seconds: float
    log: Path
    note: str


def run_suite(interpreter: Interpreter, main: str | None) -> Result:
    CACHE.mkdir(parents=True, exist_ok=True)
    log = CACHE / f"py{interpreter.shown}.log"
    log.write_text("", encoding="utf-8")
    start = time.monotonic()
    try:
        python = ensure_venv(interpreter, main, log)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        return Result(interpreter, False, time.monotonic() - start, log, f"no test venv: {exc}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {python} {' '.join(PYTEST)}\n")
        out.flush()
        done = subprocess.run([str(python), *PYTEST], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    return Result(interpreter, done.returncode == 0, time.monotonic() - start, log, "")


def summary_of(log: Path) -> str:
    """The failures' short summary at the end of a pytest log."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    failed = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    return "\n".join(f"      {line}" for line in (failed or lines[-15:])[:40])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--main", metavar="PYTHON", help="the main run's python (its version is not run again)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("SFP_INTERPRETER_JOBS", "1")),
                        help="interpreters run at once (default 1, or $SFP_INTERPRETER_JOBS)")
    parser.add_argument("--list", action="store_true", help="only list the interpreters found")
    args = parser.parse_args(argv)
    found, main_found = interpreters(args.main)
    if main_found:
        print(f"  {main_found.shown:8} {main_found.executable}: the main run", flush=True)
    if args.list or not found:
        for interpreter in found:
            print(f"  {interpreter.shown:8} {interpreter.executable} (found as {interpreter.path})")
        if not found:
            print("  no other CPython >= 3.11 found")
        return 0
    start = time.monotonic()
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_suite, interpreter, args.main) for interpreter in found]
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            status = "passed" if result.passed else "FAILED"
            detail = f": {result.note}" if result.note else ("" if result.passed else f" (log: {result.log.relative_to(ROOT)})")
            print(f"  {result.interpreter.shown:8} {result.interpreter.executable}: {status} in {result.seconds:.0f} s{detail}",
                  flush=True)
            if not result.passed:
                failed += 1
                print(summary_of(result.log), flush=True)
    print(f"  {len(found)} other interpreter(s) in {time.monotonic() - start:.0f} s: "
          f"{'all passed' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build dist/sfp.pyz: the sfp package and its default configs in one executable file.

    python3 build.py            # with shiv (the shipped file)
    python3 build.py --lean     # with the standard library's zipapp, no shiv bootstrap

Both are reproducible: the same sources give a byte-identical file. Every
staged file gets a fixed time stamp and mode, and the package carries a
manifest of sha256 sums that `sfp health` checks the running copy against.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipapp
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "sfp"
DEFAULT_CONFIGS = ROOT / "config"
INTERPRETER = "/usr/bin/env python3"
ENTRY_POINT = "sfp.cli:main"
# 1980-01-02 UTC: the zip format can't say anything earlier, and a fixed time
# keeps the archive byte-identical between builds.
EPOCH = 315619200
MANIFEST = "_manifest.json"


def compile_default(name: str, text: str) -> str:
    """The default config pre-parsed by sfp's own parser, so hooks skip the YAML work."""
    sys.path.insert(0, str(ROOT))
    try:
        from sfp.config.layers import compile_default as compile_with_sfp
        from sfp.errors import ConfigError
    finally:
        sys.path.pop(0)
    try:
        return compile_with_sfp(name, text)
    except ConfigError as exc:
        raise SystemExit(f"build.py: config/{name}.yaml: {exc}") from None


def stage(target: Path) -> Path:
    """Copy what ships (sfp/*.py, config/*.yaml as sfp/_defaults/) into `target`."""
    package = target / "sfp"
    for source in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in source.parts:
            continue
        _copy(source, package / source.relative_to(PACKAGE))
    for source in sorted(DEFAULT_CONFIGS.glob("*.yaml")):
        _copy(source, package / "_defaults" / source.name)
        compiled = compile_default(source.stem, source.read_text(encoding="utf-8"))
        (package / "_defaults" / f"{source.stem}.json").write_text(compiled + "\n", encoding="utf-8")
    _write_manifest(package)
    _normalise(target)
    return target


def _copy(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)


def _write_manifest(package: Path) -> None:
    sums = {
        path.relative_to(package).as_posix(): [hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size]
        for path in sorted(package.rglob("*"))
        if path.is_file()
    }
    (package / MANIFEST).write_text(json.dumps(sums, indent=0, sort_keys=True) + "\n", encoding="utf-8")


def _normalise(tree: Path) -> None:
    for path in sorted(tree.rglob("*"), reverse=True):
        path.chmod(0o755 if path.is_dir() else 0o644)
        os.utime(path, (EPOCH, EPOCH))


def build_shiv(staged: Path, output: Path) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(EPOCH))
    shiv = [sys.executable, "-m", "shiv"]
    if subprocess.run([*shiv, "--version"], capture_output=True, env=env).returncode != 0:
        raise SystemExit("build.py: shiv is not installed for this Python; run `make` (it sets up .venv) or use --lean")
    command = [
        *shiv, "--site-packages", str(staged), "--entry-point", ENTRY_POINT,
        "--python", INTERPRETER, "--output-file", str(output), "--reproducible",
        # Compile once at first extraction: hooks then import bytecode, even where
        # PYTHONDONTWRITEBYTECODE is set and nothing would ever be cached.
        "--compile-pyc",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"build.py: shiv failed:\n{result.stdout}{result.stderr}")


def build_lean(staged: Path, output: Path) -> None:
    compile_for_zip(staged / "sfp")
    # Our own __main__.py, normalised like every other file: the one zipapp writes for `main=`
    # carries the current time, so two builds two seconds apart differed.
    module, function = ENTRY_POINT.split(":")
    (staged / "__main__.py").write_text(f"import {module}\nraise SystemExit({module}.{function}())\n", encoding="utf-8")
    _normalise(staged)
    # zipapp takes each file's local mtime: pin the time zone so the stamp is the same everywhere.
    os.environ["TZ"] = "UTC"
    time.tzset()
    zipapp.create_archive(staged, output, interpreter=INTERPRETER, compressed=True)


def compile_for_zip(package: Path) -> None:
    """`module.pyc` beside each `module.py`: zipimport can't cache bytecode, so without these every
    start of the lean build compiles every module it imports. Unchecked-hash pycs are the same bytes
    on every build; another Python version sees the wrong magic number and reads the source instead."""
    import py_compile

    for source in sorted(package.rglob("*.py")):
        py_compile.compile(
            str(source), cfile=str(source.with_suffix(".pyc")), dfile=source.relative_to(package.parent).as_posix(),
            doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lean", action="store_true", help="build with the stdlib zipapp instead of shiv")
    parser.add_argument("-o", "--output", type=Path, help="output file (default dist/sfp.pyz, or dist/sfp-lean.pyz)")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 11):
        raise SystemExit("build.py: sfp needs Python 3.11 or newer")
    output = args.output or ROOT / "dist" / ("sfp-lean.pyz" if args.lean else "sfp.pyz")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sfp-build-") as tmp:
        staged = stage(Path(tmp) / "stage")
        partial = output.with_name(f".{output.name}.partial")
        (build_lean if args.lean else build_shiv)(staged if args.lean else staged, partial)
        partial.chmod(0o755)
        os.replace(partial, output)
    print(f"built {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output} "
          f"({output.stat().st_size:,} bytes, sha256 {hashlib.sha256(output.read_bytes()).hexdigest()[:12]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

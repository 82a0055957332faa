"""Memory, disk and parent processes, read without psutil.

Linux (the SessionStart hook's hot path) reads a few small /proc files and starts
no process. macOS has no /proc: there the hook gets total and available memory
from libSystem through ctypes (`sysctlbyname`, `host_statistics64`: what `sysctl`
and `vm_stat` print) and no process information, while `sfp health`, which may
start processes, gets memory and Claude Code's process from `sysctl`, `vm_stat`
and one `ps` (the `*_via_commands` functions). Disk space is `os.statvfs` on both.

Which ancestor is Claude Code (`looks_like_claude`), nearest to the hook first:
  * its name (comm, or ps's command) or the basename of argv[0] is `claude` or
    `claude.exe` - the native binary, which npm installs as `bin/claude.exe` and
    runs through a `claude` symlink (observed: comm `claude`, argv[0]
    `.../.bin/claude`), and a Node build that set its process title;
  * or it is a JavaScript runtime (node, bun, deno) whose arguments name the
    `claude` launcher or a path inside the `@anthropic-ai/claude-code` package
    (`node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js`).
A bare `cli.js` is not enough: many Node tools ship one. When no ancestor
matches, the hook's direct parent is reported instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sfp.errors import StorageError
from sfp.infra.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing only: keeps the hook's import light
    import ctypes
    from collections.abc import Callable, Iterable, Iterator, Sequence

    # A runner takes argv and returns stdout, or None when the command failed.
    Runner = Callable[[Sequence[str]], str | None]

_KIB = 1024
_CLAUDE_NAMES = frozenset({"claude", "claude.exe"})
_JS_RUNTIMES = frozenset({"node", "nodejs", "bun", "deno"})
_CLAUDE_PACKAGE = "@anthropic-ai/claude-code"
# One `ps` for the whole table, so the chain is walked without more processes.
PS_TABLE_COMMAND = ("ps", "-A", "-ww", "-o", "pid=,ppid=,rss=,args=")
COMMAND_TIMEOUT_SECONDS = 5.0


class ProcessInfo(Record):
    """One process: who its parent is, what it runs, how much memory it holds."""

    pid: int
    ppid: int
    name: str
    cmdline: tuple[str, ...]
    rss_bytes: int | None  # None for kernel threads and zombies


class ProcStatus(Record):
    """The fields sfp uses from /proc/<pid>/status."""

    name: str
    ppid: int
    rss_bytes: int | None


class MemoryInfo(Record):
    """The machine's memory: all of it, and what processes can still get without swapping."""

    total_bytes: int
    available_bytes: int


class DiskInfo(Record):
    """Size and free space of the file system holding `path`."""

    path: str  # the folder actually measured: the nearest existing ancestor
    total_bytes: int
    free_bytes: int  # free for an unprivileged user (f_bavail)


class VmStat(Record):
    """The page counts of `vm_stat` that make up "available"."""

    page_size_bytes: int
    free_pages: int  # vm_stat already subtracts the speculative pages
    inactive_pages: int
    speculative_pages: int

    @property
    def available_bytes(self) -> int:
        # The conventional macOS figure (psutil's too): free, speculative and
        # inactive pages can all be handed to a process without swapping
        # first. Purgeable pages are not added: they already sit in the
        # active/inactive counts.
        pages = self.free_pages + self.speculative_pages + self.inactive_pages
        return pages * self.page_size_bytes


# --- Linux: /proc -------------------------------------------------------------


def parse_proc_status(text: str) -> ProcStatus:
    """Name, PPid and VmRSS (kB) of a /proc/<pid>/status; ValueError if it has no PPid."""
    name = ""
    ppid: int | None = None
    rss_bytes: int | None = None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.removeprefix("\t")
        elif key == "PPid":
            ppid = int(value)
        elif key == "VmRSS":
            rss_bytes = _kib_value(value)
    if ppid is None:
        raise ValueError("no PPid line in /proc status")
    return ProcStatus(name=name, ppid=ppid, rss_bytes=rss_bytes)


def parse_cmdline(data: bytes) -> tuple[str, ...]:
    """argv from /proc/<pid>/cmdline: NUL-separated, NUL-terminated, maybe padded with NULs."""
    data = data.rstrip(b"\0")
    if not data:
        return ()
    return tuple(os.fsdecode(arg) for arg in data.split(b"\0"))


def parse_meminfo(text: str) -> MemoryInfo:
    """Total and available memory from /proc/meminfo; ValueError without MemTotal.

    Kernels before 3.14 have no MemAvailable: then free + buffers + page cache +
    reclaimable slab, the estimate `free` used before the kernel did it itself.
    """
    fields: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if value.rstrip().endswith("kB"):
            fields[key] = _kib_value(value)
    if "MemTotal" not in fields:
        raise ValueError("no MemTotal line in /proc/meminfo")
    total = fields["MemTotal"]
    available = fields.get("MemAvailable")
    if available is None:
        parts = ("MemFree", "Buffers", "Cached", "SReclaimable")
        available = min(total, sum(fields.get(part, 0) for part in parts))
    return MemoryInfo(total_bytes=total, available_bytes=available)


def read_process(pid: int, proc_root: Path = Path("/proc")) -> ProcessInfo | None:
    """One process from /proc; None when it has vanished or can't be read."""
    folder = f"{proc_root}/{pid}"
    try:
        status = parse_proc_status(_read_small_file(folder + "/status").decode(errors="replace"))
    except (OSError, ValueError):
        return None
    try:
        cmdline = parse_cmdline(_read_small_file(folder + "/cmdline"))
    except OSError:  # gone between the two reads: what status said still holds
        cmdline = ()
    return ProcessInfo(pid, status.ppid, status.name, cmdline, status.rss_bytes)


def iter_ancestry(
    pid: int, lookup: Callable[[int], ProcessInfo | None], max_depth: int = 32
) -> Iterator[ProcessInfo]:
    """`pid`, its parent, ... up to the root, stopping at a vanished process or a loop."""
    seen: set[int] = set()
    for _ in range(max_depth):
        if pid <= 0 or pid in seen:
            return
        seen.add(pid)
        process = lookup(pid)
        if process is None:
            return
        yield process
        pid = process.ppid


def parent_chain(pid: int, proc_root: Path = Path("/proc"), max_depth: int = 32) -> list[ProcessInfo]:
    """`pid`, its parent, ... up to pid 1, read from /proc."""
    return list(iter_ancestry(pid, lambda p: read_process(p, proc_root), max_depth))


# --- Which process is Claude Code --------------------------------------------


def looks_like_claude(process: ProcessInfo) -> bool:
    """The rule in the module docstring."""
    argv0 = _basename(process.cmdline[0]) if process.cmdline else ""
    names = {_basename(process.name).lower(), argv0.lower()}
    if names & _CLAUDE_NAMES:
        return True
    if not names & _JS_RUNTIMES:
        return False
    return any(_names_claude(arg) for arg in process.cmdline[1:])


def _names_claude(arg: str) -> bool:
    return _basename(arg).lower() in _CLAUDE_NAMES or _CLAUDE_PACKAGE in arg.replace("\\", "/")


def find_claude_process(chain: Iterable[ProcessInfo]) -> ProcessInfo | None:
    """The first process of `chain` (nearest to the hook) that looks like Claude Code."""
    return next((process for process in chain if looks_like_claude(process)), None)


def claude_or_parent(chain: Iterable[ProcessInfo]) -> ProcessInfo | None:
    """Claude Code if it is in `chain`, else the chain's first process (the direct parent)."""
    first: ProcessInfo | None = None
    for process in chain:  # lazily: stop reading /proc as soon as Claude is found
        if first is None:
            first = process
        if looks_like_claude(process):
            return process
    return first


def claude_process(
    start_pid: int | None = None,
    proc_root: Path = Path("/proc"),
    platform: str = sys.platform,
) -> ProcessInfo | None:
    """Claude Code's process, looked for from the hook's parent up; None off Linux.

    No subprocess: on macOS use `claude_process_via_commands` where that is allowed.
    """
    if not platform.startswith("linux"):
        return None
    pid = os.getppid() if start_pid is None else start_pid
    return claude_or_parent(iter_ancestry(pid, lambda p: read_process(p, proc_root)))


# --- Memory and disk ----------------------------------------------------------


def memory_info(proc_root: Path = Path("/proc"), platform: str = sys.platform) -> MemoryInfo | None:
    """Total and available memory without starting a process; None where unknown."""
    if platform.startswith("linux"):
        try:
            return parse_meminfo(_read_small_file(f"{proc_root}/meminfo").decode())
        except (OSError, ValueError):
            return None
    if platform == "darwin":
        return darwin_memory_via_libsystem()
    return None


def disk_info(path: Path) -> DiskInfo:
    """Space of the file system holding `path`, or its nearest existing ancestor.

    The folder sfp will write to may not exist yet; its parent's file system is the
    one the write will land on.
    """
    target = Path(os.path.abspath(path))
    while True:
        try:
            total, free = _file_system_space(target)
        except (FileNotFoundError, NotADirectoryError):
            if target.parent == target:
                raise StorageError(f"can't measure free space: no part of {path} exists") from None
            target = target.parent
        except OSError as error:
            raise StorageError(f"can't measure free space of {target}: {error.strerror}") from None
        except ValueError:  # a NUL inside the path
            raise StorageError(f"can't measure free space of {str(path)!r}: not a valid path") from None
        else:
            return DiskInfo(path=str(target), total_bytes=total, free_bytes=free)


def _file_system_space(folder: Path) -> tuple[int, int]:
    """Total bytes, and bytes free for an unprivileged user, of `folder`'s file system."""
    if hasattr(os, "statvfs"):
        stats = os.statvfs(folder)
        return stats.f_blocks * stats.f_frsize, stats.f_bavail * stats.f_frsize
    import shutil  # Windows has no statvfs

    usage = shutil.disk_usage(folder)
    return usage.total, usage.free


# --- macOS: parsers of command output -----------------------------------------


def parse_sysctl_memsize(text: str) -> int:
    """Bytes from `sysctl -n hw.memsize` (`17179869184`) or `sysctl hw.memsize` (`hw.memsize: ...`)."""
    value = text.strip().rpartition(":")[2].strip()
    if not value.isdigit():
        raise ValueError(f"not a memory size: {text.strip()!r}")
    return int(value)


def parse_vm_stat(text: str) -> VmStat:
    """The page size and the page counts sfp uses from `vm_stat`; ValueError if missing."""
    import re

    header = re.search(r"page size of (\d+) bytes", text)
    if header is None:
        raise ValueError("no page size in vm_stat's header")
    counts: dict[str, int] = {}
    for line in text.splitlines():
        match = re.fullmatch(r"(.+?):\s+(\d+)\.?\s*", line)
        if match:
            counts[match.group(1).strip('"')] = int(match.group(2))
    missing = [key for key in ("Pages free", "Pages inactive") if key not in counts]
    if missing:
        raise ValueError(f"vm_stat has no {', '.join(missing)}")
    return VmStat(
        page_size_bytes=int(header.group(1)),
        free_pages=counts["Pages free"],
        inactive_pages=counts["Pages inactive"],
        speculative_pages=counts.get("Pages speculative", 0),  # absent before OS X 10.6
    )


def parse_ps_rss(text: str) -> int:
    """Bytes from `ps -o rss= -p PID` (KiB); ValueError when empty (no such process)."""
    value = text.strip()
    if not value.isdigit():
        raise ValueError(f"not a resident size: {value!r}")
    return int(value) * _KIB


def parse_ps_table(text: str) -> dict[int, ProcessInfo]:
    """Every process of `ps -A -ww -o pid=,ppid=,rss=,args=`, by pid.

    `args` comes as one string: it is split on blanks, so an argument holding a
    space is cut in two - harmless for `looks_like_claude`, which looks at
    basenames and the package name.
    """
    table: dict[int, ProcessInfo] = {}
    for line in text.splitlines():
        fields = line.split(None, 3)
        if len(fields) < 3 or not all(field.isdigit() for field in fields[:3]):
            continue
        cmdline = tuple(fields[3].split()) if len(fields) == 4 else ()
        pid, ppid, rss_kib = (int(field) for field in fields[:3])
        name = _basename(cmdline[0]) if cmdline else ""
        table[pid] = ProcessInfo(pid, ppid, name, cmdline, rss_kib * _KIB)
    return table


# --- macOS: commands (for `sfp health`, never the hook) ----------------------


def run_command(argv: Sequence[str]) -> str | None:
    """stdout of `argv`, or None if it could not run, failed or took too long."""
    import subprocess

    try:
        completed = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout


def memory_info_via_commands(run: Runner = run_command) -> MemoryInfo | None:
    """Total and available memory from `sysctl -n hw.memsize` and `vm_stat` (macOS)."""
    memsize = run(["sysctl", "-n", "hw.memsize"])
    vm_stat = run(["vm_stat"])
    if memsize is None or vm_stat is None:
        return None
    try:
        total = parse_sysctl_memsize(memsize)
        available = parse_vm_stat(vm_stat).available_bytes
    except ValueError:
        return None
    return MemoryInfo(total_bytes=total, available_bytes=min(available, total))


def claude_process_via_commands(
    start_pid: int | None = None, run: Runner = run_command, max_depth: int = 32
) -> ProcessInfo | None:
    """Like `claude_process`, from one `ps` table: for macOS, or any system without /proc."""
    output = run(PS_TABLE_COMMAND)
    if output is None:
        return None
    table = parse_ps_table(output)
    pid = os.getppid() if start_pid is None else start_pid
    return claude_or_parent(iter_ancestry(pid, table.get, max_depth))


# --- macOS: libSystem through ctypes (for the hook) ---------------------------

_LIBSYSTEM = "/usr/lib/libSystem.B.dylib"
_HOST_VM_INFO64 = 4
# vm_statistics64 (mach/vm_statistics.h, rev1) viewed as 38 uint32 words:
# free_count is word 0 and already includes the speculative pages,
# inactive_count is word 2.
_VM_STATISTICS64_WORDS = 38
_FREE_WORD = 0
_INACTIVE_WORD = 2


def darwin_memory_via_libsystem() -> MemoryInfo | None:
    """What `sysctl hw.memsize` and `vm_stat` say, asked of libSystem directly; None on failure.

    Available = free (with speculative) + inactive pages, as `VmStat.available_bytes`.
    """
    import ctypes

    try:
        libsystem = ctypes.CDLL(_LIBSYSTEM)
    except OSError:
        return None
    total = _sysctl_uint64(libsystem, b"hw.memsize")
    host = ctypes.c_uint32(libsystem.mach_host_self())
    page_size = ctypes.c_size_t(0)
    words = (ctypes.c_uint32 * _VM_STATISTICS64_WORDS)()
    count = ctypes.c_uint32(_VM_STATISTICS64_WORDS)
    if total is None or libsystem.host_page_size(host, ctypes.byref(page_size)) != 0:
        return None
    if libsystem.host_statistics64(host, _HOST_VM_INFO64, words, ctypes.byref(count)) != 0:
        return None
    available = (int(words[_FREE_WORD]) + int(words[_INACTIVE_WORD])) * page_size.value
    return MemoryInfo(total_bytes=total, available_bytes=min(available, total))


def _sysctl_uint64(libsystem: ctypes.CDLL, name: bytes) -> int | None:
    import ctypes

    value = ctypes.c_uint64(0)
    size = ctypes.c_size_t(ctypes.sizeof(value))
    if libsystem.sysctlbyname(name, ctypes.byref(value), ctypes.byref(size), None, ctypes.c_size_t(0)) != 0:
        return None
    return value.value


# --- helpers ------------------------------------------------------------------


def _read_small_file(path: str) -> bytes:
    """The whole file, with bare os calls: about half the cost of Path.read_bytes on /proc."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _kib_value(value: str) -> int:
    """`  181052 kB` -> bytes."""
    return int(value.split()[0]) * _KIB


def _basename(path: str) -> str:
    return path.replace("\\", "/").rpartition("/")[2]

"""sfp.health.sysinfo on a recorded /proc tree, recorded macOS command output and the live machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from sfp.health import sysinfo
from sfp.errors import StorageError
from sfp.health.sysinfo import MemoryInfo, ProcessInfo

DATA = Path(__file__).resolve().parents[1] / "data"
PROC = DATA / "proc"
MACOS = DATA / "macos"
KIB = 1024
on_linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the live /proc")


def macos_sample(name: str) -> str:
    return (MACOS / name).read_text()


def pids(chain: Sequence[ProcessInfo]) -> list[int]:
    return [process.pid for process in chain]


def process(name: str, *argv: str) -> ProcessInfo:
    return ProcessInfo(pid=10, ppid=1, name=name, cmdline=argv, rss_bytes=None)


# --- /proc parsers ------------------------------------------------------------


def test_parse_proc_status_reads_name_ppid_and_rss_in_bytes() -> None:
    status = sysinfo.parse_proc_status((PROC / "4100" / "status").read_text())
    assert status == sysinfo.ProcStatus(name="claude", ppid=1, rss_bytes=181052 * KIB)


def test_parse_proc_status_of_a_kernel_thread_has_no_rss() -> None:
    status = sysinfo.parse_proc_status((PROC / "2" / "status").read_text())
    assert status == sysinfo.ProcStatus(name="kthreadd", ppid=0, rss_bytes=None)


def test_parse_proc_status_keeps_spaces_inside_the_name() -> None:
    status = sysinfo.parse_proc_status("Name:\tWeb Content\nPPid:\t7\n")
    assert status.name == "Web Content"


def test_parse_proc_status_without_ppid_is_an_error() -> None:
    with pytest.raises(ValueError, match="PPid"):
        sysinfo.parse_proc_status("Name:\tclaude\nVmRSS:\t  10 kB\n")


@pytest.mark.parametrize(
    ("data", "argv"),
    [
        (b"/bin/sh\0-c\0python3 hook.py\0", ("/bin/sh", "-c", "python3 hook.py")),
        (b"claude\0\0\0\0", ("claude",)),  # a process title padded with NULs
        (b"a\0\0b\0", ("a", "", "b")),  # an empty argument in the middle stays
        (b"", ()),  # kernel threads and zombies
    ],
)
def test_parse_cmdline(data: bytes, argv: tuple[str, ...]) -> None:
    assert sysinfo.parse_cmdline(data) == argv


def test_parse_meminfo_uses_mem_available() -> None:
    info = sysinfo.parse_meminfo((PROC / "meminfo").read_text())
    assert info == MemoryInfo(total_bytes=24683656 * KIB, available_bytes=24343912 * KIB)


def test_parse_meminfo_estimates_available_on_kernels_without_it() -> None:
    info = sysinfo.parse_meminfo((PROC / "linux-2.6.32" / "meminfo").read_text())
    free_buffers_cached_sreclaimable = 512340 + 300120 + 4123456 + 400000
    assert info == MemoryInfo(8060900 * KIB, free_buffers_cached_sreclaimable * KIB)


def test_parse_meminfo_estimate_never_exceeds_total() -> None:
    text = "MemTotal: 100 kB\nMemFree: 80 kB\nCached: 50 kB\n"
    assert sysinfo.parse_meminfo(text) == MemoryInfo(100 * KIB, 100 * KIB)


def test_parse_meminfo_without_total_is_an_error() -> None:
    with pytest.raises(ValueError, match="MemTotal"):
        sysinfo.parse_meminfo("MemFree: 80 kB\n")


# --- reading the recorded tree -------------------------------------------------


def test_read_process_of_the_recorded_claude() -> None:
    assert sysinfo.read_process(4100, PROC) == ProcessInfo(
        pid=4100, ppid=1, name="claude", cmdline=("claude", "--resume"), rss_bytes=181052 * KIB
    )


def test_read_process_of_a_kernel_thread() -> None:
    assert sysinfo.read_process(2, PROC) == ProcessInfo(2, 0, "kthreadd", (), None)


def test_read_process_that_does_not_exist_is_none() -> None:
    assert sysinfo.read_process(6100, PROC) is None


def test_read_process_with_an_unreadable_status_is_none(tmp_path: Path) -> None:
    (tmp_path / "5").mkdir()
    (tmp_path / "5" / "status").write_text("Name:\tbroken\n")
    assert sysinfo.read_process(5, tmp_path) is None


def test_read_process_whose_cmdline_went_away_keeps_its_status(tmp_path: Path) -> None:
    (tmp_path / "5").mkdir()
    (tmp_path / "5" / "status").write_text("Name:\tsh\nPPid:\t4\nVmRSS:\t 8 kB\n")
    assert sysinfo.read_process(5, tmp_path) == ProcessInfo(5, 4, "sh", (), 8 * KIB)


def test_parent_chain_walks_up_to_pid_1() -> None:
    chain = sysinfo.parent_chain(4242, PROC)
    assert pids(chain) == [4242, 4200, 4100, 1]
    assert [p.name for p in chain] == ["python3", "sh", "claude", "systemd"]


def test_parent_chain_stops_where_a_parent_vanished() -> None:
    assert pids(sysinfo.parent_chain(6242, PROC)) == [6242, 6200]


def test_parent_chain_stops_at_a_loop() -> None:
    assert pids(sysinfo.parent_chain(7242, PROC)) == [7242, 7200, 7100]


def test_parent_chain_respects_max_depth() -> None:
    assert pids(sysinfo.parent_chain(4242, PROC, max_depth=2)) == [4242, 4200]


def test_parent_chain_of_a_missing_process_is_empty() -> None:
    assert sysinfo.parent_chain(99999, PROC) == []


# --- which process is Claude Code ----------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    [
        process("claude", "/tmp/cc/node_modules/.bin/claude", "-p", "hi"),  # observed, native
        process("claude.exe", "/x/node_modules/@anthropic-ai/claude-code/bin/claude.exe"),
        process("2.1.197", "claude"),  # comm from another path, argv[0] says claude
        process("/Users/dev/.local/bin/claude"),  # macOS ps: comm is a full path
        process("node", "node", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"),
        process("node", "node", "/usr/local/bin/claude", "--resume"),  # npm's shim via its shebang
        process("node", "node", "--max-old-space-size=8192", "/opt/homebrew/bin/claude"),
        process("bun", "bun", "/home/dev/.bun/install/global/node_modules/@anthropic-ai/claude-code/cli.js"),
        process("node.exe", "node", r"C:\Users\dev\AppData\Roaming\npm\node_modules\@anthropic-ai\claude-code\cli.js"),
    ],
)
def test_looks_like_claude(candidate: ProcessInfo) -> None:
    assert sysinfo.looks_like_claude(candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        process("node", "node", "/srv/app/cli.js"),  # a bare cli.js is any Node tool
        process("sh", "/bin/sh", "-c", "claude --resume"),  # mentions claude, is a shell
        process("python3", "python3", "/home/dev/bin/claude"),  # not a JavaScript runtime
        process("claude-monitor", "claude-monitor"),
        process("claudette", "claudette"),
        process("bash", "bash", "/home/dev/claude-code-notes/run.sh"),
        process("", ),
    ],
)
def test_does_not_look_like_claude(candidate: ProcessInfo) -> None:
    assert not sysinfo.looks_like_claude(candidate)


def test_find_claude_process_takes_the_nearest_to_the_hook() -> None:
    # Observed with npm's Node fallback launcher: node cli-wrapper.cjs spawns the binary.
    sh = process("sh", "/bin/sh", "-c", "python3 hook.py")
    binary = process("claude", "/x/node_modules/@anthropic-ai/claude-code-linux-x64/claude")
    wrapper = process("node", "node", "/x/node_modules/@anthropic-ai/claude-code/cli-wrapper.cjs")
    assert sysinfo.find_claude_process([sh, binary, wrapper]) is binary
    assert sysinfo.find_claude_process([sh]) is None


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (4200, 4100),  # native binary
        (4242, 4100),  # starting from the hook itself finds the same
        (5200, 5100),  # node + cli.js
        (6200, 6200),  # vanished parent: fall back to the direct parent
        (7200, 7200),  # loop, no claude: direct parent
        (8200, 8200),  # run by hand: direct parent
    ],
)
def test_claude_process_in_the_recorded_tree(start: int, expected: int) -> None:
    found = sysinfo.claude_process(start, PROC, platform="linux")
    assert found is not None and found.pid == expected


def test_claude_process_reports_the_recorded_rss() -> None:
    found = sysinfo.claude_process(4200, PROC, platform="linux")
    assert found is not None and found.rss_bytes == 181052 * KIB


def test_claude_process_of_a_missing_start_is_none() -> None:
    assert sysinfo.claude_process(99999, PROC, platform="linux") is None


def test_claude_process_starts_no_command_off_linux() -> None:
    assert sysinfo.claude_process(4200, PROC, platform="darwin") is None


def test_claude_process_stops_reading_once_claude_is_found(tmp_path: Path) -> None:
    # Above the claude process the tree is broken on purpose: reading it would
    # show. The hook must not pay for walking all the way to pid 1.
    shutil.copytree(PROC / "4200", tmp_path / "4200")
    shutil.copytree(PROC / "4100", tmp_path / "4100")
    (tmp_path / "4100" / "status").write_text(
        (PROC / "4100" / "status").read_text().replace("PPid:\t1\n", "PPid:\t3000\n")
    )
    seen: list[int] = []

    def lookup(pid: int) -> ProcessInfo | None:
        seen.append(pid)
        return sysinfo.read_process(pid, tmp_path)

    found = sysinfo.claude_or_parent(sysinfo.iter_ancestry(4200, lookup))
    assert found is not None and found.pid == 4100
    assert seen == [4200, 4100]


# --- memory and disk -----------------------------------------------------------


def test_memory_info_reads_meminfo_under_proc_root() -> None:
    assert sysinfo.memory_info(PROC, platform="linux") == MemoryInfo(24683656 * KIB, 24343912 * KIB)
    old = sysinfo.memory_info(PROC / "linux-2.6.32", platform="linux")
    assert old is not None and old.total_bytes == 8060900 * KIB


def test_memory_info_without_meminfo_is_none(tmp_path: Path) -> None:
    assert sysinfo.memory_info(tmp_path, platform="linux") is None


def test_memory_info_elsewhere_is_none() -> None:
    assert sysinfo.memory_info(PROC, platform="win32") is None


def test_disk_info_of_an_existing_folder(tmp_path: Path) -> None:
    info = sysinfo.disk_info(tmp_path)
    stats = os.statvfs(tmp_path)
    assert info.path == str(tmp_path)
    assert info.total_bytes == stats.f_blocks * stats.f_frsize
    assert 0 < info.free_bytes <= info.total_bytes
    # f_bavail, not f_bfree: what an unprivileged user may still write
    assert abs(info.free_bytes - stats.f_bavail * stats.f_frsize) < 256 * 2**20


def test_disk_info_measures_the_nearest_existing_ancestor(tmp_path: Path) -> None:
    assert sysinfo.disk_info(tmp_path / "not" / "yet").path == str(tmp_path)
    (tmp_path / "file").write_text("x")
    assert sysinfo.disk_info(tmp_path / "file" / "below").path == str(tmp_path / "file")


def test_disk_info_of_a_relative_path_names_an_absolute_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert sysinfo.disk_info(Path("missing")).path == str(tmp_path)


def test_disk_info_errors_are_storage_errors() -> None:
    with pytest.raises(StorageError, match="not a valid path"):
        sysinfo.disk_info(Path("bad\0name"))
    with pytest.raises(StorageError, match="File name too long"):
        sysinfo.disk_info(Path("/" + "x" * 5000))


# --- macOS parsers and commands -------------------------------------------------


@pytest.mark.parametrize("name", ["sysctl-n-hw.memsize.txt", "sysctl-hw.memsize.txt"])
def test_parse_sysctl_memsize(name: str) -> None:
    assert sysinfo.parse_sysctl_memsize(macos_sample(name)) == 16 * 2**30


@pytest.mark.parametrize("text", ["", "hw.memsize: unknown oid", "sysctl: unknown oid 'hw.memsize'"])
def test_parse_sysctl_memsize_rejects_non_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        sysinfo.parse_sysctl_memsize(text)


def test_parse_vm_stat_arm64() -> None:
    vm = sysinfo.parse_vm_stat(macos_sample("vm_stat-arm64.txt"))
    assert vm == sysinfo.VmStat(16384, free_pages=23040, inactive_pages=398765, speculative_pages=11234)
    assert vm.available_bytes == (23040 + 11234 + 398765) * 16384


def test_parse_vm_stat_x86_64_uses_its_own_page_size() -> None:
    vm = sysinfo.parse_vm_stat(macos_sample("vm_stat-x86_64.txt"))
    assert vm.available_bytes == (81920 + 20480 + 765432) * 4096


def test_parse_vm_stat_without_header_is_an_error() -> None:
    body = macos_sample("vm_stat-arm64.txt").split("\n", 1)[1]
    with pytest.raises(ValueError, match="page size"):
        sysinfo.parse_vm_stat(body)


def test_parse_vm_stat_without_inactive_pages_is_an_error() -> None:
    text = "Mach Virtual Memory Statistics: (page size of 4096 bytes)\nPages free:   12.\n"
    with pytest.raises(ValueError, match="Pages inactive"):
        sysinfo.parse_vm_stat(text)


def test_parse_ps_rss() -> None:
    assert sysinfo.parse_ps_rss(macos_sample("ps-o-rss.txt")) == 412672 * KIB
    with pytest.raises(ValueError):
        sysinfo.parse_ps_rss("")  # ps prints nothing for a process that is gone


def test_parse_ps_table() -> None:
    table = sysinfo.parse_ps_table(macos_sample("ps-A-ww-o-pid-ppid-rss-args.txt"))
    assert table[80110] == ProcessInfo(80110, 79001, "claude", ("claude", "--resume"), 412672 * KIB)
    assert table[1].name == "launchd"
    assert table[900].cmdline == ("(bash)",)
    assert len(table) == 16


def test_parse_ps_table_skips_headers_and_blank_lines() -> None:
    table = sysinfo.parse_ps_table("  PID  PPID    RSS ARGS\n\n   12     1   100 /bin/zsh -l\n")
    assert list(table) == [12]


class FakeRunner:
    """Answers commands from recorded output; records what was asked."""

    def __init__(self, answers: dict[tuple[str, ...], str | None]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str]) -> str | None:
        self.asked.append(tuple(argv))
        return self.answers.get(tuple(argv))


def ps_runner() -> FakeRunner:
    return FakeRunner({sysinfo.PS_TABLE_COMMAND: macos_sample("ps-A-ww-o-pid-ppid-rss-args.txt")})


@pytest.mark.parametrize(("start", "expected"), [(81230, 80110), (82010, 82000), (83010, 83010)])
def test_claude_process_via_commands(start: int, expected: int) -> None:
    run = ps_runner()
    found = sysinfo.claude_process_via_commands(start, run=run)
    assert found is not None and found.pid == expected
    assert run.asked == [sysinfo.PS_TABLE_COMMAND]  # one ps for the whole chain


def test_claude_process_via_commands_without_ps_is_none() -> None:
    assert sysinfo.claude_process_via_commands(81230, run=FakeRunner({})) is None


def test_memory_info_via_commands() -> None:
    run = FakeRunner(
        {
            ("sysctl", "-n", "hw.memsize"): macos_sample("sysctl-n-hw.memsize.txt"),
            ("vm_stat",): macos_sample("vm_stat-arm64.txt"),
        }
    )
    assert sysinfo.memory_info_via_commands(run) == MemoryInfo(16 * 2**30, 433039 * 16384)


@pytest.mark.parametrize(
    "answers",
    [
        {("sysctl", "-n", "hw.memsize"): "17179869184\n"},  # vm_stat failed
        {("sysctl", "-n", "hw.memsize"): "17179869184\n", ("vm_stat",): "garbage\n"},
        {("sysctl", "-n", "hw.memsize"): "", ("vm_stat",): "Mach (page size of 4096 bytes)\n"},
    ],
)
def test_memory_info_via_commands_failures_are_none(answers: dict[tuple[str, ...], str | None]) -> None:
    assert sysinfo.memory_info_via_commands(FakeRunner(answers)) is None


def test_run_command_returns_none_for_a_missing_or_failing_command() -> None:
    assert sysinfo.run_command(["/nonexistent/sfp-test-command"]) is None
    assert sysinfo.run_command([sys.executable, "-c", "raise SystemExit(3)"]) is None
    assert sysinfo.run_command([sys.executable, "-c", "print('ok')"]) == "ok\n"


@pytest.mark.skipif(sys.platform == "darwin", reason="libSystem exists there")
def test_libsystem_path_fails_softly_where_there_is_no_libsystem() -> None:
    assert sysinfo.darwin_memory_via_libsystem() is None
    assert sysinfo.memory_info(PROC, platform="darwin") is None


# --- the live machine ----------------------------------------------------------


@on_linux
def test_live_read_process_of_ourselves() -> None:
    me = sysinfo.read_process(os.getpid())
    assert me is not None
    assert (me.pid, me.ppid) == (os.getpid(), os.getppid())
    assert me.rss_bytes is not None and me.rss_bytes > 0
    assert me.cmdline and "python" in Path(me.cmdline[0]).name


@on_linux
def test_live_parent_chain_reaches_the_root() -> None:
    chain = sysinfo.parent_chain(os.getpid())
    assert chain[0].pid == os.getpid() and chain[-1].ppid == 0


@on_linux
def test_live_memory_info() -> None:
    info = sysinfo.memory_info()
    assert info is not None and 0 < info.available_bytes <= info.total_bytes


@on_linux
def test_live_claude_process_is_an_ancestor() -> None:
    found = sysinfo.claude_process()
    assert found is not None
    assert found.pid in pids(sysinfo.parent_chain(os.getppid()))


@on_linux
@pytest.mark.skipif(shutil.which("ps") is None, reason="needs ps")
def test_live_ps_and_proc_agree() -> None:
    by_proc = sysinfo.claude_process(os.getpid())
    by_ps = sysinfo.claude_process_via_commands(os.getpid())
    assert by_proc is not None and by_ps is not None
    assert (by_ps.pid, by_ps.ppid) == (by_proc.pid, by_proc.ppid)


@pytest.mark.skipif(sys.platform != "darwin", reason="macOS only")
def test_live_macos_memory() -> None:  # pragma: no cover - no Mac in CI yet
    via_libsystem = sysinfo.memory_info()
    via_commands = sysinfo.memory_info_via_commands()
    assert via_libsystem is not None and via_commands is not None
    assert via_libsystem.total_bytes == via_commands.total_bytes
    assert 0 < via_libsystem.available_bytes <= via_libsystem.total_bytes


def test_import_starts_no_subprocess_machinery() -> None:
    code = (
        "import sys, pathlib; import sfp.health.sysinfo as s\n"
        "s.claude_process(); s.memory_info(); s.disk_info(pathlib.Path.home())\n"
        "print(sorted(m for m in ('subprocess', 'ctypes', 're') if m in sys.modules))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    assert "subprocess" not in loaded and "ctypes" not in loaded

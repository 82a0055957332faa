"""Time sfp.claude.transcript.read_transcript on synthetic long-session transcripts (50 MB and 100 MB).

Usage: python bench/transcript_bench.py [--keep DIR]

The transcripts look like a long Claude Code 2.1 session: most bytes are tool
results (Read results of large files, which carry the file twice; Bash output;
Edit results with the original file), plus assistant text and thinking, Write
calls with whole files, tasks, prompts, and noise records. Each measurement runs
in a fresh interpreter so that its max RSS is its own; the speed is the best of
three reads of a file that was just written (so it is in the page cache).
"""

from __future__ import annotations

import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES_MB = (50, 100)
SESSION = "0b5e55ed-0000-4000-8000-000000000000"
WORDS = (
    "parser",
    "config",
    "the",
    "handoff",
    "gate",
    "ändern",
    "résumé",
    "test",
    "fix",
    "value",
    "returns",
    "none",
    "when",
    "“quoted”",
    "path",
    "error",
    "line",
    "→",
    "data",
    "日本",
)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        return measure_in_child(Path(argv[1]), argv[2] == "shortcut")
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    with tempfile.TemporaryDirectory(prefix="sfp-bench-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for size_mb in SIZES_MB:
            path = folder / f"session-{size_mb}mb.jsonl"
            write_session(path, size_mb * 1_000_000, random.Random(size_mb))
            for mode in ("shortcut", "full-parse"):
                rows.append((size_mb, mode, run_child(path, mode)))
    print_table(rows)
    return 0


# --- measuring -------------------------------------------------------------------------------


def run_child(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), mode], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def measure_in_child(path: Path, skip_cheaply: bool) -> int:
    sys.path.insert(0, str(ROOT))
    from sfp.claude.transcript import summarize_transcript

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        summary = summarize_transcript(path, True, 8 * 1024 * 1024, skip_cheaply=skip_cheaply)
        best = min(best, time.perf_counter() - started)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    summarize_transcript(path, True, 8 * 1024 * 1024, skip_cheaply=skip_cheaply)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = path.stat().st_size
    print(
        json.dumps(
            {
                "bytes": size,
                "seconds": best,
                "mb_per_s": size / best / 1e6,
                "traced_peak_mb": traced_peak / 1e6,
                "rss_mb": rss_after / 1024,
                "rss_growth_mb": (rss_after - rss_before) / 1024,
                "prompts": summary.prompt_count,
                "tasks": len(summary.tasks),
                "failed": len(summary.failed_tools),
            }
        )
    )
    return 0


def print_table(rows: list[tuple[int, str, dict[str, float]]]) -> None:
    print(
        f"{'file':>7}  {'mode':<10} {'MB/s':>6} {'seconds':>8} {'traced peak':>12} {'max RSS':>8} {'RSS growth':>11}"
    )
    for size_mb, mode, r in rows:
        print(
            f"{size_mb:>4} MB  {mode:<10} {r['mb_per_s']:>6.0f} {r['seconds']:>8.3f} {r['traced_peak_mb']:>9.1f} MB"
            f" {r['rss_mb']:>5.1f} MB {r['rss_growth_mb']:>8.1f} MB"
        )
    print(
        "(MB = 10^6 bytes; traced peak = tracemalloc during one read; max RSS of the reading process, "
        "interpreter included; RSS growth = during the reads)"
    )


# --- a synthetic long session ----------------------------------------------------------------


def write_session(path: Path, target_bytes: int, rng: random.Random) -> None:
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for turn in itertools.count(1):
            for record in session_turn(turn, rng):
                line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
                out.write(line)
                written += len(line.encode())
            if written >= target_bytes:
                return


class _Clock:
    def __init__(self) -> None:
        self.seconds = 0

    def tick(self) -> str:
        self.seconds += 3
        minutes, seconds = divmod(self.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return f"2026-11-24T{8 + hours % 16:02}:{minutes:02}:{seconds:02}.{self.seconds % 1000:03}Z"


CLOCK = _Clock()


def envelope(kind: str, body: dict[str, object], extra: dict[str, object] | None = None) -> dict[str, object]:
    """The client's key order: type and message first for users, message first for assistants."""
    head: dict[str, object] = {"parentUuid": "p", "isSidechain": False}
    if kind == "user":
        head.update({"promptId": "q", "type": "user", "message": body})
    else:
        head.update({"message": body, "type": "assistant"})
    head.update({"uuid": "u", "timestamp": CLOCK.tick()})
    head.update(extra or {})
    head.update(
        {
            "userType": "external",
            "entrypoint": "cli",
            "cwd": "/home/dev/project",
            "sessionId": SESSION,
            "version": "2.1.197",
            "gitBranch": "main",
        }
    )
    return head


def prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def source_file(rng: random.Random, lines: int) -> str:
    body = []
    for n in range(lines):
        indent = "    " * rng.randint(0, 3)
        body.append(f'{indent}value_{n} = compute("{prose(rng, 3)}", {n})  # {prose(rng, 4)}\t\\n')
    return "\n".join(body) + "\n"


def assistant(blocks: list[dict[str, object]]) -> dict[str, object]:
    return envelope(
        "assistant",
        {
            "id": "msg",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-4-8",
            "content": blocks,
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        },
    )


def tool_call(call_id: str, name: str, tool_input: dict[str, object]) -> dict[str, object]:
    return assistant([{"type": "tool_use", "id": call_id, "name": name, "input": tool_input}])


def tool_result(call_id: str, content: str, details: object, is_error: bool = False) -> dict[str, object]:
    block: dict[str, object] = {"tool_use_id": call_id, "type": "tool_result", "content": content}
    if is_error:
        block["is_error"] = True
    return envelope("user", {"role": "user", "content": [block]}, {"toolUseResult": details})


def session_turn(turn: int, rng: random.Random) -> Iterator[dict[str, object]]:
    yield {"type": "queue-operation", "operation": "enqueue", "timestamp": CLOCK.tick(), "sessionId": SESSION}
    yield envelope("user", {"role": "user", "content": f"turn {turn}: {prose(rng, rng.randint(5, 300))}"})
    yield assistant(
        [{"type": "thinking", "thinking": prose(rng, rng.randint(50, 800)), "signature": "s" * 200}]
    )
    for step in range(rng.randint(3, 9)):
        yield from tool_step(f"toolu_{turn}_{step}", turn, rng)
        if rng.random() < 0.3:
            yield {
                "type": "progress",
                "data": {"type": "bash_progress", "output": prose(rng, 200)},
                "timestamp": CLOCK.tick(),
                "sessionId": SESSION,
            }
    if turn % 4 == 0:
        yield tool_call(
            f"toolu_{turn}_tc",
            "TaskCreate",
            {"subject": f"task {turn}", "description": prose(rng, 20), "activeForm": "working"},
        )
        yield tool_result(
            f"toolu_{turn}_tc",
            f"Task #{turn} created successfully: task {turn}",
            {"task": {"id": str(turn), "subject": f"task {turn}"}},
        )
    if turn % 4 == 1 and turn > 1:
        yield tool_call(f"toolu_{turn}_tu", "TaskUpdate", {"taskId": str(turn - 1), "status": "completed"})
        yield tool_result(f"toolu_{turn}_tu", f"Updated task #{turn - 1} status", {"success": True})
    yield {"type": "file-history-snapshot", "messageId": "m", "snapshot": {"trackedFileBackups": {}}}
    yield assistant([{"type": "text", "text": prose(rng, rng.randint(20, 400))}])
    yield {"type": "last-prompt", "lastPrompt": "...", "sessionId": SESSION}


def tool_step(call_id: str, turn: int, rng: random.Random) -> Iterator[dict[str, object]]:
    kind = rng.choices(("read", "bash", "edit", "write", "grep"), weights=(4, 3, 2, 1, 1))[0]
    path = f"/home/dev/project/src/module_{rng.randint(1, 400)}.py"
    if kind == "read":
        text = source_file(rng, rng.randint(40, 1500))
        shown = "".join(f"{n:6}\t{line}\n" for n, line in enumerate(text.splitlines(), start=1))
        yield tool_call(call_id, "Read", {"file_path": path})
        yield tool_result(
            call_id,
            shown,
            {"type": "text", "file": {"filePath": path, "content": text, "numLines": text.count("\n")}},
        )
    elif kind == "bash":
        output = source_file(rng, rng.randint(1, 600))
        failed = rng.random() < 0.1
        yield tool_call(
            call_id, "Bash", {"command": f"pytest -q tests/test_{turn}.py", "description": "Run tests"}
        )
        content = f"Exit code 1\n{output}" if failed else output
        yield tool_result(
            call_id, content, {"stdout": output, "stderr": "", "interrupted": False}, is_error=failed
        )
    elif kind == "edit":
        original = source_file(rng, rng.randint(50, 1200))
        yield tool_call(
            call_id, "Edit", {"file_path": path, "old_string": prose(rng, 30), "new_string": prose(rng, 40)}
        )
        yield tool_result(
            call_id,
            f"The file {path} has been updated successfully.",
            {"filePath": path, "originalFile": original, "structuredPatch": [{"lines": [prose(rng, 30)]}]},
        )
    elif kind == "write":
        content = source_file(rng, rng.randint(20, 400))
        yield tool_call(call_id, "Write", {"file_path": path, "content": content})
        yield tool_result(
            call_id,
            f"File created successfully at: {path}",
            {"type": "create", "filePath": path, "content": content},
        )
    else:
        yield tool_call(call_id, "Grep", {"pattern": "value_1", "path": "/home/dev/project"})
        yield tool_result(call_id, "\n".join(f"src/module_{n}.py" for n in range(200)), {"numFiles": 200})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

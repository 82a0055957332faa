"""A fake Anthropic Messages API on 127.0.0.1 that the real Claude Code client can talk to.

The main loop (requests that carry `tools`) is answered from a script of turns
the test gives; compaction gets a fixed summary; anything else gets a small
answer so the client never stalls. Every request is recorded so a test can
assert on what the client sent the model.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "claude-sonnet-4-5"
DONE_TEXT = "Done."
SUMMARY_TEXT = "SUMMARY-E2E: the person asked for two things; both are done."
# Part of the instruction 2.1.197 appends to the last user message of its compaction request.
COMPACT_INSTRUCTION = "create a detailed summary of the conversation so far"
TITLE_TEXT = "E2E session"
MAX_BODY = 64 * 1024 * 1024
# A runaway client (a Stop hook that always blocks, say) gets errors past this many model requests.
REQUEST_LIMIT = 100

JsonObject = dict[str, Any]
MODEL_KINDS = frozenset({"main", "compact", "side"})


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class ToolUse:
    name: str
    input: JsonObject


Block = Text | ToolUse


@dataclass(frozen=True)
class Turn:
    """One scripted answer of the main loop: text, tool calls, or both (text first)."""

    blocks: tuple[Block, ...]

    @property
    def stop_reason(self) -> str:
        return "tool_use" if any(isinstance(b, ToolUse) for b in self.blocks) else "end_turn"


def say(text: str) -> Turn:
    return Turn((Text(text),))


def call(name: str, **tool_input: Any) -> Turn:
    return Turn((ToolUse(name, tool_input),))


def tool(name: str, **tool_input: Any) -> ToolUse:
    return ToolUse(name, tool_input)


def calls(*uses: ToolUse) -> Turn:
    """Several tool calls in one answer (the client runs them, then sends all their results)."""
    return Turn(tuple(uses))


@dataclass(frozen=True)
class Request:
    """One request the client made. Its kind: `main` (the agent loop, carries tools), `compact`,
    `side` (a model request without tools), `count_tokens`, `probe` (HEAD /) or `other` (logged)."""

    method: str
    path: str
    kind: str
    body: JsonObject | None

    @property
    def streamed(self) -> bool:
        return bool(self.body and self.body.get("stream"))


def classify(method: str, path: str, body: JsonObject | None) -> str:
    """Which kind of request this is, from its method, path and body alone."""
    route = path.split("?", 1)[0]
    if method in ("HEAD", "GET") and route == "/":
        return "probe"
    if method != "POST":
        return "other"
    if route.endswith("/v1/messages/count_tokens"):
        return "count_tokens"
    if not route.endswith("/v1/messages") or body is None:
        return "other"
    if is_compaction(body):
        return "compact"
    if body.get("tools"):
        return "main"
    return "side"


def is_compaction(body: JsonObject) -> bool:
    """Compaction reuses the main loop's system prompt and tools (for the prompt cache), so only the
    instruction appended to its last user message tells it apart. Hook context injected at a resume
    may follow that message as a `system` one, so the last message is not always it."""
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    return bool(users) and COMPACT_INSTRUCTION in " ".join(texts_of(users[-1].get("content")))


def texts_of(content: Any) -> Iterator[str]:
    """Every piece of text inside a message's content or a system prompt, at any depth."""
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for item in content:
            yield from texts_of(item)
    elif isinstance(content, dict):
        for key in ("text", "content", "input", "thinking"):
            if key in content:
                value = content[key]
                yield from texts_of(value if key != "input" else json.dumps(value))


def all_text(request: Request | JsonObject) -> str:
    """All the text of a request (system and messages, tool results and injected context included)."""
    body = request.body if isinstance(request, Request) else request
    if not body:
        return ""
    parts = list(texts_of(body.get("system")))
    for message in body.get("messages") or []:
        parts.extend(texts_of(message.get("content")))
    return "\n".join(parts)


class ModelServer:
    """Start with `with ModelServer(script) as server:`; `server.url` is the base URL for the client."""

    def __init__(self, script: Iterable[Turn] = (), summary: str = SUMMARY_TEXT,
                 limit: int = REQUEST_LIMIT) -> None:
        self._script: deque[Turn] = deque(script)
        self.limit = limit
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._ids = itertools.count(1)
        self.summary = summary
        self.unknown_paths: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="model-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> ModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(self, *turns: Turn) -> None:
        """Append turns to the script (for the next `claude -p` of the same test)."""
        with self._lock:
            self._script.extend(turns)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def of_kind(self, kind: str) -> list[Request]:
        return [r for r in self.requests if r.kind == kind]

    def main_requests(self) -> list[Request]:
        return self.of_kind("main")

    def compact_requests(self) -> list[Request]:
        return self.of_kind("compact")

    def next_id(self) -> str:
        with self._lock:
            return f"{next(self._ids):06d}"

    def record(self, request: Request) -> bool:
        """Keep `request`; False once the client has made more model requests than the limit allows."""
        with self._lock:
            self._requests.append(request)
            if request.kind == "other":
                self.unknown_paths.append(f"{request.method} {request.path}")
            made = sum(1 for r in self._requests if r.kind in MODEL_KINDS)
        if request.kind == "other":
            print(f"model_server: unknown request {request.method} {request.path}", file=sys.stderr)
        return made <= self.limit

    def answer(self, request: Request) -> Turn:
        """The turn that answers a /v1/messages request of any kind."""
        if request.kind == "main":
            with self._lock:
                return self._script.popleft() if self._script else say(DONE_TEXT)
        if request.kind == "compact":
            # The client keeps what is inside <summary> and drops the <analysis> scratchpad.
            return say(f"<analysis>Nothing to analyse.</analysis>\n<summary>{self.summary}</summary>")
        return say(TITLE_TEXT)


def _handler_for(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        model = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    model: ModelServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_HEAD(self) -> None:
        self._record(None)
        self._send_json(200, {}, head=True)

    def do_GET(self) -> None:
        self._record(None)
        self._send_json(200, {"data": [], "has_more": False})

    def do_POST(self) -> None:
        body = self._read_body()
        request, within_limit = self._record(body)
        if not within_limit:
            self._send_json(400, error_body("invalid_request_error",
                                            f"e2e model server: over {self.model.limit} requests"))
        elif request.kind == "count_tokens":
            self._send_json(200, {"input_tokens": approx_tokens(all_text(request))})
        elif request.kind == "other":
            self._send_json(200, {})
        elif body is None:
            self._send_json(400, error_body("invalid_request_error", "body is not JSON"))
        else:
            turn = self.model.answer(request)
            if request.streamed:
                self._send_stream(turn, body)
            else:
                self._send_json(200, message_json(self.model, turn, body))

    def _read_body(self) -> JsonObject | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY)) if length else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    def _record(self, body: JsonObject | None) -> tuple[Request, bool]:
        request = Request(self.command, self.path, classify(self.command, self.path, body), body)
        return request, self.model.record(request)

    def _send_json(self, status: int, payload: JsonObject, head: bool = False) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_{self.model.next_id()}")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _send_stream(self, turn: Turn, body: JsonObject) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("request-id", f"req_{self.model.next_id()}")
        self.end_headers()
        self.close_connection = True
        for event, data in stream_events(self.model, turn, body):
            self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


def approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def usage(body: JsonObject, output_text: str) -> JsonObject:
    return {
        "input_tokens": approx_tokens(all_text(body)),
        "output_tokens": approx_tokens(output_text),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def content_json(model: ModelServer, turn: Turn) -> list[JsonObject]:
    blocks: list[JsonObject] = []
    for block in turn.blocks:
        if isinstance(block, Text):
            blocks.append({"type": "text", "text": block.text})
        else:
            blocks.append({"type": "tool_use", "id": f"toolu_e2e{model.next_id()}", "name": block.name,
                           "input": block.input})
    return blocks


def message_json(model: ModelServer, turn: Turn, body: JsonObject) -> JsonObject:
    content = content_json(model, turn)
    return {
        "id": f"msg_e2e{model.next_id()}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model") or MODEL,
        "content": content,
        "stop_reason": turn.stop_reason,
        "stop_sequence": None,
        "usage": usage(body, json.dumps(content)),
    }


def stream_events(model: ModelServer, turn: Turn, body: JsonObject) -> Iterator[tuple[str, JsonObject]]:
    """The server-sent events of one streamed answer, in the order the real API sends them."""
    message = message_json(model, turn, body)
    start = {**message, "content": [], "stop_reason": None,
             "usage": {**message["usage"], "output_tokens": 1}}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            yield "content_block_start", {"type": "content_block_start", "index": index,
                                          "content_block": {"type": "text", "text": ""}}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            yield "content_block_start", {"type": "content_block_start", "index": index,
                                          "content_block": {**block, "input": {}}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield "message_delta", {"type": "message_delta",
                            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                            "usage": {"output_tokens": message["usage"]["output_tokens"]}}
    yield "message_stop", {"type": "message_stop"}


def error_body(kind: str, message: str) -> JsonObject:
    return {"type": "error", "error": {"type": kind, "message": message}}

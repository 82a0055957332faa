"""The fake Messages API on its own (no client needed): streaming, scripting, kinds, limits."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.model_server import (COMPACT_INSTRUCTION, DONE_TEXT, SUMMARY_TEXT, ModelServer, all_text, call, calls,
                          classify, say, tool)


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as model:
        yield model


def post(server: ModelServer, body: dict[str, Any], path: str = "/v1/messages?beta=true") -> tuple[int, bytes]:
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in raw.decode().strip().split("\n\n"):
        name, data = chunk.split("\n")
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


def main_body(text: str = "hi", stream: bool = True) -> dict[str, Any]:
    return {"model": "m", "stream": stream, "tools": [{"name": "Write"}], "system": [{"type": "text", "text": "S"}],
            "messages": [{"role": "user", "content": text}]}


def test_a_streamed_tool_turn_rebuilds_to_the_scripted_calls(server: ModelServer) -> None:
    server.push(calls(tool("Write", file_path="/p/a", content="x"), tool("Edit", file_path="/p/b")))

    status, raw = post(server, main_body())

    events = sse(raw)
    assert status == 200
    assert [name for name, _ in events][:2] == ["message_start", "content_block_start"]
    assert [name for name, _ in events][-2:] == ["message_delta", "message_stop"]
    blocks = [data["content_block"] for name, data in events if name == "content_block_start"]
    inputs = [json.loads(data["delta"]["partial_json"]) for name, data in events if name == "content_block_delta"]
    assert [(b["name"], i) for b, i in zip(blocks, inputs)] == [
        ("Write", {"file_path": "/p/a", "content": "x"}), ("Edit", {"file_path": "/p/b"})]
    assert len({b["id"] for b in blocks}) == 2
    [delta] = [data for name, data in events if name == "message_delta"]
    assert delta["delta"]["stop_reason"] == "tool_use"


def test_the_script_is_answered_in_order_then_done(server: ModelServer) -> None:
    server.push(say("one"), call("Read", file_path="/x"))

    answers = [json.loads(post(server, main_body(stream=False))[1]) for _ in range(3)]

    assert [a["content"][0].get("text", a["content"][0].get("name")) for a in answers] == ["one", "Read", DONE_TEXT]
    assert [a["stop_reason"] for a in answers] == ["end_turn", "tool_use", "end_turn"]
    assert len(server.main_requests()) == 3


def test_compaction_is_told_apart_by_its_instruction_even_with_tools(server: ModelServer) -> None:
    server.push(say("scripted"))
    body = main_body()
    body["messages"] += [{"role": "user", "content": [{"type": "text", "text": f"Please {COMPACT_INSTRUCTION}."}]},
                         {"role": "system", "content": "SessionStart hook additional context: resumed"}]

    status, raw = post(server, body)

    text = "".join(d["delta"].get("text", "") for n, d in sse(raw) if n == "content_block_delta")
    assert SUMMARY_TEXT in text
    assert server.remaining == 1, "compaction must not consume the main loop's script"
    assert [r.kind for r in server.requests] == ["compact"]


def test_other_requests_are_kinds_of_their_own() -> None:
    assert classify("HEAD", "/", None) == "probe"
    assert classify("POST", "/v1/messages", {"messages": []}) == "side"
    assert classify("POST", "/v1/messages/count_tokens?beta=true", {"messages": []}) == "count_tokens"
    assert classify("POST", "/v1/other", {}) == "other"


def test_unknown_paths_are_answered_and_logged(server: ModelServer) -> None:
    status, _ = post(server, {}, path="/v1/something")

    assert status == 200
    assert server.unknown_paths == ["POST /v1/something"]


def test_past_the_limit_the_server_answers_errors() -> None:
    with ModelServer(limit=1) as server:
        first, _ = post(server, main_body(stream=False))
        second, body = post(server, main_body(stream=False))

    assert (first, second) == (200, 400)
    assert json.loads(body)["type"] == "error"


def test_all_text_flattens_system_tool_results_and_injected_messages() -> None:
    body = {
        "system": [{"type": "text", "text": "SYSTEM"}],
        "messages": [
            {"role": "user", "content": "PROMPT"},
            {"role": "system", "content": "SessionStart hook additional context: INJECTED"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Write", "input": {"a": "INPUT"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                                          "content": [{"type": "text", "text": "RESULT"}]}]},
        ],
    }

    text = all_text(body)

    for piece in ("SYSTEM", "PROMPT", "INJECTED", "INPUT", "RESULT"):
        assert piece in text

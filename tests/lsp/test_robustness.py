"""What a client should never send, and the server must survive: bad JSON and UTF-8, bad params,
unknown methods, edits past the end, huge documents, a crashing rule; plus shutdown/exit per
the spec and the TCP transport."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lsp.helpers import server_command
from tests.lsp.rawclient import Process, connect, frame

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parent / "data"
TEXT = "FROM alpine:3.20\nWORKDIR app\nADD app.py /srv/\n"
OPTIONS = {"dlint": {"select": ["DL3020", "DL3000"]}}


def codes(message: dict) -> list[str]:  # type: ignore[type-arg]
    return sorted(d["code"] for d in message["params"]["diagnostics"])


@pytest.fixture(scope="module")
def server() -> Iterator[Process]:
    process = Process(server_command())
    process.client.initialize(OPTIONS)
    yield process
    process.kill()


def assert_alive(server: Process, name: str) -> None:
    """The server still lints: a fresh document gets its diagnostics."""
    uri = f"file:///nonexistent/robust/{name}/Dockerfile"
    server.client.open(uri, TEXT)
    assert codes(server.client.publish(uri, version=1)) == ["DL3000", "DL3020"]


def test_invalid_json_gets_a_parse_error_and_the_session_goes_on(server: Process) -> None:
    server.client.send_bytes(frame(b'{"jsonrpc": "2.0", "id": 99, "method": '))
    error = server.client.response(None)
    assert error["error"]["code"] == -32700
    server.client.send_bytes(frame(b"[1, 2, 3]"))
    assert server.client.wait(lambda m: m.get("error", {}).get("code") == -32600)
    server.client.send_bytes(b"X-Junk: 1\r\n\r\n")  # a header block without Content-Length
    assert_alive(server, "after-bad-json")


def test_bad_params_and_unknown_methods_are_answered(server: Process) -> None:
    reply = server.client.call("textDocument/hover", {"textDocument": {"uri": "file:///x/Dockerfile"}})
    assert reply["error"]["code"] == -32602  # InvalidParams, not silence
    reply = server.client.call("dlint/noSuchMethod", {})
    assert reply["error"]["code"] == -32601
    server.client.notify("dlint/noSuchNotification", {"x": 1})
    server.client.notify("$/noSuchThing", None)
    server.client.notify("textDocument/didChange", {"textDocument": {"uri": 3}})  # malformed notification
    assert_alive(server, "after-bad-params")


def test_invalid_utf8_on_the_wire_becomes_replacement_characters(server: Process) -> None:
    uri = "file:///nonexistent/robust/utf8/Dockerfile"
    body = json.dumps(
        {"jsonrpc": "2.0", "method": "textDocument/didOpen",
         "params": {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": "@@"}}}
    ).encode("utf-8")
    body = body.replace(b"@@", b"FROM alpine:3.20\\n# caf\xe9 \xff\\nWORKDIR app\\n")
    server.client.send_bytes(frame(body))
    published = server.client.publish(uri, version=1)
    (diagnostic,) = published["params"]["diagnostics"]
    assert diagnostic["code"] == "DL3000" and diagnostic["range"]["start"] == {"line": 2, "character": 8}
    assert "not valid UTF-8" in server.stderr


def test_an_edit_past_the_end_of_the_document_is_clamped(server: Process) -> None:
    uri = "file:///nonexistent/robust/past-end/Dockerfile"
    server.client.open(uri, "FROM alpine:3.20\nWORKDIR /app")
    server.client.publish(uri, version=1)
    change = {"range": {"start": {"line": 1, "character": 50}, "end": {"line": 40, "character": 3}}, "text": "\nADD a /b/\n"}
    server.client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]})
    published = server.client.publish(uri, version=2)
    assert [(d["code"], d["range"]["start"]["line"]) for d in published["params"]["diagnostics"]] == [("DL3020", 2)]


def test_a_huge_document_is_not_linted_and_does_not_stall_the_server(server: Process) -> None:
    uri = "file:///nonexistent/robust/huge/Dockerfile"
    line = "RUN echo 'padding the document to ten megabytes, one line at a time'\n"
    text = "FROM alpine:3.20\n" + line * (10_000_000 // len(line))
    started = time.monotonic()
    server.client.open(uri, text)
    notice = server.client.wait(lambda m: m.get("method") == "window/logMessage" and uri in m["params"]["message"])
    assert "not linted" in notice["params"]["message"] and notice["params"]["type"] == 2
    assert_alive(server, "after-huge")
    edit = {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 3}}, "text": "CMD"}
    server.client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [edit]})
    hover = server.client.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}})
    assert "result" in hover
    assert time.monotonic() - started < 30
    assert server.client.publish(uri, version=2)["params"]["diagnostics"] == []  # cleared, not linted


def test_a_large_lint_runs_beside_requests(server: Process) -> None:
    """A document under the size limit that takes seconds to lint is linted in a worker
    thread: a request about another document is answered before that lint ends."""
    uri = "file:///nonexistent/robust/large/Dockerfile"
    server.client.open(uri, "FROM alpine:3.20\n" + "WORKDIR app\n" * 20_000)
    started = time.monotonic()
    other = "file:///nonexistent/robust/large-other/Dockerfile"
    server.client.open(other, TEXT)
    reply = server.client.call("textDocument/hover", {"textDocument": {"uri": other}, "position": {"line": 0, "character": 1}})
    answered = time.monotonic() - started
    assert reply["result"]["contents"]["value"].startswith("**FROM**")
    published = server.client.publish(uri, version=1)
    assert len(published["params"]["diagnostics"]) == 20_000
    messages = server.client.messages
    assert messages.index(reply) < messages.index(published), f"answered after {answered:.2f}s"


def test_a_crashing_rule_becomes_one_finding_and_a_log_line() -> None:
    process = Process([sys.executable, str(DATA / "crashing_server.py")], env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        process.client.initialize(OPTIONS)
        uri = "file:///nonexistent/robust/crash/Dockerfile"
        process.client.open(uri, "FROM alpine:3.20\n# CRASH\nWORKDIR app\nADD a /b/\n")
        published = process.client.publish(uri, version=1)
        assert codes(published) == ["DF000", "DL3020"]  # the other rule still ran
        crash = next(d for d in published["params"]["diagnostics"] if d["code"] == "DF000")
        assert "rule DL3000 (workdir-relative-path) crashed: RuntimeError: boom on purpose" in crash["message"]
        assert crash["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}
        logged = process.client.wait(lambda m: m.get("method") == "window/logMessage" and "DL3000" in m["params"]["message"])
        assert logged["params"]["type"] == 1
        process.client.open(uri.replace("crash", "after-crash"), TEXT)
        assert codes(process.client.publish(uri.replace("crash", "after-crash"))) == ["DL3000", "DL3020"]
        deadline = time.monotonic() + 5
        while "boom on purpose" not in process.stderr and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "rule DL3000 (workdir-relative-path) crashed" in process.stderr
    finally:
        process.kill()


def test_requests_before_initialize_are_refused() -> None:
    process = Process(server_command())
    try:
        reply = process.client.call("textDocument/hover", {"textDocument": {"uri": "file:///x"}, "position": {"line": 0, "character": 0}})
        assert reply["error"]["code"] == -32002
        process.client.initialize()
        process.client.call("shutdown")
        process.client.notify("exit")
        assert process.wait() == 0
    finally:
        process.kill()


def test_shutdown_then_exit_is_a_clean_exit() -> None:
    process = Process(server_command())
    try:
        process.client.initialize(OPTIONS)
        assert process.client.call("shutdown") == {"jsonrpc": "2.0", "id": 2, "result": None}
        refused = process.client.call("textDocument/hover", {"textDocument": {"uri": "file:///x"}, "position": {"line": 0, "character": 0}})
        assert refused["error"]["code"] == -32600
        process.client.notify("exit")
        assert process.wait() == 0
    finally:
        process.kill()


def test_exit_without_shutdown_and_a_closed_stdin_end_the_server() -> None:
    process = Process(server_command())
    try:
        process.client.initialize(OPTIONS)
        process.client.notify("exit")
        assert process.wait() == 1
    finally:
        process.kill()
    process = Process(server_command())
    try:
        process.client.initialize(OPTIONS)
        process.close_stdin()
        assert process.wait() == 1  # the client went away without shutdown
    finally:
        process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_tcp_transport() -> None:
    port = free_port()
    command = [*server_command(), "--tcp", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        client, sock = connect("127.0.0.1", port)
        client.initialize(OPTIONS)
        uri = "file:///nonexistent/robust/tcp/Dockerfile"
        client.open(uri, TEXT)
        assert codes(client.publish(uri, version=1)) == ["DL3000", "DL3020"]
        client.call("shutdown")
        client.notify("exit")
        assert process.wait(15) == 0
        sock.close()
        assert process.stderr is not None
        assert f"dlint lsp: listening on 127.0.0.1:{port}" in process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def test_exit_does_not_wait_for_a_long_lint() -> None:
    process = Process(server_command())
    try:
        process.client.initialize(OPTIONS)
        process.client.open("file:///nonexistent/robust/slow/Dockerfile", "FROM alpine:3.20\n" + "WORKDIR app\n" * 70_000)
        time.sleep(0.5)  # the lint is under way in a worker thread
        process.client.call("shutdown")
        started = time.monotonic()
        process.client.notify("exit")
        assert process.wait(30) == 0
        assert time.monotonic() - started < 5
    finally:
        process.kill()

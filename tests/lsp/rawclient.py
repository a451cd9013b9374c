"""A bare JSON-RPC client over a subprocess's pipes (or a socket), for sending what a well-behaved
client library never would: bad JSON, bad UTF-8, unknown methods, requests out of order."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import threading
import time
from typing import Any, BinaryIO, Callable

TIMEOUT = 15.0


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawClient:
    """Sends framed messages and collects everything the server sends back."""

    def __init__(self, reader: BinaryIO, writer: Callable[[bytes], None]) -> None:
        self._write = writer
        self.messages: list[dict[str, Any]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 0
        threading.Thread(target=self._read, args=(reader,), daemon=True).start()

    def _read(self, stream: BinaryIO) -> None:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._queue.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            assert length is not None
            self._queue.put(json.loads(stream.read(length)))

    # -- sending ------------------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        self._write(data)

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(frame(json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    # -- receiving ----------------------------------------------------------------------------

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT) -> dict[str, Any]:
        """The first message (already received or arriving) that matches."""
        for message in self.messages:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; received: {[m.get('method', m.get('id')) for m in self.messages]}")
            try:
                message = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            if message is None:
                raise AssertionError("the server closed its output")
            self.messages.append(message)
            if predicate(message):
                return message

    def response(self, ident: int | None, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.wait(lambda m: "method" not in m and m.get("id") == ident, timeout)

    def call(self, method: str, params: Any = None, timeout: float = TIMEOUT) -> dict[str, Any]:
        return self.response(self.request(method, params), timeout)

    def publish(self, uri: str, version: int | None = None, after: int = 0) -> dict[str, Any]:
        """The publishDiagnostics for `uri` (and `version`) past the first `after` such ones."""
        count = 0

        def match(message: dict[str, Any]) -> bool:
            nonlocal count
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            if params["uri"] != uri or (version is not None and params.get("version") != version):
                return False
            count += 1
            return count > after

        return self.wait(match)

    def initialize(self, options: Any = None, capabilities: Any = None) -> dict[str, Any]:
        result = self.call(
            "initialize",
            {"processId": None, "rootUri": None, "capabilities": capabilities or {}, "initializationOptions": options},
        )
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, version: int = 1, language: str = "dockerfile") -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language, "version": version, "text": text}},
        )


class Process:
    """A server subprocess with a RawClient on its stdio; stderr is collected."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._stderr, daemon=True).start()
        assert self.proc.stdout is not None
        self.client = RawClient(self.proc.stdout, self._write)

    def _write(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line.decode("utf-8", "replace"))

    @property
    def stderr(self) -> str:
        return "".join(self.stderr_lines)

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.proc.wait(timeout)

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def connect(host: str, port: int, timeout: float = TIMEOUT) -> tuple[RawClient, socket.socket]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    sock.settimeout(None)
    return RawClient(sock.makefile("rb"), sock.sendall), sock

"""How fast `dlint lsp` answers edits, beside dockerfile-language-server-nodejs (a benchmark).

    python3 bench/bench_lsp.py [--edits 100] [--starts 10] [--peer PATH] [--json OUT]

With a real client over stdio (a small JSON-RPC client in this file, the same for both servers):
- start-up: from spawning the server to the first publishDiagnostics for an opened document
  (median of `--starts` fresh processes);
- edit latency: from sending didChange to receiving publishDiagnostics for that version, over
  `--edits` edits that each write a new unknown instruction (`FOO barN`) on one line, so
  every edit changes the diagnostics and no text repeats; median and p95, on a 30-line and a
  500-line Dockerfile from the shared corpus. The line is added at the end of the file
  (`--at end`, the default), before the instruction nearest the middle (`--at middle`: everything
  after it is linted again) or before the first instruction (`--at start`: everything is).
The peer is `docker-langserver --stdio` (npm `dockerfile-language-server-nodejs`; install it
with `npm install --prefix /tmp/peer dockerfile-language-server-nodejs`). The machine's other
load shows in the numbers: compare the ratios taken in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FILES = {
    "30 lines": "GoogleCloudPlatform__cloud-builders/gke-deploy/Dockerfile",
    "500 lines": "moby__buildkit/Dockerfile",
}
EDIT_LINE = "FOO bar"
TIMEOUT = 30.0


class Session:
    """A server process and a minimal LSP client on its pipes (answers server requests)."""

    def __init__(self, command: list[str]) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self._id = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(stream.read(length))
            now = time.perf_counter()
            if "method" in message and "id" in message:  # a request from the server
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [None] * len(message["params"]["items"])
                self.send({"id": message["id"], "result": result})
                continue
            self.inbox.put((now, message))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        with self._lock:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            self.proc.stdin.flush()

    def wait(self, predicate: Any) -> tuple[float, dict[str, Any]]:
        deadline = time.perf_counter() + TIMEOUT
        while True:
            try:
                when, message = self.inbox.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                raise TimeoutError("no answer from the server") from None
            if predicate(message):
                return when, message

    def initialize(self, root: Path) -> None:
        self._id += 1
        capabilities = {
            "textDocument": {"publishDiagnostics": {"versionSupport": True}, "synchronization": {"didSave": True}},
            "workspace": {"configuration": True},
        }
        self.send({"id": self._id, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": capabilities}})
        self.wait(lambda m: m.get("id") == self._id)
        self.send({"method": "initialized", "params": {}})

    def publish_for(self, uri: str, version: int) -> float:
        def match(message: dict[str, Any]) -> bool:
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            # A server that does not echo versions: the first publish after the edit counts.
            return bool(params["uri"] == uri and params.get("version", version) in (version, None))

        return self.wait(match)[0]

    def close(self) -> None:
        try:
            self._id += 1
            self.send({"id": self._id, "method": "shutdown", "params": None})
            self.wait(lambda m: m.get("id") == self._id)
            self.send({"method": "exit", "params": None})
            self.proc.wait(10)
        except (TimeoutError, OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_up(command: list[str], path: Path) -> float:
    """Seconds from spawn to the first diagnostics of an opened document."""
    session = Session(command)
    try:
        session.initialize(path.parent)
        uri = path.as_uri()
        session.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "dockerfile", "version": 1, "text": path.read_text(encoding="utf-8")}}})
        return session.publish_for(uri, 1) - session.started
    finally:
        session.close()


def edit_line(text: str, at: str) -> int:
    """The line the benchmark types on: the end of the file, or the first line of the
    instruction nearest the middle, or of the first instruction (never inside a continuation)."""
    lines = text.split("\n")
    if at == "end":
        return len(lines) - 1  # an empty last line when the file ends with a newline
    starts = [
        index for index, line in enumerate(lines)
        if line[:1].isalpha() and (index == 0 or not lines[index - 1].rstrip().endswith("\\"))
    ]
    if at == "start":
        return starts[0]
    return min(starts, key=lambda index: abs(index - len(lines) // 2))


def edit_latency(command: list[str], path: Path, edits: int, at: str = "end") -> list[float]:
    """Milliseconds from each didChange to the diagnostics for its version."""
    session = Session(command)
    samples: list[float] = []
    try:
        session.initialize(path.parent)
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        last = edit_line(text, at)
        session.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}})
        session.publish_for(uri, 1)
        for index in range(edits):
            version = index + 2
            if index == 0:  # add a line, then keep replacing it: every text is new
                change = {"range": _range(last, 0, last, 0), "text": f"{EDIT_LINE}{index}\n"}
            else:
                change = {"range": _range(last, 0, last + 1, 0), "text": f"{EDIT_LINE}{index}\n"}
            sent = time.perf_counter()
            session.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
            received = session.publish_for(uri, version)
            samples.append((received - sent) * 1000)
            time.sleep(0.02)  # a typist's pause: measure latency, not a queue of edits
    finally:
        session.close()
    return samples


def engine_latency(path: Path, edits: int, at: str = "end") -> list[float]:
    """Milliseconds of `lint_text` alone, in this process, on the same sequence of texts: the
    part of the edit latency that is the engine's, not the server's. The garbage collector is
    handled as the server handles it (start-up objects frozen, no automatic collection during
    lints; see `Scheduler.tidy`), and the last result stays alive while the next lint runs, as
    the server's last outcome does."""
    import gc

    from docklint.config_files import resolve_config
    from docklint.engine import lint_text

    text = path.read_text(encoding="utf-8")
    config = resolve_config(path.parent)
    last = lint_text(text, str(path), config, context_dir=str(path.parent))
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    lines = text.split("\n")
    line = edit_line(text, at)
    samples = []
    try:
        for index in range(edits):
            edited = "\n".join([*lines[:line], f"{EDIT_LINE}{index}", *lines[line:]])
            started = time.perf_counter()
            last = lint_text(edited, str(path), config, context_dir=str(path.parent))
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
    del last
    return samples


def _range(line: int, character: int, end_line: int, end_character: int) -> dict[str, Any]:
    return {"start": {"line": line, "character": character}, "end": {"line": end_line, "character": end_character}}


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def measure_engine(edits: int, at: str = "end") -> dict[str, Any]:
    result: dict[str, Any] = {"server": "engine only (lint_text in-process)"}
    for label, relative in FILES.items():
        samples = engine_latency(CORPUS / relative, edits, at)
        result[label] = {"median_ms": statistics.median(samples), "p95_ms": p95(samples), "max_ms": max(samples)}
    return result


def measure(name: str, command: list[str], edits: int, starts: int, at: str = "end") -> dict[str, Any]:
    result: dict[str, Any] = {"server": name, "command": command, "at": at}
    first = [start_up(command, CORPUS / FILES["30 lines"]) for _ in range(starts)]
    result["first_diagnostics_s"] = {"median": statistics.median(first), "max": max(first)}
    for label, relative in FILES.items():
        samples = edit_latency(command, CORPUS / relative, edits, at)
        result[label] = {"median_ms": statistics.median(samples), "p95_ms": p95(samples), "max_ms": max(samples)}
    return result


def find_peer(explicit: str | None) -> list[str] | None:
    for candidate in (explicit, shutil.which("docker-langserver"), "/tmp/peer/node_modules/.bin/docker-langserver"):
        if candidate and Path(candidate).exists():
            return [candidate, "--stdio"]
    return None


def table(ours: dict[str, Any], peer: dict[str, Any] | None, engine: dict[str, Any]) -> str:
    rows = [("", "dlint", "peer", "dlint/peer", "engine alone")]

    def row(label: str, a: float, b: float | None, c: float | None) -> None:
        rows.append((
            label, f"{a:.1f} ms", f"{b:.1f} ms" if b is not None else "-", f"{a / b:.2f}" if b else "-",
            f"{c:.1f} ms" if c is not None else "",
        ))

    row("first diagnostics (median)", ours["first_diagnostics_s"]["median"] * 1000,
        peer["first_diagnostics_s"]["median"] * 1000 if peer else None, None)
    for label in FILES:
        for key, text in (("median_ms", "median"), ("p95_ms", "p95")):
            row(f"edit -> diagnostics, {label}, {text}", ours[label][key], peer[label][key] if peer else None,
                engine[label][key])
    width = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(width[i]) for i, cell in enumerate(r)).rstrip() for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--peer", help="path to docker-langserver (default: PATH, then /tmp/peer)")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--at", choices=("end", "middle", "start"), default="end",
                        help="where the edits type: the last line, mid-file, or above the first instruction")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    ours = measure("dlint", [sys.executable, "-m", "docklint", "lsp"], args.edits, args.starts, args.at)
    peer_command = find_peer(args.peer)
    peer = measure("docker-langserver", peer_command, args.edits, args.starts, args.at) if peer_command else None
    engine = measure_engine(args.edits, args.at)
    print(f"load average at the start: {load:.2f} (2 cores; other work on the machine inflates every number)")
    print(f"edits typed at: {args.at}")
    print(table(ours, peer, engine))
    if peer is None:
        print("(peer not found: npm install --prefix /tmp/peer dockerfile-language-server-nodejs)")
    if args.json:
        report = {"dlint": ours, "peer": peer, "engine": engine, "load_average": os.getloadavg()}
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

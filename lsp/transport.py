"""The wire: reading framed JSON-RPC messages from stdio or TCP, robust to bad input.

pygls' own loop (`pygls.io_.run_async`) drops a message whose body is not valid UTF-8 or
JSON, or whose params do not fit the method, without answering: a client waiting for that
request would wait forever. This loop answers every request it can identify (`ParseError`,
`InvalidRequest`, `InvalidParams`, `ServerNotInitialized`), decodes invalid UTF-8 with
replacement characters so an edit is not lost, and logs what it dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
import threading
from typing import Any, BinaryIO, Protocol

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

log = logging.getLogger("docklint.lsp")

MAX_HEADER_LINES = 32


class Reader(Protocol):
    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


class ThreadReader:
    """Reads a blocking binary stream in a daemon thread (for stdin that is not a pipe)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream

    async def readline(self) -> bytes:
        return bytes(await _in_thread(self.stream.readline))

    async def readexactly(self, n: int) -> bytes:
        def read() -> bytes:
            chunks = []
            left = n
            while left > 0:
                chunk = self.stream.read(left)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)

        return bytes(await _in_thread(read))


async def _in_thread(function: Any) -> Any:
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def run() -> None:
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the loop
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(target=run, daemon=True).start()
    return await future


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def stdin_reader(stream: BinaryIO) -> Reader:
    """An asyncio reader on stdin: an event-loop pipe reader for a pipe or socket (what
    editors give), else a thread (a file or `/dev/null` cannot be polled)."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return ThreadReader(stream)
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return ThreadReader(stream)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**16)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stream)
    return reader


async def read_message(reader: Reader) -> bytes | None:
    """The next message body, or None at the end of the stream."""
    while True:
        length = None
        for _ in range(MAX_HEADER_LINES):
            try:
                line = await reader.readline()
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
            except ValueError:  # a header line longer than the stream's limit
                log.error("dropped a header line that is too long")
                continue
            if not line:
                return None
            text = line.strip()
            if not text:
                if length is not None:
                    break
                continue  # stray blank line between messages
            name, _, value = text.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    log.error("ignored a bad Content-Length header: %r", value[:40])
        else:
            log.error("no message after %d header lines; resynchronising", MAX_HEADER_LINES)
            continue
        if length is None or length < 0:
            continue
        try:
            body = await reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        if len(body) < length:
            return None
        return body


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        log.warning("a message is not valid UTF-8 (byte %d); bad bytes became U+FFFD", error.start)
        return body.decode("utf-8", "replace")


def dispatch(server: Any, body: bytes) -> None:
    """Decode, check and hand one message to pygls; answer what pygls would leave hanging."""
    protocol = server.protocol
    try:
        data = json.loads(decode(body))
    except ValueError as error:
        _reply_error(protocol, None, types.ErrorCodes.ParseError, f"not valid JSON: {error}")
        server.report("dropped a message that is not valid JSON")
        return
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
        ident = data.get("id") if isinstance(data, dict) else None
        _reply_error(protocol, ident, types.ErrorCodes.InvalidRequest, "not a JSON-RPC 2.0 message")
        server.report("dropped a message that is not JSON-RPC 2.0")
        return
    method = data.get("method")
    is_request = "id" in data and isinstance(method, str)
    if isinstance(method, str) and not server.initialized and method not in ("initialize", "exit"):
        if is_request:
            _reply_error(protocol, data["id"], types.ErrorCodes.ServerNotInitialized, "the server is not initialized yet")
        return
    if is_request and protocol._shutdown:
        _reply_error(protocol, data["id"], types.ErrorCodes.InvalidRequest, "the server is shutting down")
        return
    try:
        message = protocol.structure_message(data)
    except Exception as error:  # noqa: BLE001 - pygls raises several kinds here
        code = (
            types.ErrorCodes.InvalidParams
            if isinstance(error, JsonRpcInvalidParams)
            else types.ErrorCodes.InternalError
        )
        if is_request:
            _reply_error(protocol, data["id"], code, f"invalid params for {method}")
        server.report(f"dropped a malformed {method or 'message'}: params do not match the method")
        return
    try:
        protocol.handle_message(message)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - one bad message must not end the session
        log.exception("handling %s failed", method)
        server.report(f"handling {method} failed: {type(error).__name__}: {error}")


def _reply_error(protocol: Any, ident: Any, code: int, message: str) -> None:
    if not isinstance(ident, (int, str)) and ident is not None:
        ident = None
    protocol._send_data(
        {"jsonrpc": "2.0", "id": ident, "error": {"code": int(code), "message": message}}
    )


async def serve(server: Any, reader: Reader) -> None:
    """Handle messages until the stream ends (or an `exit` notification raises SystemExit)."""
    while True:
        body = await read_message(reader)
        if body is None:
            log.info("the client closed the connection")
            return
        dispatch(server, body)
        await asyncio.sleep(0)  # let handlers scheduled by this message start


def stdio_streams() -> tuple[BinaryIO, BinaryIO]:
    """The binary stdin and stdout; `sys.stdout` then points at stderr so a stray print
    cannot corrupt the protocol stream."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    return stdin, stdout

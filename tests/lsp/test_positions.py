"""Position encodings: UTF-16, UTF-8 and UTF-32 clients get ranges in their own units, and
their edits land where they meant them, on lines with emoji, CJK, combining marks, CRLF and the
characters `str.splitlines()` would wrongly treat as line breaks."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.helpers import change, config, open_and_wait, published, rng, summary

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

# client -> the encoding it should get
CLIENTS = {"visual-studio-code": "utf-16", "neovim@v0.11.0": "utf-8", "emacs": "utf-32"}
SELECT = ["DL3048", "DL3000", "DL3020"]
COMBINING = "e\u0301"  # e + COMBINING ACUTE ACCENT: two code points, one character on screen


def units(text: str, col: int, encoding: str) -> int:
    """Column `col` (code points) of `text` in the encoding's units, computed independently."""
    prefix = text[:col]
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le")) // 2
    if encoding == "utf-8":
        return len(prefix.encode("utf-8"))
    return len(prefix)


@pytest_lsp.fixture(scope="module", params=list(CLIENTS), config=config())
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param), initialization_options={"dlint": {"select": SELECT}}
    )
    result = await lsp_client.initialize_session(params)
    lsp_client.encoding = str(result.capabilities.position_encoding)  # type: ignore[attr-defined]
    lsp_client.expected_encoding = CLIENTS[request.param]  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def uri(name: str) -> str:
    return f"file:///nonexistent/dlint-lsp-positions/{name}"


def encoding(client: LanguageClient) -> str:
    return client.encoding  # type: ignore[attr-defined, no-any-return]


async def test_the_clients_preferred_encoding_is_negotiated(client: LanguageClient) -> None:
    assert encoding(client) == client.expected_encoding  # type: ignore[attr-defined]


async def test_ranges_after_emoji_cjk_and_combining_marks(client: LanguageClient) -> None:
    lines = [
        f"# コメント 😀 {COMBINING} in a comment",
        "FROM alpine:3.20",
        'LABEL "日本😀"=x Foo_Bar=1',
        f"WORKDIR 日本😀{COMBINING}",
        "ADD --chown=😀 a.txt /x/",
    ]
    diagnostics = await open_and_wait(client, uri("unicode/Dockerfile"), "\n".join(lines) + "\n")
    enc = encoding(client)

    def at(line: int, start: int, end: int) -> tuple[int, int, int, int]:
        return (line, units(lines[line], start, enc), line, units(lines[line], end, enc))

    expected = [
        ("DL3048", *at(2, 6, 11)),  # "日本😀" with its quotes
        ("DL3048", *at(2, 14, 21)),  # Foo_Bar, after the emoji
        ("DL3000", *at(3, 8, 13)),  # 日本😀é (é as e + combining mark)
        ("DL3020", *at(4, 14, 19)),  # a.txt, after an emoji in the flag
    ]
    assert summary(diagnostics) == sorted(expected, key=lambda row: (row[1], row[2], row[0]))
    literal = {"utf-16": (2, 15, 2, 22), "utf-8": (2, 21, 2, 28), "utf-32": (2, 14, 2, 21)}[enc]
    assert ("DL3048", *literal) in summary(diagnostics)


async def test_edits_in_client_units_land_inside_a_comment(client: LanguageClient) -> None:
    """Insert a line break plus an instruction between the emoji and the combining mark of a
    comment: the new instruction's argument starts with exactly what followed the cut."""
    comment = f"# 😀{COMBINING}日本"
    target = uri("edit-comment/Dockerfile")
    await open_and_wait(client, target, f"{comment}\nFROM alpine:3.20\n")
    cut = units(comment, 3, encoding(client))  # after "# 😀"
    after = change(client, target, 2, "\nWORKDIR x", rng(0, cut, 0, cut))
    params = await published(client, target, version=2, after=after)
    line = f"WORKDIR x{COMBINING}日本"
    assert summary(params.diagnostics) == [("DL3000", 1, 8, 1, units(line, len(line), encoding(client)))]


async def test_edits_in_client_units_replace_a_label_key_after_an_emoji(client: LanguageClient) -> None:
    label = 'LABEL "😀"=1 ok=2'
    target = uri("edit-label/Dockerfile")
    diagnostics = await open_and_wait(client, target, f"FROM alpine:3.20\n{label}\n")
    assert [d.code for d in diagnostics] == ["DL3048"]  # the quoted emoji key itself
    enc = encoding(client)
    after = change(client, target, 2, "Bad_Key", rng(1, units(label, 12, enc), 1, units(label, 14, enc)))
    params = await published(client, target, version=2, after=after)
    fixed = 'LABEL "😀"=1 Bad_Key=2'
    assert ("DL3048", 1, units(fixed, 12, enc), 1, units(fixed, 19, enc)) in summary(params.diagnostics)


async def test_crlf_and_lone_cr_line_endings(client: LanguageClient) -> None:
    text = "FROM alpine:3.20\r\nWORKDIR 😀\r\nADD a.txt /x/\rWORKDIR b\r\n"
    target = uri("crlf/Dockerfile")
    diagnostics = await open_and_wait(client, target, text)
    enc = encoding(client)
    assert summary(diagnostics) == [
        ("DL3000", 1, 8, 1, units("WORKDIR 😀", 9, enc)),
        ("DL3020", 2, 4, 2, 9),
        ("DL3000", 3, 8, 3, 9),
    ]
    # Append to the end of the CRLF line 2 (client units): the CR LF pair stays intact.
    end = units("WORKDIR 😀", 9, enc)
    after = change(client, target, 2, "x", rng(1, end, 1, end))
    params = await published(client, target, version=2, after=after)
    assert summary(params.diagnostics)[0] == ("DL3000", 1, 8, 1, end + 1)


async def test_characters_splitlines_would_break_on_are_not_line_ends(client: LanguageClient) -> None:
    """Form feed, U+2028 and U+0085 in a comment do not end the line (LSP clients count only
    CR and LF), so the lines below keep their numbers, before and after an edit."""
    text = "# a\x0cb\u2028c\x85d\nFROM alpine:3.20\nWORKDIR rel\n"
    target = uri("separators/Dockerfile")
    diagnostics = await open_and_wait(client, target, text)
    assert summary(diagnostics) == [("DL3000", 2, 8, 2, 11)]
    after = change(client, target, 2, "other", rng(2, 8, 2, 11))
    params = await published(client, target, version=2, after=after)
    assert summary(params.diagnostics) == [("DL3000", 2, 8, 2, 13)]

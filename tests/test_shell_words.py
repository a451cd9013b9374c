"""Quote removal and the fallback tokenizer of the shell analysis."""

from __future__ import annotations

import pytest

from docklint.model.shell_words import segments, tokens, unquote


@pytest.mark.parametrize(
    "raw, value, quoted, expansion",
    [
        ("plain", "plain", False, False),
        ("'a b'", "a b", True, False),
        ('"a $b"', "a $b", True, True),
        ("'$b'", "$b", True, False),
        ('"a\\"b\\\\c\\d"', 'a"b\\c\\d', True, False),
        ("a\\ b", "a b", True, False),
        ("$'a\\tb'", "a\tb", True, False),
        ('"$(echo "x y")"z', '$(echo "x y")z', True, True),
        ("`id -u`", "`id -u`", False, True),
        ("${A:-'d'}", "${A:-'d'}", False, True),
        ("pre'mid'\"post\"", "premidpost", True, False),
    ],
)
def test_unquote(raw: str, value: str, quoted: bool, expansion: bool) -> None:
    got, offsets, got_quoted, got_expansion = unquote(raw)
    assert (got, got_quoted, got_expansion) == (value, quoted, expansion)
    assert len(offsets) == len(got)
    # Every value character comes from a raw character equal to it, or an escape it decodes.
    for char, offset in zip(got, offsets):
        assert raw[offset] == char or raw[offset - 1] == "\\"


def test_segments_respect_quotes_substitutions_and_comments() -> None:
    text = "a 'x && y' && b \"$(c | d)\" | e; f || g & h # i && j\nk"
    parts = [(text[s:e].strip(), op) for s, e, op in segments(text)]
    assert parts == [
        ("a 'x && y'", "&&"), ('b "$(c | d)"', "|"), ("e", ";"), ("f", "||"), ("g", "&"), ("h", "\n"), ("k", ""),
    ]
    assert [text[s:e].strip() for s, e, _ in segments(text, pipes=False)][1] == 'b "$(c | d)" | e'


def test_segments_keep_heredoc_bodies_with_their_command() -> None:
    text = "cat <<-'E' > f; echo\n\tx && y\n\tE\nz"
    parts = [(text[s:e], op) for s, e, op in segments(text)]
    assert parts == [("cat <<-'E' > f", ";"), (" echo\n\tx && y\n\tE", "\n"), ("z", "")]


def test_tokens_split_redirections() -> None:
    text = "echo a>b 2>&1 >>c <d x=(1 2) &>/dev/null"
    assert [text[s:e] for s, e in tokens(text, 0, len(text))] == [
        "echo", "a", ">", "b", "2>&", "1", ">>", "c", "<", "d", "x=(1 2)", "&>", "/dev/null",
    ]

"""The Dockerfile model on every file of the shared corpus: no error, exact tiling, and the same
instructions on the same lines as dockerfile-parse wherever heredocs are not involved."""

from __future__ import annotations

from pathlib import Path

import pytest

from docklint.engine import lint_text, read_text
from docklint.model.dockerfile import parse
from docklint.model.nodes import Instruction

from .conftest import corpus_files


def _tiles(text: str) -> None:
    df = parse(text)
    spans = [node.span for node in df.nodes]
    rebuilt = "".join(df.source.slice(span) for span in spans)
    assert rebuilt == text
    for before, after in zip(spans, spans[1:]):
        assert before.end == after.start, (before, after)
    for node in df.nodes:
        # a node's range lies inside its span and slices to text that starts its span's text
        assert node.span.start <= node.range.start and node.range.end <= node.span.end
        if isinstance(node, Instruction):
            assert df.source.slice(node.keyword_range) == node.keyword_raw
            for flag in node.flags:
                assert df.source.slice(flag.name_range) == "--" + flag.name or df.source.slice(
                    flag.name_range
                ).lower() == "--" + flag.name
            for word in node.words:
                assert df.source.slice(word.range) == word.raw or "\n" in df.source.slice(word.range)


def test_corpus_parses_and_tiles(corpus: list[Path]) -> None:
    failures = []
    for path in corpus:
        text = read_text(path)
        try:
            _tiles(text)
            _tiles(text.replace("\n", "\r\n"))
            _tiles(text.rstrip("\n"))
        except AssertionError as error:
            failures.append(f"{path}: {error}")
    assert not failures, failures[:5]


def test_corpus_lints_without_internal_errors(corpus: list[Path]) -> None:
    crashed = []
    for path in corpus:
        result = lint_text(read_text(path), str(path))
        crashed += [f"{path}: {f.message}" for f in result.findings if f.code == "DF000"]
    assert not crashed, crashed[:5]


def test_instruction_lines_agree_with_dockerfile_parse(corpus: list[Path]) -> None:
    """dockerfile-parse is the independent oracle for where instructions start."""
    from dockerfile_parse import DockerfileParser

    disagreements = []
    compared = 0
    for path in corpus:
        text = read_text(path)
        if "<<" in text or "escape=" in text:
            continue  # dockerfile-parse knows neither heredocs nor the escape directive
        model = parse(text)
        if any(i.empty_continuation_lines for i in model.instructions):
            continue  # BuildKit skips blank lines inside a continuation; dockerfile-parse ends there
        if text.rstrip().endswith("\\"):
            continue  # dockerfile-parse drops an instruction continued up to the end of the file
        ours = [(i.keyword, i.first_line) for i in model.instructions]
        parser = DockerfileParser(fileobj=None, cache_content=False)
        parser.content = text
        theirs = [(entry["instruction"], entry["startline"]) for entry in parser.structure if entry["instruction"] != "COMMENT"]
        compared += 1
        if ours != theirs:
            disagreements.append(f"{path}: ours {ours[:3]}... theirs {theirs[:3]}...")
    assert compared > 1000
    assert not disagreements, disagreements[:5]


@pytest.mark.parametrize(
    "text",
    ["", "\n", "\r\n", "FROM", "FROM x\\", "FROM x \\\n", "RUN <<", "RUN <<EOF", "\ufeffFROM a\n", "# escape=`\nFROM a `\n  b", "\r", "FROM a\rRUN b\r"],
)
def test_edge_inputs_tile(text: str) -> None:
    _tiles(text)

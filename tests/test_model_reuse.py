"""Parses and analyses reused across texts (memo tables, relocated templates) equal fresh ones.

Each corpus file is parsed after an edited copy of itself (a line inserted or removed, CRLF
line ends, a changed escape character): the instructions then come from the memo tables at
other lines and offsets than where they were first parsed. The model, every shell script of
it, and the findings must be exactly what a parse with empty tables gives.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from docklint.engine import lint_text, read_text
from docklint.model.dockerfile import Dockerfile, iter_with_onbuild, parse
from docklint.model.memo import clear_all
from docklint.model.nodes import Instruction, Word
from docklint.model.source import MappedText

from .conftest import corpus_files


def _agrees(mapped: MappedText, df: Dockerfile) -> bool:
    """Whether `mapped` points into `df`'s source, or into an earlier text of the same path that
    holds the same characters up to its end (instructions shared from the last parse)."""
    if mapped.source is df.source:
        return True
    text_offset, source_offset = mapped.pieces[-1]
    end = source_offset + len(mapped.text) - text_offset
    return mapped.source.text[:end] == df.source.text[:end]


def _text(mapped: MappedText, df: Dockerfile) -> tuple[Any, ...]:
    assert _agrees(mapped, df), "a text of the model points into another text"
    return (mapped.text, mapped.pieces)


def _words(words: tuple[Word, ...]) -> list[tuple[Any, ...]]:
    return [(w.raw, w.value, w.range) for w in words]


def _instruction(inst: Instruction, df: Dockerfile) -> tuple[Any, ...]:
    return (
        inst.index, inst.keyword, inst.keyword_raw, inst.range, inst.span, inst.keyword_range,
        inst.flags, _text(inst.args, df), inst.args_range, _words(inst.words),
        [(h.delimiter, h.quoted, h.strip_tabs, h.marker_range, _text(h.body, df), h.body_range, h.end_range)
         for h in inst.heredocs],
        inst.json_args, inst.json_invalid, inst.inner_comments, inst.empty_continuation_lines,
        inst.stage_index, inst.parent.index if inst.parent is not None else None,
        _instruction(inst.onbuild, df) if inst.onbuild is not None else None,
        inst.first_line, inst.last_line,
    )


def _script(script: Any, df: Dockerfile) -> tuple[Any, ...]:
    commands = []
    for command in script.commands:
        commands.append((
            command.name, [(w.value, w.raw, w.offset, w.quoted, w.has_expansion, w.range) for w in command.argv],
            [(w.value, w.raw, w.range) for w in command.assignments],
            [(r.op, r.fd, r.target.range if r.target else None, r.range) for r in command.redirects],
            command.range, command.nested, command.parent.index if command.parent else None,
            command.negated, command.in_condition, command.fallback,
            command.piped_from.index if command.piped_from else None,
            command.piped_to.index if command.piped_to else None,
            command.instruction.index if command.instruction else None, command.index,
            [(f.name, f.value) for f in command.flags], [w.range for w in command.positionals()],
            _agrees(command.text, df), command.text is script.text,
            [w.exact for w in command.argv],
        ))
    return (
        _text(script.text, df), script.kind, script.shell, script.shell_argv, script.interpreter,
        script.fallback, script.tokenized, script.shell_options, script.set_options, script.mounts,
        script.instruction.index, commands,
    )


def snapshot(df: Dockerfile) -> tuple[Any, ...]:
    """Everything the model says, as plain values (positions included)."""
    nodes = [
        _instruction(node, df) if isinstance(node, Instruction) else (type(node).__name__, node)
        for node in df.nodes
    ]
    stages = [
        (s.index, s.from_.index, s.name, s.name_range, s.base_text, s.base_range, s.base, s.base_stage,
         s.platform, [i.index for i in s.instructions], s.base_unresolved)
        for s in df.stages
    ]
    scripts = [_script(script, df) for inst in iter_with_onbuild(df.instructions) for script in df.scripts(inst)]
    pairs = [
        [(kv.key, kv.value, kv.key_range, kv.value_range, kv.range, kv.legacy) for kv in df.key_values(inst)]
        for inst in iter_with_onbuild(df.instructions)
        if inst.keyword in ("ENV", "ARG", "LABEL")
    ]
    scopes = [df.scope(inst) for inst in iter_with_onbuild(df.instructions)]
    return (
        df.escape, df.directives, nodes, df.comments, stages, [i.index for i in df.global_args],
        df.problems, scripts, pairs, scopes,
    )


def variants(text: str, seed: int) -> list[str]:
    """Edited copies of `text`: a line inserted, a line removed, CRLF ends, the other escape."""
    rng = random.Random(seed)
    lines = text.split("\n")
    at = rng.randrange(len(lines) + 1)
    out = [
        "\n".join([*lines[:at], "LABEL dlint.test=1", *lines[at:]]),
        "\n".join(lines[:at] + lines[at + 1 :]),
        "\n".join(lines[1:]),
        text.replace("\n", "\r\n"),
        "# escape=`\n" + text,
    ]
    return out


def check(text: str, seed: int) -> None:
    clear_all()
    fresh = snapshot(parse(text))
    for variant in variants(text, seed):
        clear_all()
        parse(variant)
        assert snapshot(parse(text)) == fresh
        snapshot(parse(variant))  # reused again, in the other direction
    # and the same text twice in one process
    assert snapshot(parse(text)) == fresh


CASES = [
    "FROM alpine\nRUN echo a \\\n  # note\n\n  && echo b\nRUN echo a \\\n  && echo c\n",
    "FROM alpine\nRUN <<EOF\nset -e\necho hi\nEOF\nRUN <<EOF\nset -e\necho hi\n",
    "FROM alpine\nONBUILD RUN --mount=type=cache,target=/x apk add curl\nCOPY --from=b --chmod=7 a b\n",
    "FROM alpine\nRUN echo 'unterminated \\",
    "FROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"a\", \"b\"]",
    "FROM alpine\nRUN cat <<-A <<'B' | sh\n\techo a\n\tA\necho b\nB\nUNKNOWN x\nRUN --bogus=1\n",
]


@pytest.mark.parametrize("text", CASES)
def test_reused_parse_equals_fresh_parse(text: str) -> None:
    check(text, 0)
    # the text's own instructions in a different order and position
    lines = text.split("\n")
    check("\n".join([lines[0], "", *lines[1:]]), 1)


def test_corpus_reused_parse_equals_fresh_parse(corpus: list[Path]) -> None:
    rng = random.Random(6)
    sample = rng.sample(corpus, 120) + [p for p in corpus if p.stat().st_size > 12_000][:10]
    for index, path in enumerate(sample):
        check(read_text(path), index)


def test_corpus_findings_after_edits_equal_fresh_findings(corpus: list[Path]) -> None:
    rng = random.Random(7)
    for index, path in enumerate(rng.sample(corpus, 40)):
        text = read_text(path)
        clear_all()
        fresh = [f.to_dict() if hasattr(f, "to_dict") else f for f in lint_text(text, str(path)).findings]
        for variant in variants(text, index)[:3]:
            lint_text(variant, str(path))
            again = [f.to_dict() if hasattr(f, "to_dict") else f for f in lint_text(text, str(path)).findings]
            assert again == fresh, path


def test_memo_tables_are_bounded() -> None:
    from docklint.model import memo

    clear_all()
    for path in corpus_files()[:300]:
        parse(read_text(path))
    for table in memo._TABLES:
        assert len(table) <= table.size
        assert table.budget is None or table.weight <= table.budget
    for function in memo._LRU_FUNCTIONS:
        info = function.cache_info()
        assert info.maxsize is not None and info.currsize <= info.maxsize


def test_memo_evicts_least_recently_used_by_count_and_weight() -> None:
    from docklint.model.memo import Memo

    table: Memo[str] = Memo("test", 3, budget=10)
    for key in "abc":
        table.put(key, key.upper(), 2)
    assert table.get("a") == "A" and table.get("x") is None  # a is now the most recent
    table.put("d", "D", 2)  # four entries: the least recently used (b) goes
    assert list(table._data) == ["c", "a", "d"] and table.weight == 6
    table.put("e", "E", 7)  # 6 + 7 > 10: c, then a go
    assert list(table._data) == ["d", "e"] and table.weight == 9
    table.put("e", "E2", 1)  # replacing an entry replaces its weight
    assert table.get("e") == "E2" and table.weight == 3
    table.put("f", "F", 50)  # heavier than the budget alone: kept, everything else goes
    assert list(table._data) == ["f"] and table.weight == 50
    assert (table.hits, table.misses) == (2, 1)
    table.clear()
    assert len(table) == 0 and table.weight == 0


def test_a_parse_of_an_edited_text_shares_the_instructions_before_the_edit() -> None:
    clear_all()
    text = "FROM alpine:3.20\nRUN apk add curl \\\n  && echo done\n# note\nRUN echo two\n"
    first = parse(text, "a/Dockerfile")
    scripts = first.scripts(first.instructions[1])
    edited = parse(text.replace("two", "three"), "a/Dockerfile")
    assert edited.instructions[0] is first.instructions[0] and edited.instructions[1] is first.instructions[1]
    assert edited.scripts(edited.instructions[1]) is scripts  # worked out once
    assert edited.instructions[2] is not first.instructions[2]
    assert edited.instructions[2].args.text == "echo three"
    # Another path shares nothing; nor does an instruction that a continuation now extends.
    assert parse(text, "b/Dockerfile").instructions[0] is not first.instructions[0]
    open_end = parse("FROM alpine:3.20\nRUN echo a \\\n", "c/Dockerfile")
    extended = parse("FROM alpine:3.20\nRUN echo a \\\n  b\n", "c/Dockerfile")
    assert extended.instructions[1] is not open_end.instructions[1]
    assert extended.instructions[1].args.text == "echo a   b"
    assert snapshot(extended) == snapshot(parse("FROM alpine:3.20\nRUN echo a \\\n  b\n", "d/Dockerfile"))

"""The bashlex-free reader of simple scripts (`model/shell_simple.py`) gives bashlex's trees.

On every shell-form RUN script of the corpus, and on each top-level segment of it, whatever the
simple reader accepts must parse with bashlex to the same tree (kinds, positions, words,
operators). The simple reader exists only to skip importing bashlex, never to read differently.
"""

from __future__ import annotations

import pytest

from docklint.model import shell_simple
from docklint.model.dockerfile import iter_with_onbuild, parse
from docklint.model.shell_parse import load_bashlex
from docklint.model.shell_words import segments

from .conftest import corpus_files


def _scripts() -> list[str]:
    texts: dict[str, None] = {}
    for path in corpus_files():
        df = parse(path.read_text(encoding="utf-8", errors="replace"), str(path))
        for inst in iter_with_onbuild(df.instructions):
            if inst.keyword != "RUN" or inst.json_args is not None:
                continue
            text = inst.args.text
            texts[text] = None
            for start, end, _op in segments(text, pipes=False):
                texts[text[start:end]] = None
            for heredoc in inst.heredocs:
                for line in heredoc.body.text.split("\n"):
                    texts[line] = None
    return list(texts)


def _bashlex_dump(text: str) -> list[str] | None:
    try:
        return [shell_simple.dump(tree) for tree in load_bashlex().parse(text)]
    except Exception:  # noqa: BLE001 - bashlex rejects with several exception types
        return None


def test_simple_reader_agrees_with_bashlex_on_the_corpus() -> None:
    texts = _scripts()
    accepted = [t for t in texts if shell_simple.parse(t) is not None]
    assert len(accepted) > 1000, "the simple reader accepts almost nothing"
    wrong = []
    for text in accepted:
        ours = [shell_simple.dump(tree) for tree in shell_simple.parse(text) or ()]
        if ours != _bashlex_dump(text):
            wrong.append(text)
    assert not wrong, wrong[:20]


@pytest.mark.parametrize(
    "text",
    [
        "echo $HOME", "echo `date`", "a > out", "(a)", "{ a; }", "if true; then a; fi", "X=1 a",
        "a # note", "cd ~", "a &", "a\nb", "a &&", "| a", "a ;; b", "echo \"$x\"", "echo 'a", "! a",
        "a\\ b", "time a", "a <(b)",
    ],
)
def test_simple_reader_leaves_the_rest_to_bashlex(text: str) -> None:
    assert shell_simple.parse(text) is None


def test_simple_reader_shapes() -> None:
    [tree] = shell_simple.parse("a b | c && d ;") or []
    assert shell_simple.dump(tree) == (
        "(list (0, 14) [(pipeline (0, 7) [(command (0, 3) [(word (0, 1) word='a'), (word (2, 3) word='b')]), "
        "(pipe (4, 5) pipe='|'), (command (6, 7) [(word (6, 7) word='c')])]), (operator (8, 10) op='&&'), "
        "(command (11, 12) [(word (11, 12) word='d')]), (operator (13, 14) op=';')])"
    )

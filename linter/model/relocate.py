"""Moving parsed pieces of a Dockerfile to another place in another text.

An instruction's parse depends only on the text of its lines (and the escape character, and
whether it runs to the end of the file), never on where those lines sit. `dockerfile.py` keeps
the parse of an instruction's lines, with its texts detached from the file, and moves it to
where the same lines are found again: every `Range` shifts by a number of lines (columns stay),
every `MappedText` by a number of characters and onto the new `Source`. The result equals what
parsing those lines in place gives, object for object. Ranges, flags and comments are immutable
values: when the lines did not move they are shared, not copied.
"""

from __future__ import annotations

from docklint.model.nodes import Comment, Flag, Heredoc, Instruction, SyntaxProblem, Word
from docklint.model.source import MappedText, Pos, Range, Source


def shift(rng: Range, lines: int) -> Range:
    if not lines:
        return rng  # ranges are immutable values: an instruction on the same line shares them
    start, end = rng.start, rng.end
    return Range(Pos(start.line + lines, start.col), Pos(end.line + lines, end.col))


def move_text(text: MappedText, source: Source, chars: int) -> MappedText:
    return MappedText(text.text, source, tuple([(t, s + chars) for t, s in text.pieces]))


def move_instruction(
    inst: Instruction, source: Source, lines: int, chars: int, parent: Instruction | None = None
) -> Instruction:
    """A copy of `inst` `lines` lines and `chars` characters further on, in `source`."""
    args = move_text(inst.args, source, chars)
    moved = Instruction(
        index=inst.index,
        keyword=inst.keyword,
        keyword_raw=inst.keyword_raw,
        range=shift(inst.range, lines),
        span=shift(inst.span, lines),
        keyword_range=shift(inst.keyword_range, lines),
        flags=tuple([_move_flag(flag, lines) for flag in inst.flags]) if inst.flags and lines else inst.flags,
        args=args,
        args_range=shift(inst.args_range, lines),
        words=tuple([_move_word(word, args, lines) for word in inst.words]),
        heredocs=tuple([_move_heredoc(h, source, lines, chars) for h in inst.heredocs]) if inst.heredocs else (),
        json_args=inst.json_args,
        json_invalid=inst.json_invalid,
        inner_comments=tuple([move_comment(c, lines) for c in inst.inner_comments]) if lines else inst.inner_comments,
        empty_continuation_lines=tuple([line + lines for line in inst.empty_continuation_lines]) if lines else inst.empty_continuation_lines,
        stage_index=inst.stage_index,
        parent=parent,
        first_line=inst.first_line + lines,
        last_line=inst.last_line + lines,
    )
    if inst.onbuild is not None:
        moved.onbuild = move_instruction(inst.onbuild, source, lines, chars, parent=moved)
    return moved


def move_comment(comment: Comment, lines: int) -> Comment:
    return Comment(comment.text, shift(comment.range, lines), shift(comment.span, lines), comment.directive)


def move_problem(problem: SyntaxProblem, lines: int) -> SyntaxProblem:
    if not lines:
        return problem
    return SyntaxProblem(shift(problem.range, lines), problem.message)


def _move_word(word: Word, args: MappedText, lines: int) -> Word:
    if word._text is not None:  # lazy: the same offsets in the moved text
        return Word.lazy(word.raw, word.value, args, word._start, word._end)
    return Word(word.raw, word.value, shift(word.range, lines))


def _move_flag(flag: Flag, lines: int) -> Flag:
    value_range = shift(flag.value_range, lines) if flag.value_range is not None else None
    return Flag(flag.name, flag.value, shift(flag.range, lines), shift(flag.name_range, lines), value_range)


def _move_heredoc(heredoc: Heredoc, source: Source, lines: int, chars: int) -> Heredoc:
    return Heredoc(
        heredoc.delimiter,
        heredoc.quoted,
        heredoc.strip_tabs,
        shift(heredoc.marker_range, lines),
        move_text(heredoc.body, source, chars),
        shift(heredoc.body_range, lines),
        shift(heredoc.end_range, lines) if heredoc.end_range is not None else None,
    )

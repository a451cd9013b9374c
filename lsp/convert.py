"""Our values <-> lsprotocol's: positions in the negotiated encoding, diagnostics, edits, fixes.

Inside dlint a column counts code points; an LSP client counts UTF-16 code units unless it
negotiated UTF-8 or UTF-32. Conversion happens here only, on *our* line text (a `Source`), with
pygls' position codec doing the unit counting. Nothing here knows an individual rule: tags come
from words in rule names and tags, links from `Rule.docs_url`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from docklint.model.source import Pos, Range, Source, common_prefix
from docklint.shellcheck import wiki_url as shellcheck_wiki

if TYPE_CHECKING:
    from docklint.rule import Finding, Fix, Rule

SOURCE = "dlint"

SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
    "style": types.DiagnosticSeverity.Hint,
}
_DEPRECATED = re.compile(r"(^|-)deprecated($|-)")
_UNNECESSARY = re.compile(r"^(redundant|unused|unnecessary|useless)-")
_CODECS: dict[str, PositionCodec] = {}


def codec(encoding: str) -> PositionCodec:
    found = _CODECS.get(encoding)
    if found is None:
        found = _CODECS[encoding] = PositionCodec(encoding)
    return found


class Positions:
    """Converts positions between our code points and the client's units, on one text."""

    __slots__ = ("source", "encoding", "_codec")

    def __init__(self, source: Source, encoding: str = types.PositionEncodingKind.Utf16) -> None:
        self.source = source
        self.encoding = str(encoding)
        self._codec = codec(self.encoding)

    def to_client(self, pos: Pos) -> types.Position:
        """Our position as the client counts it; a position past the text clamps to its end."""
        source = self.source
        if pos.line >= source.line_count:
            end = source.end()
            return types.Position(end.line, self._units(source.line(end.line), end.col))
        return types.Position(pos.line, self._units(source.line(pos.line), pos.col))

    def range_to_client(self, rng: Range) -> types.Range:
        return types.Range(self.to_client(rng.start), self.to_client(rng.end))

    def position_json(self, pos: Pos) -> dict[str, int]:
        """`to_client` as the JSON the protocol sends (see `diagnostic_json`)."""
        source = self.source
        if pos.line >= source.line_count:
            pos = source.end()
        return {"line": pos.line, "character": self._units(source.line(pos.line), pos.col)}

    def from_client(self, position: types.Position) -> Pos:
        """The client's position in code points. Past the end of a line clamps to the line's
        end and past the last line to the end of the text, as the LSP spec asks."""
        source = self.source
        if position.line < 0:
            return Pos(0, 0)
        if position.line >= source.line_count:
            return source.end()
        line = source.line(position.line)
        character = max(position.character, 0)
        if line.isascii() or self.encoding == types.PositionEncodingKind.Utf32:
            return Pos(position.line, min(character, len(line)))
        counted = 0
        for index, char in enumerate(line):
            if counted >= character:
                return Pos(position.line, index)
            counted += self._codec.client_num_units(char)
        return Pos(position.line, len(line))

    def range_from_client(self, rng: types.Range) -> Range:
        return Range(self.from_client(rng.start), self.from_client(rng.end))

    def offset(self, position: types.Position) -> int:
        """The index into the text of the client's position."""
        return self.source.offset(self.from_client(position))

    def _units(self, line: str, col: int) -> int:
        col = min(col, len(line))
        if self.encoding == types.PositionEncodingKind.Utf32 or line.isascii():
            return col
        return int(self._codec.client_num_units(line[:col]))


def rule_tags(rule: Rule | None) -> list[types.DiagnosticTag] | None:
    """`Deprecated` / `Unnecessary` for rules whose name or tags say so."""
    if rule is None:
        return None
    words = (rule.name, *rule.tags)
    tags = []
    if any(_DEPRECATED.search(word) for word in words) or "deprecated" in rule.tags:
        tags.append(types.DiagnosticTag.Deprecated)
    if any(_UNNECESSARY.search(word) for word in words) or "unnecessary" in rule.tags:
        tags.append(types.DiagnosticTag.Unnecessary)
    return tags or None


def diagnostic(finding: Finding, positions: Positions, version: int | None, rule: Rule | None) -> types.Diagnostic:
    """One finding as an LSP diagnostic; `data` carries the fix and the document version."""
    data: dict[str, Any] = {"version": version}
    if finding.fix is not None:
        data["fix"] = fix_to_data(finding.fix)
    href = rule.docs_url if rule is not None else shellcheck_wiki(finding.code)
    return types.Diagnostic(
        range=positions.range_to_client(finding.range),
        message=finding.message,
        severity=SEVERITY.get(str(finding.severity), types.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href is not None else None,
        source=SOURCE,
        tags=rule_tags(rule),
        data=data,
    )


def diagnostics(findings: Iterable[Finding], positions: Positions, version: int | None) -> list[types.Diagnostic]:
    from docklint.registry import registry

    by_code = registry().by_code
    return [diagnostic(f, positions, version, by_code.get(f.code)) for f in findings]


# What `diagnostic` gives, as the JSON lsprotocol's converter makes of it, built directly.
# publishDiagnostics is sent after every edit: building lsprotocol objects (attrs, validated)
# and then unstructuring them with cattrs cost about 2 ms for 80 diagnostics, this a tenth of
# that. tests/lsp/test_wire.py checks that both give the same JSON.
_SEVERITY_JSON = {name: int(value) for name, value in SEVERITY.items()}
_TAGS_JSON: dict[str, list[int] | None] = {}


def diagnostic_json(finding: Finding, positions: Positions, version: int | None, rule: Rule | None) -> dict[str, Any]:
    data: dict[str, Any] = {"version": version}
    if finding.fix is not None:
        data["fix"] = fix_to_data(finding.fix)
    rng = finding.range
    out: dict[str, Any] = {
        "range": {"start": positions.position_json(rng.start), "end": positions.position_json(rng.end)},
        "message": finding.message,
        "severity": _SEVERITY_JSON.get(str(finding.severity), int(types.DiagnosticSeverity.Warning)),
        "code": finding.code,
    }
    href = rule.docs_url if rule is not None else shellcheck_wiki(finding.code)
    if href is not None:
        out["codeDescription"] = {"href": href}
    out["source"] = SOURCE
    if rule is not None:
        tags = _TAGS_JSON.get(rule.code, [])
        if tags == []:
            found = rule_tags(rule)
            tags = _TAGS_JSON[rule.code] = [int(tag) for tag in found] if found else None
        if tags:
            out["tags"] = list(tags)
    out["data"] = data
    return out


def diagnostics_json(findings: Iterable[Finding], positions: Positions, version: int | None) -> list[dict[str, Any]]:
    from docklint.registry import registry

    by_code = registry().by_code
    return [diagnostic_json(f, positions, version, by_code.get(f.code)) for f in findings]


def fix_to_data(fix: Fix) -> dict[str, Any]:
    """A fix as plain JSON (our code-point positions), for `Diagnostic.data`."""
    return {
        "title": fix.title,
        "safety": str(fix.safety),
        "edits": [
            [e.range.start.line, e.range.start.col, e.range.end.line, e.range.end.col, e.new_text]
            for e in fix.edits
        ],
    }


def fix_from_data(data: Any) -> Fix | None:
    """The fix stored by `fix_to_data`, or None when `data` is not one (a client may mangle it)."""
    from docklint.rule import Fix, Safety, TextEdit

    try:
        edits = tuple(
            TextEdit(Range(Pos(int(a), int(b)), Pos(int(c), int(d))), str(text))
            for a, b, c, d, text in data["edits"]
        )
        return Fix(str(data["title"]), edits, Safety(data["safety"]))
    except (KeyError, TypeError, ValueError):
        return None


def text_edits(edits: Sequence[Any], positions: Positions) -> list[types.TextEdit]:
    """Our `TextEdit`s as LSP text edits in the client's units."""
    return [types.TextEdit(range=positions.range_to_client(e.range), new_text=e.new_text) for e in edits]


def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    """A workspace edit for one document: versioned `documentChanges` when the client takes them."""
    if versioned:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


def minimal_edit(old: str, new: str) -> tuple[int, int, str]:
    """The smallest single replacement turning `old` into `new`: (start, end, text) offsets."""
    start = common_prefix(old, new)
    suffix = common_prefix(old[start:][::-1], new[start:][::-1])
    end_old, end_new = len(old) - suffix, len(new) - suffix
    # Never cut a CRLF pair: a position between `\r` and `\n` does not exist for a client.
    if 0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n":
        start -= 1
    if 0 < end_old < len(old) and old[end_old - 1] == "\r" and old[end_old] == "\n":
        end_old += 1
        end_new += 1
    return start, end_old, new[start:end_new]

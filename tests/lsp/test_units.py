"""Unit tests of the server's pure parts: conversions, documents, settings, pragma edits."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from docklint.fixer import apply_edits
from docklint.lsp import settings
from docklint.lsp.linting import Configs
from docklint.lsp.convert import Positions, fix_from_data, fix_to_data, minimal_edit, rule_tags
from docklint.lsp.documents import DocumentStore, document_kind
from docklint.lsp.keywords import FLAGS, INSTRUCTIONS
from docklint.lsp.pragmas import ignore_file, ignore_instruction
from docklint.model.dockerfile import KEYWORDS, KNOWN_FLAGS, parse
from docklint.model.source import Pos, Source
from docklint.registry import registry
from docklint.rule import Fix, TextEdit


def test_descriptions_cover_every_instruction_and_flag_the_parser_knows() -> None:
    assert set(INSTRUCTIONS) == set(KEYWORDS)
    assert {k: {f.name for f in v} for k, v in FLAGS.items()} == {k: set(v) for k, v in KNOWN_FLAGS.items()}


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-16", [0, 1, 3, 4, 5, 6]), ("utf-8", [0, 1, 5, 6, 8, 11]), ("utf-32", [0, 1, 2, 3, 4, 5])],
)
def test_positions_round_trip_per_encoding(encoding: str, expected: list[int]) -> None:
    line = "a😀e\u0301日"  # a, emoji (astral), e, combining acute, CJK
    positions = Positions(Source(line + "\r\nnext"), encoding)
    assert [positions.to_client(Pos(0, col)).character for col in range(6)] == expected
    assert [positions.from_client(types.Position(0, units)).col for units in expected] == list(range(6))


def test_positions_clamp_past_the_end() -> None:
    positions = Positions(Source("ab\ncd"), "utf-16")
    assert positions.from_client(types.Position(0, 99)) == Pos(0, 2)
    assert positions.from_client(types.Position(7, 3)) == Pos(1, 2)
    assert positions.to_client(Pos(9, 0)) == types.Position(1, 2)
    # a position inside a surrogate pair rounds up to the next code point
    assert Positions(Source("😀x"), "utf-16").from_client(types.Position(0, 1)) == Pos(0, 1)


def test_document_store_applies_edits_past_the_end_and_in_order() -> None:
    store = DocumentStore()
    store.open(types.TextDocumentItem(uri="file:///d/Dockerfile", language_id="dockerfile", version=1, text="FROM a\nRUN b"))
    changes = [
        types.TextDocumentContentChangePartial(range=types.Range(types.Position(1, 5), types.Position(1, 99)), text="c"),
        types.TextDocumentContentChangePartial(range=types.Range(types.Position(9, 0), types.Position(9, 0)), text="\n"),
    ]
    document = store.change(types.VersionedTextDocumentIdentifier(version=2, uri="file:///d/Dockerfile"), changes, "utf-16")
    assert document is not None and document.text == "FROM a\nRUN bc\n" and document.version == 2


@pytest.mark.parametrize(
    ("uri", "language", "kind"),
    [
        ("file:///p/Dockerfile", "plaintext", "dockerfile"),
        ("file:///p/containerfile", "", "dockerfile"),
        ("file:///p/web.dockerfile", "", "dockerfile"),
        ("file:///p/Dockerfile.prod", "", "dockerfile"),
        ("file:///p/Dockerfile_arm", "", "dockerfile"),
        ("file:///p/any.txt", "dockerfile", "dockerfile"),
        ("file:///p/docker-compose.prod.yml", "yaml", "compose"),
        ("file:///p/x.yml", "dockercompose", "compose"),
        ("file:///etc/docker/daemon.json", "json", "daemon"),
        ("file:///p/README.md", "markdown", None),
        ("untitled:Untitled-1", "dockerfile", "dockerfile"),
    ],
)
def test_document_kinds(uri: str, language: str, kind: str | None) -> None:
    assert document_kind(uri, language) == kind


def test_settings_map_editor_names_to_config_keys() -> None:
    parsed = settings.parse(
        {"dlint": {"enable": True, "select": ["DL3020"], "ignore": ["DL3000"], "severity": {"DL3020": "info"},
                   "trustedRegistries": ["ghcr.io"], "shellcheck": False, "failureThreshold": "error", "bogus": 1}}
    )
    assert parsed.enable is True
    assert dict(parsed.values) == {
        "select": ["DL3020"], "ignore": ["DL3000"], "severity": {"DL3020": "info"},
        "trusted-registries": ["ghcr.io"], "shellcheck": False,
    }
    assert parsed.problems == ("unknown setting 'dlint.bogus'",)
    layer = parsed.layer()
    assert layer.values["trusted-registries"] == ["ghcr.io"] and layer.values["shellcheck"] is False
    assert settings.parse({"enable": False}).enable is False  # the section itself
    assert settings.parse(None) == settings.DEFAULT and settings.parse({"python": {}}) == settings.DEFAULT


def test_fix_data_round_trip_and_bad_data() -> None:
    fix = Fix.unsafe("t", TextEdit.replace(Source("abc").line_span(0, 0), "x"))
    assert fix_from_data(fix_to_data(fix)) == fix
    assert fix_from_data({"title": "t"}) is None and fix_from_data("junk") is None


def test_tags_come_from_rule_names() -> None:
    by_code = registry().by_code
    assert rule_tags(by_code["DL4000"]) == [types.DiagnosticTag.Deprecated]
    assert rule_tags(by_code["DL3020"]) is None
    unused = [r for r in registry().rules if r.name.startswith(("unused-", "redundant-"))]
    assert all(rule_tags(r) == [types.DiagnosticTag.Unnecessary] for r in unused)


@pytest.mark.parametrize(
    ("old", "new"),
    [("abc", "abc"), ("abc", "aXbc"), ("a\r\nb", "a\r\nc\r\nb"), ("", "x"), ("x", ""), ("a" * 9000 + "b", "a" * 9000 + "c")],
)
def test_minimal_edit_rebuilds_the_new_text(old: str, new: str) -> None:
    start, end, text = minimal_edit(old, new)
    assert old[:start] + text + old[end:] == new
    assert not (0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n")


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("FROM a\n\t RUN x\n", 1, "FROM a\n\t # dlint ignore=DL1\n\t RUN x\n"),
        ("\ufeffFROM a", 0, "\ufeff# dlint ignore=DL1\nFROM a"),
        ("# note\n# dlint ignore=\nFROM a\n", 2, "# note\n# dlint ignore=DL1\nFROM a\n"),
        ("# hadolint ignore=DL9\nFROM a\n", 1, "# hadolint ignore=DL9\n# dlint ignore=DL1\nFROM a\n"),
        ("RUN a \\\n  b\n", 1, "# dlint ignore=DL1\nRUN a \\\n  b\n"),
    ],
)
def test_ignore_instruction_edits(text: str, line: int, expected: str) -> None:
    edit = ignore_instruction(parse(text), line, "DL1")
    assert edit is not None and apply_edits(text, [edit]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "# dlint global ignore=DL1\n"),
        ("# syntax=x", "# syntax=x\n# dlint global ignore=DL1"),
        ("# syntax=x\r\nFROM a\r\n", "# syntax=x\r\n# dlint global ignore=DL1\r\nFROM a\r\n"),
        ("FROM a\n# dlint global ignore=DL2\n", "FROM a\n# dlint global ignore=DL2,DL1\n"),
    ],
)
def test_ignore_file_edits(text: str, expected: str) -> None:
    edit = ignore_file(parse(text), "DL1")
    assert edit is not None and apply_edits(text, [edit]) == expected
    assert ignore_file(parse(expected), "DL1") is None  # already there


def test_settings_reach_the_config_rules_see(tmp_path: Path) -> None:
    """The settings layer sits above config files: shellcheck off and severities come through."""
    (tmp_path / ".dlint.yaml").write_text("shellcheck: true\nignore: [DL3000]\n", encoding="utf-8")
    configs = Configs(lambda message: None)
    resolved = configs.get(str(tmp_path), settings.parse({"shellcheck": False, "ignore": ["DL4000"], "requireDigest": True}))
    assert resolved.shellcheck is False and resolved.require_digest is True
    assert set(resolved.ignore) == {"DL3000", "DL4000"}
    assert configs.get(str(tmp_path), settings.parse({"shellcheck": False, "ignore": ["DL4000"], "requireDigest": True})) is resolved

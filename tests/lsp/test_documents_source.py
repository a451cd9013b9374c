"""A document takes the line table a lint built for its text, and only for that very text."""

from __future__ import annotations

from lsprotocol import types

from docklint.lsp.documents import DocumentStore
from docklint.model.source import Source


def test_a_document_adopts_only_a_source_of_its_current_text() -> None:
    store = DocumentStore()
    document = store.open(types.TextDocumentItem(uri="file:///d/Dockerfile", language_id="dockerfile", version=1, text="FROM a\n"))
    built = Source(document.text)
    document.adopt(built)
    assert document.source is built
    document.adopt(Source("".join(["FROM a", "\n"])))  # an equal text, another string: ignored
    assert document.source is built
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(1, 0), types.Position(1, 0)), text="RUN x\n"
    )
    store.change(types.VersionedTextDocumentIdentifier(uri=document.uri, version=2), [change], "utf-16")
    stale = built
    document.adopt(stale)  # a lint of the previous text finishing late
    assert document.source is not stale and document.source.text == "FROM a\nRUN x\n"

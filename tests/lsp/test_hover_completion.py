"""Hover (rule docs on diagnostics, instruction descriptions on keywords) and completion."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from docklint.lsp.keywords import INSTRUCTIONS
from docklint.model.dockerfile import KNOWN_FLAGS
from docklint.registry import registry
from tests.lsp.helpers import config, open_and_wait, pos

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

CLIENTS = ["visual-studio-code", "emacs"]  # Markdown documentation, and plain strings only
TEXT = "FROM alpine:3.20\nMAINTAINER Jane Doe\n  ADD app.py /srv/\nonbuild run make\n"


@pytest_lsp.fixture(scope="module", params=CLIENTS, config=config())
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        initialization_options={"dlint": {"select": ["DL3020", "DL4000"]}},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def uri(name: str) -> str:
    return f"file:///nonexistent/dlint-lsp-hover/{name}/Dockerfile"


async def hover(client: LanguageClient, target: str, line: int, character: int) -> types.Hover | None:
    return await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(target), pos(line, character)))


async def complete(client: LanguageClient, target: str, line: int, character: int) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(target), pos(line, character))
    )
    if result is None:
        return []
    return list(result.items if isinstance(result, types.CompletionList) else result)


async def test_hover_on_a_diagnostic_shows_the_rule_documentation(client: LanguageClient) -> None:
    target = uri("rule")
    await open_and_wait(client, target, TEXT)
    result = await hover(client, target, 2, 8)  # inside `app.py`
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    assert result.range == types.Range(pos(2, 6), pos(2, 12))
    text = result.contents.value
    rule = registry().by_code["DL3020"]
    assert text.startswith("`ADD` of local `app.py` does nothing `COPY` cannot")
    for part in (rule.summary, rule.rationale, rule.bad, rule.good, rule.fix_safety or "", rule.docs_url):
        assert part in text
    assert "`# dlint ignore=DL3020`" in text


async def test_hover_on_keywords_describes_the_instruction(client: LanguageClient) -> None:
    target = uri("keyword")
    await open_and_wait(client, target, TEXT)
    result = await hover(client, target, 0, 2)
    assert result is not None and result.range == types.Range(pos(0, 0), pos(0, 4))
    assert result.contents.value.startswith(f"**FROM**\n\n{INSTRUCTIONS['FROM']}")  # type: ignore[union-attr]
    wrapped = await hover(client, target, 3, 9)  # `run` inside ONBUILD, written in lower case
    assert wrapped is not None and "**RUN**" in wrapped.contents.value  # type: ignore[union-attr]
    assert await hover(client, target, 0, 12) is None  # the image name: neither
    assert await hover(client, uri("missing"), 0, 0) is None  # a document that is not open


async def test_hover_on_overlapping_findings_shows_each(client: LanguageClient) -> None:
    target = uri("overlap")
    await open_and_wait(client, target, "FROM alpine:3.20\nMAINTAINER x\n")
    result = await hover(client, target, 1, 3)
    assert result is not None and "### DL4000 maintainer-deprecated" in result.contents.value  # type: ignore[union-attr]


async def test_completion_after_ignore_pragmas_offers_codes_and_names(client: LanguageClient) -> None:
    target = uri("pragma")
    await open_and_wait(client, target, "# dlint ignore=DL3020,DL30\n# hadolint global ignore=\nFROM alpine:3.20\n")
    items = await complete(client, target, 0, 26)
    labels = {item.label for item in items}
    everything = registry().rules
    assert labels == {n for r in everything if r.code != "DL3020" for n in (r.code, r.name)}
    item = next(i for i in items if i.label == "DL3000")
    assert item.detail == "workdir-relative-path"
    assert item.text_edit == types.TextEdit(types.Range(pos(0, 22), pos(0, 26)), "DL3000")
    docs = item.documentation
    summary = registry().by_code["DL3000"].summary
    assert (docs.value if isinstance(docs, types.MarkupContent) else docs).startswith(summary)
    hadolint = await complete(client, target, 1, 25)
    assert "copy-instead-of-add" in {item.label for item in hadolint}


async def test_completion_of_keywords_at_line_start_only(client: LanguageClient) -> None:
    target = uri("keywords")
    text = "FROM alpine:3.20\nru\nRUN apt-get install \\\n    cu\n  \nonbuild co\n"
    await open_and_wait(client, target, text)
    items = await complete(client, target, 1, 2)
    assert {i.label for i in items} == {k.lower() for k in INSTRUCTIONS}  # typed lower case
    run = next(i for i in items if i.label == "run")
    assert run.text_edit == types.TextEdit(types.Range(pos(1, 0), pos(1, 2)), "run")
    assert await complete(client, target, 3, 6) == []  # a continuation line
    assert {i.label for i in await complete(client, target, 4, 2)} == set(INSTRUCTIONS)
    onbuild = {i.label for i in await complete(client, target, 5, 10)}
    assert "copy" in onbuild and "from" not in onbuild and "onbuild" not in onbuild
    assert await complete(client, target, 0, 16) == []  # after the image name


async def test_completion_of_flags_and_their_values(client: LanguageClient) -> None:
    target = uri("flags")
    text = "FROM --pl\nCOPY --chown=1 --\nRUN --network=\nHEALTHCHECK --int\nRUN apt-get -y --\n"
    await open_and_wait(client, target, text)
    items = await complete(client, target, 0, 9)
    assert [i.label for i in items] == ["--platform"]
    assert items[0].text_edit == types.TextEdit(types.Range(pos(0, 5), pos(0, 9)), "--platform=")
    copy = {i.label: i.text_edit.new_text for i in await complete(client, target, 1, 17)}  # type: ignore[union-attr]
    assert copy["--from"] == "--from=" and copy["--link"] == "--link"
    assert set(copy) == {f"--{name}" for name in KNOWN_FLAGS["COPY"]}
    assert [i.label for i in await complete(client, target, 2, 14)] == ["default", "none", "host"]
    assert "--interval" in {i.label for i in await complete(client, target, 3, 17)}
    assert await complete(client, target, 4, 17) == []  # `--` of a command, not of RUN

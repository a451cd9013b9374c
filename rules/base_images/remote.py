"""Rules about what ADD fetches: remote files without a checksum, git refs that can move, and
local archives that ADD unpacks implicitly."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction, Word
from docklint.rule import Context, Finding, Severity, rule

HTTP = re.compile(r"^https?://", re.IGNORECASE)
# What BuildKit's ADD reads as a git repository (frontend/dockerfile/dockerfile2llb, gitutil):
# `git@host:path`, `git://`, `ssh://`, or an http(s) URL whose path ends in `.git`.
GIT = re.compile(r"^(?:git@[^:]+:|git://|ssh://|https?://[^#]+\.git(?:[#/?]|$))", re.IGNORECASE)
COMMIT_IN_PATH = re.compile(r"/[0-9a-f]{40}(?:[0-9a-f]{24})?/")
COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def git_ref(url: str) -> tuple[str, bool]:
    """The ref a git URL asks for and whether it is a full commit id.

    Both BuildKit spellings: `repo.git#ref:subdir` and the query form
    `repo.git?ref=...&commit=...&checksum=...` (a `commit` or `checksum` pins by itself).
    """
    base, _hash, fragment = url.partition("#")
    if fragment:
        ref = fragment.split(":", 1)[0]
        return ref, bool(COMMIT.match(ref.lower()))
    _path, _q, query = base.partition("?")
    params = dict(part.partition("=")[::2] for part in query.split("&") if part)
    for key in ("commit", "checksum"):
        if COMMIT.match(params.get(key, "").lower()):
            return params[key], True
    ref = params.get("ref") or params.get("tag") or params.get("branch") or ""
    return ref, bool(COMMIT.match(ref.lower()))


def sources_of(df: Dockerfile, inst: Instruction) -> Iterator[tuple[Word, str]]:
    """The sources of one ADD with variables expanded where known."""
    sources, _dest = copy_paths(inst)
    for word in sources:
        value = word.value
        if "$" in value:
            value = df.expand(inst, value)[0]
        yield word, value


@rule(
    code="DF110",
    name="add-remote-url-without-checksum",
    severity=Severity.WARNING,
    summary="ADD downloads a URL without `--checksum`",
    message="`ADD {url}` trusts whatever the server returns, and the file can change between "
    "builds; add `--checksum=sha256:<digest>` so the build fails when it does",
    rationale=(
        "A remote file can be replaced on the server, or in transit when fetched over plain "
        "http, and ADD would copy the new content without a word. `ADD --checksum` (BuildKit, "
        "Dockerfile syntax 1.6+) verifies the download against a known digest."
    ),
    bad="FROM alpine:3.20\nADD https://example.com/tool.tar.gz /opt/",
    good="FROM alpine:3.20\nADD --checksum=sha256:24454f830cdd571e2c4ad3b5ed3e7a1f2a9e1b9b0f4b2e6c9d6e0f1a2b3c4d5e "
    "https://example.com/tool.tar.gz /opt/",
    history=True,
    needs_instructions=("ADD",),
    each=("ADD",),
    onbuild=True,
)
def add_remote_url_without_checksum(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.flag("checksum") is not None:
        return
    for word, value in sources_of(df, inst):
        if not HTTP.match(value) or GIT.match(value):
            continue
        if COMMIT_IN_PATH.search(value.split("?", 1)[0]):
            continue  # `.../raw/<commit>/file`: the URL itself names immutable content
        yield ctx.finding(word.range, url=word.value)


@rule(
    code="DF111",
    name="add-git-ref-unpinned",
    severity=Severity.WARNING,
    summary="ADD of a git repository at a branch or tag instead of a commit",
    message="`ADD {url}` takes {ref}, which can point at other commits later; pin a full commit "
    "(`#<40-hex-sha>`) or add `--checksum=<commit>`",
    rationale=(
        "Branches move with every push and tags can be re-pointed, so the same Dockerfile builds "
        "different code over time, and a compromised repository flows straight into the image. "
        "A full commit id names one tree; BuildKit also checks `ADD --checksum` against the commit."
    ),
    bad="FROM alpine:3.20\nADD https://github.com/moby/buildkit.git#v0.16.0 /src",
    good="FROM alpine:3.20\nADD https://github.com/moby/buildkit.git#2a7d2b4f7e6d4b1c9a8f0e3d5c7b9a1e2f4d6c8b /src",
    history=True,
    needs_instructions=("ADD",),
    each=("ADD",),
    onbuild=True,
)
def add_git_ref_unpinned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.flag("checksum") is not None:
        return
    for word, value in sources_of(df, inst):
        if not GIT.match(value):
            continue
        ref, pinned = git_ref(value)
        if pinned:
            continue
        described = f"the ref `{ref}`" if ref else "the default branch"
        yield ctx.finding(word.range, url=word.value, ref=described)


@rule(
    code="DF112",
    name="add-local-archive",
    severity=Severity.INFO,
    enabled=False,
    summary="ADD of a local archive, which it unpacks implicitly (opt-in)",
    message="`ADD {source}` unpacks the archive into the image without saying so; extract it "
    "explicitly (`RUN --mount=type=bind,source={source},target=/tmp/a tar -xf /tmp/a ...`) or "
    "use `ADD --unpack=true` to make the intent visible",
    rationale=(
        "ADD silently extracts local tar archives, including whatever paths and links they "
        "contain, so a tampered archive writes files where it likes. CIS Docker 4.9 and Checkov "
        "prefer COPY for everything; this is the opposite opinion to DL3010, so it is opt-in."
    ),
    bad="FROM alpine:3.20\nADD rootfs.tar.gz /",
    good="FROM alpine:3.20\nRUN --mount=type=bind,source=rootfs.tar.gz,target=/tmp/rootfs.tar.gz \\\n"
    "    tar -xzf /tmp/rootfs.tar.gz -C /",
    needs_instructions=("ADD",),
    each=("ADD",),
    onbuild=True,
)
def add_local_archive(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    from docklint.rules.instructions import is_archive, is_url

    unpack = inst.flag("unpack")
    if unpack is not None and (unpack.value or "true").lower() == "true":
        return
    for word, value in sources_of(df, inst):
        if is_url(value) or GIT.match(value) or not is_archive(value):
            continue
        yield ctx.finding(word.range, source=word.value)

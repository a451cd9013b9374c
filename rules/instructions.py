"""Rules about single instructions: ADD versus COPY, WORKDIR, MAINTAINER, exec form."""

from __future__ import annotations

import json
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule

ARCHIVE_SUFFIXES = (
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tbz2", ".tb2", ".tar.xz", ".txz",
    ".tar.lz", ".tlz", ".tar.lzma", ".tar.z", ".tz", ".tar.zst", ".tzst", ".gz", ".bz2",
    ".xz", ".lz", ".lzma", ".zst", ".z",
)  # fmt: skip
URL = re.compile(r"^(https?://|git@|git://|ssh://)", re.IGNORECASE)
# Flags COPY does not take: an ADD using them must stay an ADD.
ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})


def is_archive(path: str) -> bool:
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def is_url(path: str) -> bool:
    return bool(URL.match(path))


@rule(
    code="DL3020",
    name="copy-instead-of-add",
    severity=Severity.ERROR,
    summary="ADD copies local files or folders that are neither archives nor URLs",
    message="`ADD` of local `{source}` does nothing `COPY` cannot, but may also fetch or unpack; "
    "use `COPY`",
    rationale=(
        "`ADD` downloads URLs and unpacks local tar archives on the fly. For plain files and "
        "folders it behaves like `COPY`, but readers must check whether extraction or a fetch "
        "happens. `COPY` says exactly what it does."
    ),
    bad="FROM alpine:3.20\nADD app/ /srv/app/",
    good="FROM alpine:3.20\nCOPY app/ /srv/app/",
    fix_safety="Safe: none of the sources is an archive or URL, so `COPY` copies the same files.",
    tags=(),
    history=True,
    each=("ADD",),
)
def copy_instead_of_add(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    sources, _dest = copy_paths(inst)
    plain = [w for w in sources if not is_archive(w.value) and not is_url(w.value)]
    if not plain:
        return
    fix = None
    if not any(f.name in ADD_ONLY_FLAGS for f in inst.flags):
        copy = "copy" if inst.keyword_raw.islower() else "COPY"
        fix = Fix.safe("Replace `ADD` with `COPY`", TextEdit.replace(inst.keyword_range, copy))
    yield ctx.finding(plain[0].range, fix=fix, source=plain[0].value)


@rule(
    code="DL3000",
    name="workdir-relative-path",
    severity=Severity.ERROR,
    summary="WORKDIR is a relative path",
    message="`WORKDIR {path}` is relative, so where it lands depends on every earlier WORKDIR "
    "and on the base image; use an absolute path",
    rationale=(
        "A relative WORKDIR resolves against the previous one, which may come from a base image "
        "you do not control. An absolute path says where files go whatever the base does. "
        "(BuildKit's WorkdirRelativePath only checks before the first absolute WORKDIR; dlint "
        "follows hadolint and checks every one.)"
    ),
    bad="FROM alpine:3.20\nWORKDIR app",
    good="FROM alpine:3.20\nWORKDIR /app",
    buildkit=("WorkdirRelativePath",),
    each=("WORKDIR",),
)
def workdir_relative_path(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    path = inst.args.text.strip().strip("\"'")
    if not path or path.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return
    if df.escape == "`" and path.startswith("\\"):
        return  # a Windows path from the current drive's root
    yield ctx.finding(inst.args_range, path=path)


@rule(
    code="DL4000",
    name="maintainer-deprecated",
    severity=Severity.ERROR,
    summary="MAINTAINER is deprecated",
    message="`MAINTAINER` is deprecated and ignored by image tooling; "
    "use `LABEL org.opencontainers.image.authors=...`",
    rationale=(
        "The MAINTAINER instruction sets a config field that the OCI image spec dropped. "
        "The `org.opencontainers.image.authors` label carries the same information where "
        "registries and scanners look for it."
    ),
    bad='FROM alpine:3.20\nMAINTAINER Jane Doe <jane@example.com>',
    good='FROM alpine:3.20\nLABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"',
    fix_safety="Unsafe: the image's `Author` config field is replaced by a label.",
    buildkit=("MaintainerDeprecated",),
    each=("MAINTAINER",),
)
def maintainer_deprecated(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    author = inst.args.text.strip()
    if len(author) >= 2 and author[0] == author[-1] == '"':
        author = author[1:-1]
    label = "label" if inst.keyword_raw.islower() else "LABEL"
    value = json.dumps(author, ensure_ascii=False).replace("$", "\\$")
    edit = TextEdit.replace(inst.range, f"{label} org.opencontainers.image.authors={value}")
    yield ctx.finding(inst.keyword_range, fix=Fix.unsafe("Replace with an authors label", edit))


SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\\"'*?\[\]{}~#!=]")


@rule(
    code="DL3025",
    name="json-args-recommended",
    severity=Severity.WARNING,
    summary="CMD or ENTRYPOINT in shell form",
    message="`{keyword}` in shell form runs under `/bin/sh -c`, so the app misses `docker stop`'s "
    "SIGTERM; use the JSON form `{keyword} [\"executable\", \"arg\"]`",
    rationale=(
        "In shell form the container's PID 1 is a shell that does not forward signals: "
        "`docker stop` waits its whole timeout and then kills the app without a chance to "
        "shut down cleanly. The JSON (exec) form runs the program directly."
    ),
    bad='FROM python:3.12-slim\nCMD python -m http.server',
    good='FROM python:3.12-slim\nCMD ["python", "-m", "http.server"]',
    fix_safety="Unsafe: the command stops running under a shell; offered only when it uses no "
    "shell syntax (variables, pipes, redirections, quotes).",
    buildkit=("JSONArgsRecommended",),
    needs_instructions=("CMD", "ENTRYPOINT"),
    each=("CMD", "ENTRYPOINT"),
)
def json_args_recommended(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.json_args is not None or not inst.args.text.strip():
        return
    fix = None
    if not inst.json_invalid and not SHELL_SYNTAX.search(inst.args.text):
        array = json.dumps([w.value for w in inst.words])
        fix = Fix.unsafe("Convert to JSON (exec) form", TextEdit.replace(inst.args_range, array))
    yield ctx.finding(inst.args_range, fix=fix, keyword=inst.keyword)

"""Rules about what COPY and ADD take from the build context: sensitive files, `.dockerignore`,
ignored and missing sources.

Name-based checks work on any Dockerfile; the rest needs the context on disk (`df.context_dir`,
set when a Dockerfile is linted from a file) and reads it through `docklint.context`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction, Word
from docklint.rule import Context, Finding, Severity, rule

if TYPE_CHECKING:
    from docklint.context import BuildContext, Entry

URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
MAX_PER_INSTRUCTION = 10  # DF105 findings per COPY; the rest are summed up in the last one
# Content scans per Dockerfile: our own detectors (substring checks, then regexes) read up to
# MAX_SCANNED_BYTES; detect-secrets (~0.3 ms a line) reads config-like files up to DEEP_BYTES.
MAX_SCANNED_FILES = 1000
MAX_SCANNED_BYTES = 4 * 1024 * 1024
DEEP_BYTES = 1024 * 1024
CONFIG_LIKE = re.compile(r"(?i)(?:\.(?:env|ini|cfg|conf|properties|ya?ml|toml|json|xml|sh|txt)|/[^./]+|/\.[^/]+rc)$|^[^./]+$|^\.[^/]+rc$")
SKIP_SCAN = re.compile(r"(?i)(?:\.lock|-lock\.json|\.min\.js|\.map|\.svg|\.sum)$|(?:^|/)(?:node_modules|vendor)/")


@dataclass(frozen=True, slots=True)
class LocalSource:
    """A COPY/ADD source taken from the build context, with variables expanded."""

    inst: Instruction
    word: Word
    path: str  # expanded, as written otherwise


def local_sources(df: Dockerfile) -> Iterator[LocalSource]:
    """COPY/ADD sources that come from the build context (not `--from`, URLs, heredocs)."""
    for inst in df.of("COPY", "ADD"):
        if inst.flag("from") is not None:
            continue
        sources, _dest = copy_paths(inst)
        for word in sources:
            value = word.value
            if "$" in value:
                value, resolved = df.expand(inst, value)
                if not resolved:
                    continue
            if not value or URL.match(value):
                continue
            yield LocalSource(inst, word, value)


def excludes_of(inst: Instruction) -> list[str]:
    return [f.value for f in inst.flag_values("exclude") if f.value]


# -- DF105 ---------------------------------------------------------------------------------------


@rule(
    code="DF105",
    name="sensitive-file-copied",
    severity=Severity.ERROR,
    summary="COPY or ADD brings a private key, credentials file, `.env` or `.git` into the image",
    message="`{file}` ({what}) would be copied into the image, where anyone who can pull it can "
    "read it; {advice}",
    rationale=(
        "Every file a COPY or ADD takes ends up in a layer, and deleting it in a later step "
        "does not remove it from that layer. Keys, tokens and `.env` files copied this way leak "
        "to anyone who pulls the image, and `.git` carries the project's whole history. Build "
        "secrets (`RUN --mount=type=secret`, `--mount=type=ssh`) give one step the file without "
        "storing it; `.dockerignore` keeps the rest out of the build context."
    ),
    bad="FROM alpine:3.20\nCOPY id_rsa /root/.ssh/id_rsa\nRUN git clone git@github.com:org/app.git",
    good="FROM alpine:3.20\nRUN --mount=type=ssh git clone git@github.com:org/app.git",
    tags=("secret",),
    needs_instructions=("COPY", "ADD"),
)
def sensitive_file_copied(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.context import context_of
    from docklint.sensitive_files import classify_name

    context = context_of(df)
    budget = _Budget()
    for source in local_sources(df):
        if context is None:
            sensitive = classify_name(source.path.rstrip("/"), is_dir=source.path.endswith("/"))
            if sensitive is not None and sensitive.name_is_enough and not _public_destination(source):
                yield _finding(ctx, source, source.path.rstrip("/"), sensitive.what, _advice(sensitive, False))
            continue
        yield from _from_context(ctx, context, source, budget, posixpath.basename(df.path))
    yield from _credentials_env(df, ctx)


_PUBLIC_DESTINATION = re.compile(r"(?i)(\.pub|\.asc|\.gpg)$|keyrings?/|trusted\.gpg|/etc/pki/rpm-gpg")


def _public_destination(source: LocalSource) -> bool:
    """`COPY jenkins.key /war/jenkins-key.pub`: the destination says the key is public."""
    _sources, dest = copy_paths(source.inst)
    return dest is not None and bool(_PUBLIC_DESTINATION.search(dest.value))


class _Budget:
    def __init__(self) -> None:
        self.files = MAX_SCANNED_FILES
        self.bytes = MAX_SCANNED_BYTES
        self.deep_bytes = DEEP_BYTES


def _from_context(
    ctx: Context, context: BuildContext, source: LocalSource, budget: _Budget, dockerfile: str
) -> Iterator[Finding]:
    resolution = context.resolve(source.path, excludes_of(source.inst))
    # The Dockerfile itself is DF102's to scan; reporting its secrets again here adds nothing.
    resolution.copied = [e for e in resolution.copied if e.path != dockerfile]
    whole_folder = any(entry.is_dir for entry in resolution.copied) or len(resolution.copied) > 1
    reported = 0
    for entry, what, advice in _sensitive_entries(context, resolution.copied, whole_folder, budget):
        if reported == MAX_PER_INSTRUCTION:
            break
        reported += 1
        yield _finding(ctx, source, entry.path, what, advice)


def _sensitive_entries(
    context: BuildContext, entries: list[Entry], whole_folder: bool, budget: _Budget
) -> Iterator[tuple[Entry, str, str]]:
    from docklint.sensitive_files import classify_name, confirm

    inside_reported: list[str] = []
    for entry in entries:
        if any(entry.path.startswith(folder + "/") for folder in inside_reported):
            continue  # already reported the folder (`.git/`), not each file in it
        sensitive = classify_name(entry.path, entry.is_dir)
        if sensitive is not None and entry.is_dir:
            inside_reported.append(entry.path)
            yield entry, sensitive.what, _advice(sensitive, whole_folder)
            continue
        if entry.is_dir or entry.is_link:
            continue
        if sensitive is not None:
            if confirm(sensitive, entry.path, context.read_text(entry.path)):
                yield entry, sensitive.what, _advice(sensitive, whole_folder)
            continue
        hit = _scan_file(context, entry, budget)
        if hit is not None:
            article = "an" if hit[:1].lower() in "aeio" else "a"
            yield entry, f"holds {article} {hit}", _scan_advice(whole_folder, entry.path)


def _scan_file(context: BuildContext, entry: Entry, budget: _Budget) -> str | None:
    """The masked kind of the first secret detect-secrets or our detectors find in a small text file."""
    from docklint.secrets import scan_text

    if SKIP_SCAN.search(entry.path) or budget.files <= 0 or budget.bytes < entry.size:
        return None
    text = context.read_text(entry.path)
    if text is None:
        return None
    budget.files -= 1
    budget.bytes -= len(text)
    config_like = bool(CONFIG_LIKE.search(entry.path))
    deep = config_like and budget.deep_bytes >= len(text)
    if deep:
        budget.deep_bytes -= len(text)
    for hit in scan_text(text, detect_secrets=deep):
        if hit.entropy_only or (hit.detector == "KeywordDetector" and not config_like):
            continue  # random-looking strings in code are mostly test data and ids
        return hit.masked
    return None


def _advice(sensitive: object, whole_folder: bool) -> str:
    from docklint.sensitive_files import Sensitive

    assert isinstance(sensitive, Sensitive)
    if whole_folder and sensitive.ignore_entry:
        return f"add `{sensitive.ignore_entry}` to `.dockerignore`" + (
            f" and {sensitive.advice}" if sensitive.secret_mount else ""
        )
    return sensitive.advice


def _scan_advice(whole_folder: bool, path: str) -> str:
    if whole_folder:
        return f"add `{path}` to `.dockerignore` and pass the secret with `RUN --mount=type=secret`"
    return "remove the secret from the file and pass it with `RUN --mount=type=secret`"


def _finding(ctx: Context, source: LocalSource, path: str, what: str, advice: str) -> Finding:
    return ctx.finding(source.word.range, file=path, what=what, advice=advice)


CREDENTIAL_ENV = frozenset({"GOOGLE_APPLICATION_CREDENTIALS", "AWS_SHARED_CREDENTIALS_FILE", "KUBECONFIG"})


def _credentials_env(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """`ENV GOOGLE_APPLICATION_CREDENTIALS=/app/key.json` where a COPY puts a file at that path."""
    for inst in df.of("ENV"):
        for kv in df.key_values(inst):
            if kv.key.upper() not in CREDENTIAL_ENV or not kv.value or not kv.value.startswith("/"):
                continue
            stage = df.stage_of(inst)
            if stage is None:
                continue
            for copy in stage.of("COPY"):
                if copy.flag("from") is not None:
                    continue
                sources, dest = copy_paths(copy)
                for word in sources:
                    if dest is not None and _lands_at(word.value, dest.value, kv.value):
                        yield ctx.finding(
                            word.range,
                            file=word.value,
                            what=f"the credentials `{kv.key}` points at",
                            advice="mount it for the steps that need it with `RUN --mount=type=secret,target=...`",
                        )


def _lands_at(source: str, dest: str, path: str) -> bool:
    if dest.endswith("/"):
        return posixpath.normpath(dest + posixpath.basename(source.rstrip("/"))) == posixpath.normpath(path)
    return posixpath.normpath(dest) == posixpath.normpath(path)


# -- DF106 ---------------------------------------------------------------------------------------

# What a `.dockerignore` for `COPY .` must keep out; key files are left to DF105, which sees the
# ones that exist.
MUST_IGNORE = (".git", ".env")


@rule(
    code="DF106",
    name="copy-context-without-dockerignore",
    severity=Severity.WARNING,
    summary="COPY . takes the whole build context while `.dockerignore` is missing or incomplete",
    message="`{keyword} {source}` copies the whole build context, but {problem}, so VCS history, "
    "`.env` files and keys can end up in the image; {advice}",
    rationale=(
        "`COPY . .` takes everything the build context holds. Without a `.dockerignore` that "
        "includes the `.git` folder (the project's history, often with old secrets), local `.env` "
        "files, keys and build output: they bloat the layer and leak to anyone who pulls the "
        "image, and every edit to them busts the build cache."
    ),
    bad="FROM python:3.12-slim\nWORKDIR /app\nCOPY . .",
    good="# with a .dockerignore listing .git, .env, *.pem, ...\nFROM python:3.12-slim\nWORKDIR /app\nCOPY . .",
    tags=("secret", "bloat"),
    needs_instructions=("COPY", "ADD"),
)
def copy_context_without_dockerignore(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.context import context_of
    from docklint.dockerignore import clean

    context = context_of(df)
    if context is None:
        return
    for source in local_sources(df):
        if clean(source.path) != ".":
            continue
        keyword = source.inst.keyword
        if context.ignore_file is None:
            if not context.holds_more_than_dockerfiles():
                return  # a folder of Dockerfiles: the real context is somewhere else
            yield ctx.finding(
                source.word.range,
                keyword=keyword,
                source=source.word.value,
                problem="there is no `.dockerignore`",
                advice="add one that excludes `.git`, `.env*` and key files",
            )
            continue
        missing = [name for name in MUST_IGNORE if not context.matcher.matches(name)]
        if missing:
            listed = ", ".join(f"`{name}`" for name in missing)
            yield ctx.finding(
                source.word.range,
                keyword=keyword,
                source=source.word.value,
                problem=f"`{context.ignore_file}` does not exclude {listed}",
                advice=f"add {listed} to `{context.ignore_file}`",
            )


# -- DF411 and DF419 -----------------------------------------------------------------------------


@rule(
    code="DF411",
    name="copy-ignored-file",
    severity=Severity.WARNING,
    summary="A COPY or ADD source is excluded by `.dockerignore`",
    message="`{source}` is excluded by `{ignore_file}` (line {line}: `{pattern}`), so it is not in "
    "the build context and this `{keyword}` fails or copies nothing; remove the pattern or the source",
    rationale=(
        "Files matched by `.dockerignore` are never sent to the builder. A COPY that names one "
        "fails with a confusing 'not found' error, or, with wildcards, silently copies less than "
        "intended."
    ),
    bad="# .dockerignore: config/\nFROM alpine:3.20\nCOPY config/app.yaml /etc/app.yaml",
    good="# .dockerignore: config/secrets/\nFROM alpine:3.20\nCOPY config/app.yaml /etc/app.yaml",
    buildkit=("CopyIgnoredFile",),
    needs_instructions=("COPY", "ADD"),
)
def copy_ignored_file(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.context import WILDCARD, context_of
    from docklint.dockerignore import clean

    context = context_of(df)
    # Like BuildKit: exception patterns (`!keep`) make static answers unreliable, so skip those.
    if context is None or context.ignore_file is None or context.matcher.has_exclusions:
        return
    for source in local_sources(df):
        path = clean(source.path)
        if path == "." or WILDCARD.search(path):
            continue
        pattern = context.matcher.deciding_pattern(path)
        if pattern is not None:
            yield ctx.finding(
                source.word.range,
                source=source.word.value,
                ignore_file=context.ignore_file,
                line=pattern.line,
                pattern=pattern.text,
                keyword=source.inst.keyword,
            )


@rule(
    code="DF419",
    name="copy-source-not-found",
    severity=Severity.WARNING,
    summary="A COPY or ADD source matches nothing in the build context",
    message="`{source}` matches nothing in the build context (the Dockerfile's folder), so the "
    "build fails here; fix the path, or build with the context that holds it",
    rationale=(
        "A COPY source that does not exist stops the build with 'not found'. Catching it while "
        "editing is faster than waiting for the build to reach that step. dlint takes the "
        "Dockerfile's folder as the context, and checks only when that folder evidently is one "
        "(it has a `.dockerignore`, or holds another source the file copies)."
    ),
    bad="FROM python:3.12-slim\nCOPY requirments.txt .",
    good="FROM python:3.12-slim\nCOPY requirements.txt .",
    needs_instructions=("COPY", "ADD"),
)
def copy_source_not_found(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.dockerignore import clean

    context = evident_context(df)
    if context is None:
        return  # the folder holds none of the sources: probably not the build context
    for source in local_sources(df):
        if clean(source.path) != "." and not context.exists(source.path):
            yield ctx.finding(source.word.range, source=source.word.value)


def evident_context(df: Dockerfile) -> BuildContext | None:
    """The Dockerfile's folder as build context when it evidently is one: it has a
    `.dockerignore`, or holds a source the file copies (DF419's evidence, reused by DF311)."""
    from docklint.context import context_of
    from docklint.dockerignore import clean

    context = context_of(df)
    if context is None:
        return None
    if context.ignore_file is not None:
        return context
    sources = (source for source in local_sources(df) if clean(source.path) != ".")
    return context if any(context.exists(source.path) for source in sources) else None

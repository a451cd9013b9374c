"""Rules about what a base image is: past its end of life (data in `rules/data/eol.yaml`), or a
full-size image where a lighter variant exists."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import ImageRef, Instruction, Stage
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.stage_refs import not_shipped


@dataclass(frozen=True, slots=True)
class EndOfLife:
    name: str
    eol: dt.date
    source: str


@cache
def _releases(repo: str) -> tuple[tuple[re.Pattern[str], EndOfLife], ...]:
    """The release patterns of one image repository (compiled when a file uses it: the table has
    a few hundred, and a Dockerfile names one or two repositories)."""
    return _compiled(_table()["images"].get(repo, ()), "tags")


@cache
def _variants() -> tuple[tuple[re.Pattern[str], EndOfLife], ...]:
    return _compiled(_table()["variants"], "pattern")


def _compiled(entries: list[dict[str, Any]], key: str) -> tuple[tuple[re.Pattern[str], EndOfLife], ...]:
    return tuple((re.compile(e[key]), EndOfLife(e["name"], e["eol"], e["source"])) for e in entries)


def _table() -> dict[str, Any]:
    from docklint.rules._data import load

    return load("eol.yaml")  # type: ignore[no-any-return]


def end_of_life(ref: ImageRef) -> EndOfLife | None:
    """The end-of-life entry a base image's tag falls under, if any (whatever today's date)."""
    tag = ref.tag or "latest"
    written = ref.short_name
    # The table's order decides between an exact repository and a wildcard one that both match.
    for repo in _table()["images"]:
        if written != repo and not ("*" in repo and fnmatch.fnmatchcase(written, repo)):
            continue
        for pattern, entry in _releases(repo):
            if pattern.fullmatch(tag):
                return entry
    for pattern, entry in _variants():
        if pattern.search(tag):
            return entry
    return None


@rule(
    code="DF204",
    name="base-image-eol",
    severity=Severity.WARNING,
    summary="FROM a distribution or runtime release that is past its end of life",
    message="{image} is {release}, which stopped getting security updates on {eol}; move to a "
    "supported release",
    rationale=(
        "Once a distribution or language release reaches its end of life, newly found "
        "vulnerabilities in it stay unfixed, and the image only accumulates CVEs. Upgrading the "
        "base is the only fix. The end-of-life dates ship with dlint (`rules/data/eol.yaml`, each "
        "with its source) and are compared with today's date (the `today` setting overrides it)."
    ),
    bad="FROM centos:7",
    good="FROM rockylinux:9",
    tags=("base",),
    each=("FROM",),
)
def base_image_eol(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None or stage.base is None or stage.base_unresolved:
        return
    entry = end_of_life(stage.base)
    if entry is not None and entry.eol < ctx.config.date:
        image = f"`{stage.base_text}`"
        if "$" in stage.base_text:
            image += f" (`{stage.base.text}`)"
        yield ctx.finding(stage.base_range, image=image, release=entry.name, eol=entry.eol.isoformat())


# -- DF301 -----------------------------------------------------------------------------------------

# Official images whose default variant is a full distribution, the lighter variant to suggest,
# tag words that mark a variant as light already, and what makes the default heavy. `debian`,
# `ubuntu` and `fedora` are left out: their full images are only tens of megabytes above the
# minimal ones. `buildpack-deps` is left out: on real files it is the base of language images
# that are meant to be the full variant.
TOOLCHAIN = "a full Debian with compilers and development headers"
HEAVY: dict[str, tuple[str, tuple[str, ...], str]] = {
    "python": ("`python:<version>-slim`", ("slim", "alpine", "windowsservercore", "nanoserver"), TOOLCHAIN),
    "node": ("`node:<version>-slim` or `-alpine`", ("slim", "alpine", "windowsservercore", "nanoserver"), TOOLCHAIN),
    "ruby": ("`ruby:<version>-slim`", ("slim", "alpine"), TOOLCHAIN),
    "perl": ("`perl:<version>-slim`", ("slim",), TOOLCHAIN),
    "elixir": ("`elixir:<version>-slim` or `-alpine`", ("slim", "alpine"), TOOLCHAIN),
    "haskell": ("`haskell:<version>-slim`", ("slim",), TOOLCHAIN),
    "golang": (
        "a multi-stage build with a `distroless/static` or `alpine` final stage",
        ("windowsservercore", "nanoserver"),
        "the whole Go toolchain",
    ),
    "rust": (
        "a multi-stage build with a `debian:<release>-slim` or distroless final stage",
        (),
        "the whole Rust toolchain",
    ),
    "openjdk": ("`eclipse-temurin:<version>-jre`", ("jre", "alpine", "slim", "windowsservercore", "nanoserver"), "a full JDK"),
    "eclipse-temurin": ("`eclipse-temurin:<version>-jre`", ("jre",), "a full JDK"),
    "amazoncorretto": ("a JRE image such as `eclipse-temurin:<version>-jre`", ("jre", "headless"), "a full JDK"),
    "maven": ("a multi-stage build with a `eclipse-temurin:<version>-jre` final stage", (), "Maven and a full JDK"),
    "gradle": ("a multi-stage build with a `eclipse-temurin:<version>-jre` final stage", (), "Gradle and a full JDK"),
}


# Final stages named with one of these words (split on `-`, `_`, `.`), and files in folders or
# with names holding one, build tools, CI helpers or development environments, not a shipped image.


def _final_base(df: Dockerfile, stage: Stage) -> Stage:
    return df.lineage(stage)[-1]


@rule(
    code="DF301",
    name="bloated-base-image",
    severity=Severity.INFO,
    summary="The final stage is built on a full-size image that has a lighter variant",
    message="the final image is built on `{image}`, which carries {why} the application does not "
    "need at run time; use {lighter} for the image you ship",
    rationale=(
        "Full images such as `python:3.12` or `node:22` carry a whole Debian with compilers and "
        "development headers: several hundred megabytes more to pull and store, and more "
        "packages for scanners to flag. The slim, alpine, JRE or distroless variants run the same "
        "application; build in the full image and copy the result into a light one."
    ),
    bad="FROM python:3.12\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]",
    good="FROM python:3.12-slim\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]",
    tags=("bloat", "base"),
)
def bloated_base_image(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not_shipped(df, final):
        return
    root = _final_base(df, final)
    ref = root.base
    if ref is None or root.base_unresolved or ref.registry != "docker.io" or not ref.repository.startswith("library/"):
        return
    heavy = HEAVY.get(ref.name)
    if heavy is None:
        return
    lighter, light_words, why = heavy
    tag = (ref.tag or "latest").lower()
    if any(word in tag for word in light_words):
        return
    yield ctx.finding(final.base_range, image=root.base_text, lighter=lighter, why=why)

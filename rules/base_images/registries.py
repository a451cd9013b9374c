"""Rules about where images come from: trusted registries, pinning of images used by
`COPY --from` and `RUN --mount from=`, and personal Docker Hub namespaces."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, parse_image_ref
from docklint.model.nodes import ImageRef, Instruction
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule

# Docker Hub official images people name bare in `COPY --from=`. Any other bare name may be a
# named build context (`docker buildx build --build-context name=...`), so it is not judged.
OFFICIAL = frozenset(
    "alpine busybox debian ubuntu centos fedora rockylinux almalinux amazonlinux archlinux "
    "golang node python ruby php perl rust openjdk eclipse-temurin amazoncorretto maven gradle "
    "nginx httpd caddy traefik haproxy redis postgres mysql mariadb mongo memcached rabbitmq "
    "composer docker registry vault consul bash gcc buildpack-deps tomcat jetty elixir erlang "
    "haskell swift dart julia clojure groovy kotlin bitnami node-exporter".split()
)
# Docker Hub namespaces that hold the official images built for one architecture.
ARCH_NAMESPACES = frozenset(
    "amd64 arm32v5 arm32v6 arm32v7 arm64v8 i386 mips64le ppc64le riscv64 s390x windows-amd64".split()
)
DOCKER_HUB = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com"})


@dataclass(frozen=True, slots=True)
class ImageUse:
    """An image (not a stage) named by FROM, `COPY --from` or `RUN --mount from=`."""

    kind: str  # "from", "copy" or "mount"
    written: str
    ref: ImageRef
    range: Range


def image_uses(df: Dockerfile) -> Iterator[ImageUse]:
    """Every external image the file uses, in file order; stages, `scratch` and unresolved
    variables are skipped."""
    from docklint.rules.stages import referenced_stage, stage_refs

    for ref in stage_refs(df):
        if ref.kind == "from":
            stage = df.stages[ref.inst.stage_index]
            if stage.base is not None and not stage.base_unresolved:
                yield ImageUse("from", ref.written, stage.base, ref.range)
            continue
        if not ref.resolved or referenced_stage(df, ref) is not None or ref.value.isdigit():
            continue
        parsed = parse_image_ref(ref.value)
        bare = "/" not in ref.value and ":" not in ref.value and "@" not in ref.value
        if bare and ref.value.lower() not in OFFICIAL:
            continue
        if parsed is not None and ref.value.lower() != "scratch":
            yield ImageUse(ref.kind, ref.written, parsed, ref.range)


def registry_trusted(registry: str, trusted: tuple[str, ...]) -> bool:
    """Whether `registry` is in the trusted list (Docker Hub spellings are one; `*` wildcards)."""
    host = "docker.io" if registry.lower() in DOCKER_HUB else registry.lower()
    if host.split(":", 1)[0] in ("localhost", "127.0.0.1"):
        return True  # a local registry, as hadolint treats it
    for pattern in trusted:
        pattern = "docker.io" if pattern.lower() in DOCKER_HUB else pattern.lower()
        if host == pattern or fnmatch.fnmatchcase(host, pattern):
            return True
    return False


@rule(
    code="DL3026",
    name="untrusted-registry",
    severity=Severity.ERROR,
    summary="An image comes from a registry outside the trusted list",
    message="`{image}` comes from `{registry}`, which is not among the trusted registries "
    "({trusted}); use an image from a trusted registry or add `{registry}` to `trusted-registries`",
    rationale=(
        "When an organisation mirrors or vets images in its own registries, an image pulled "
        "from anywhere else bypasses that review. The rule only runs when trusted registries are "
        "configured (`trusted-registries`, `--trusted-registry`, or `trustedRegistries` in "
        "`.hadolint.yaml`); Docker Hub can be written `docker.io` or `index.docker.io`."
    ),
    bad="# trusted-registries: [registry.example.com]\nFROM quay.io/prometheus/node-exporter:v1.8.2",
    good="# trusted-registries: [registry.example.com]\nFROM registry.example.com/prometheus/node-exporter:v1.8.2",
    tags=("base",),
)
def untrusted_registry(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    trusted = ctx.config.trusted_registries
    if not trusted:
        return
    listed = ", ".join(f"`{t}`" for t in trusted)
    for use in image_uses(df):
        if not registry_trusted(use.ref.registry, trusted):
            yield ctx.finding(use.range, image=use.written, registry=use.ref.registry, trusted=listed)


@rule(
    code="DF203",
    name="copy-from-image-unpinned",
    severity=Severity.WARNING,
    summary="`COPY --from` or `RUN --mount from=` names an external image without a pinned tag",
    message="`{image}` {problem}, so what this step copies can change between builds; {advice}",
    rationale=(
        "`COPY --from=<image>` pulls a whole image to take files from it. Without a version tag "
        "that image moves with every release, and the files your build copies change without "
        "any change to the Dockerfile. With `require-digest`/`strict`, a tag alone is not enough "
        "either, as for FROM (DF201)."
    ),
    bad="FROM php:8.3-fpm\nCOPY --from=composer /usr/bin/composer /usr/bin/composer",
    good="FROM php:8.3-fpm\nCOPY --from=composer:2.8 /usr/bin/composer /usr/bin/composer",
    tags=("base",),
    needs_instructions=("COPY", "RUN"),
)
def copy_from_image_unpinned(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    strict = ctx.config.require_digest or ctx.config.strict
    for use in image_uses(df):
        if use.kind == "from" or use.ref.digest is not None:
            continue
        if use.ref.tag is None:
            problem, advice = "has no tag", f"pin a version: `{use.ref.short_name}:<version>`"
        elif use.ref.tag == "latest":
            problem, advice = "uses the `latest` tag", "pin a specific version tag"
        elif strict:
            problem, advice = "is pinned by tag only", f"append its digest: `{use.written}@sha256:<digest>`"
        else:
            continue
        yield ctx.finding(use.range, image=use.written, problem=problem, advice=advice)


@rule(
    code="DF205",
    name="base-image-unofficial",
    severity=Severity.INFO,
    enabled=False,
    summary="A Docker Hub image from a personal or organisation namespace (no trusted registries set)",
    message="`{image}` is published by the Docker Hub account `{namespace}`, not as an official "
    "image; check who maintains it, or prefer an official or verified-publisher image",
    rationale=(
        "Anyone can push to a Docker Hub namespace. Official images (`python`, `nginx`) are "
        "reviewed and rebuilt for security fixes; images from personal accounts may be "
        "abandoned or malicious. When trusted registries are configured, DL3026 covers this."
    ),
    bad="FROM someuser/python-tools:1.0",
    good="FROM python:3.12-slim",
    tags=("base",),
    each=("FROM",),
)
def base_image_unofficial(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if ctx.config.trusted_registries:
        return
    stage = df.stage_started_by(inst)
    if stage is None or not stage.base_text or stage.base is None or stage.base_unresolved:
        return
    ref = stage.base
    if ref.registry != "docker.io" or ref.repository.startswith("library/"):
        return
    namespace = ref.repository.split("/", 1)[0]
    if namespace not in ARCH_NAMESPACES:
        yield ctx.finding(stage.base_range, image=stage.base_text, namespace=namespace)

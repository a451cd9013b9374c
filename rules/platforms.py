"""Rules that need to know the platform of the image a Dockerfile builds (image mode)."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.rule import Context, Finding, Severity, rule


def _platform_parts(text: str) -> tuple[str, str, str]:
    parts = [p.strip().lower() for p in text.split("/")]
    os_, arch, variant = (parts + ["", "", ""])[:3]
    if arch == "arm64" and variant == "v8":
        variant = ""  # arm64 and arm64/v8 name the same platform
    return os_, arch, variant


@rule(
    code="DF409",
    name="invalid-base-image-platform",
    severity=Severity.WARNING,
    summary="The base image's platform differs from the platform of the image being built",
    message="`--platform={platform}` asks for a {platform} base, but the image built from this "
    "file is {image}, so binaries from the base may not run there; build for one platform or "
    "use `$TARGETPLATFORM`",
    rationale=(
        "A stage pinned to a constant platform pulls a base built for that platform whatever the "
        "build targets. When the resulting image is for another OS or architecture, its binaries "
        "only run under emulation, if at all. The check needs to know the built image's platform, "
        "so it runs in image mode (`dlint image --dockerfile`); on a Dockerfile alone it is silent."
    ),
    bad="# linted with: dlint image app.tar --dockerfile Dockerfile (app.tar is linux/amd64)\n"
    "FROM --platform=linux/arm64 alpine:3.20",
    good="FROM --platform=$TARGETPLATFORM alpine:3.20",
    buildkit=("InvalidBaseImagePlatform",),
)
def invalid_base_image_platform(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    if not df.image_platform:
        return
    image = _platform_parts(df.image_platform)
    for stage in df.lineage():
        flag = stage.platform
        if flag is None or flag.value is None or flag.value_range is None:
            continue
        value, resolved = df.expand(stage.from_, flag.value)
        if not resolved or "$" in flag.value and not value:
            continue  # $TARGETPLATFORM and friends are only known at build time
        wanted = _platform_parts(value)
        if wanted[:2] != image[:2] or (wanted[2] and image[2] and wanted[2] != image[2]):
            yield ctx.finding(flag.value_range, platform=value, image=df.image_platform)

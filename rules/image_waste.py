"""Rules about an image's size: wasted bytes (dive's scores, with whiteouts counted right),
files rewritten across layers, big images, files and layers, layer count, heavy bases, duplicates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Option, Severity, rule
from docklint.rules.image_common import image_finding, size_text

if TYPE_CHECKING:
    from docklint.model.image import Image

_ADVICE_DELETED = "delete it in the `RUN` that creates it, or leave it in a build stage"
_ADVICE_REPLACED = "write it once in its final form (for modes and owners, `COPY --chmod`/`--chown`)"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _base_note(image: Image) -> str:
    if image.base_source == "first-layer":
        return "layer 0, as dive counts it"
    return f"layers 0-{image.base_layers - 1}" if image.base_layers > 1 else "layer 0"


@rule(
    code="IM301",
    name="image-efficiency-low",
    severity=Severity.WARNING,
    summary="Too much of what the layers store is replaced or deleted later (dive's efficiency)",
    message="the image's efficiency is {score} (limit {limit}): of {written} written across its "
    "layers, {wasted} is replaced or deleted by later layers yet still stored; remove files in the "
    "step that creates them",
    rationale=(
        "Every layer is shipped whole. A file written in one layer and replaced or deleted in a "
        "later one costs its bytes twice: once in the layer that stored it, once more for nothing. "
        "The score is dive's (for each path the smallest size written, summed, over all bytes "
        "written, summed), except that files deleted by a folder whiteout or an opaque folder "
        "count as deleted: dive misses those."
    ),
    bad="FROM debian:12\nRUN curl -o /tmp/big.tgz https://example.com/big.tgz\nRUN rm /tmp/big.tgz",
    good="FROM debian:12\nRUN curl -o /tmp/big.tgz https://example.com/big.tgz && tar -xzf /tmp/big.tgz && rm /tmp/big.tgz",
    kind="image",
    options=(Option("min-efficiency", float, 0.9, "Lowest score accepted (dive's lowestEfficiency)"),),
    tags=("bloat",),
)
def image_efficiency_low(image: Image, ctx: Context) -> Iterator[Finding]:
    limit = float(ctx.option("min-efficiency"))
    if image.efficiency < limit:
        yield image_finding(
            ctx, image, score=_percent(image.efficiency), limit=_percent(limit), written=size_text(image.written_bytes),
            wasted=size_text(image.wasted_bytes),
        )


@rule(
    code="IM302",
    name="wasted-bytes-high",
    severity=Severity.WARNING,
    summary="Too many bytes go to paths written by more than one layer (dive's wasted bytes)",
    message="{repeated} are spent on paths that more than one layer writes or deletes (dive's wasted "
    "bytes, limit {limit}); {wasted} of it is stored but never visible",
    rationale=(
        "dive's `highestWastedBytes`: the bytes of every path written by two or more layers, the "
        "kept copy included. The second figure is the exact waste, what the final filesystem no "
        "longer shows. Off by default, as in dive."
    ),
    bad="FROM debian:12\nCOPY data/ /data/\nRUN chmod -R a+r /data",
    good="FROM debian:12\nCOPY --chmod=0644 data/ /data/",
    kind="image",
    enabled=False,
    options=(Option("max-bytes", int, 20_000_000, "Bytes accepted (dive's highestWastedBytes)"),),
    tags=("bloat",),
)
def wasted_bytes_high(image: Image, ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.option("max-bytes"))
    if image.repeated_bytes > limit:
        yield image_finding(ctx, image, repeated=size_text(image.repeated_bytes), limit=size_text(limit), wasted=size_text(image.wasted_bytes))


@rule(
    code="IM303",
    name="user-wasted-percent-high",
    severity=Severity.WARNING,
    summary="Wasted bytes are a large share of what the image adds to its base (dive's user wasted percent)",
    message="wasted bytes are {percent} of the {user} the image adds on top of its base ({base}; "
    "limit {limit}); {wasted} is stored but never visible, so remove files in the step that creates them",
    rationale=(
        "dive's `highestUserWastedPercent`: bytes of paths written by more than one layer over "
        "the bytes of the layers above the base. The base is the FROM image's layers when the "
        "history or `--dockerfile` tells them apart, otherwise layer 0 as in dive. Whiteouts of "
        "whole folders and opaque folders are counted file by file."
    ),
    bad="FROM debian:12\nRUN apt-get update\nRUN rm -rf /var/lib/apt/lists/*",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
    kind="image",
    options=(Option("max-percent", float, 0.1, "Highest share accepted, 0.1 = 10% (dive's highestUserWastedPercent)"),),
    tags=("bloat",),
)
def user_wasted_percent_high(image: Image, ctx: Context) -> Iterator[Finding]:
    limit = float(ctx.option("max-percent"))
    if image.user_size and image.user_wasted_percent > limit:
        yield image_finding(
            ctx, image, percent=_percent(image.user_wasted_percent), user=size_text(image.user_size), base=_base_note(image),
            limit=_percent(limit), wasted=size_text(image.wasted_bytes),
        )


@rule(
    code="IM304",
    name="file-rewritten-across-layers",
    severity=Severity.INFO,
    summary="A file is added in one layer and replaced or deleted in a later one (largest first)",
    message="`{path}` ({size}) from layer {layer} is {how} in layer {later}, but its bytes stay in "
    "layer {layer}; {advice}",
    rationale=(
        "The detail behind the efficiency score: each file whose bytes a later layer hides, "
        "largest first. With `--dockerfile` each one points at the instruction that stored it. "
        "Typical causes: cleanup in a separate `RUN`, `chmod`/`chown` after `COPY`, and rewriting "
        "a file in several steps."
    ),
    bad="FROM debian:12\nCOPY app.bin /opt/\nRUN chmod 0755 /opt/app.bin",
    good="FROM debian:12\nCOPY --chmod=0755 app.bin /opt/",
    kind="image",
    options=(
        Option("min-size", int, 1024, "Smallest file reported, in bytes"),
        Option("max-findings", int, 50, "Report at most this many files (the largest)"),
    ),
    tags=("bloat",),
)
def file_rewritten_across_layers(image: Image, ctx: Context) -> Iterator[Finding]:
    from docklint.model.image import HOW

    minimum = int(ctx.option("min-size"))
    limit = int(ctx.option("max-findings"))
    hidden = [h for h in image.hidden if h.kind == "file" and h.size >= minimum]
    hidden.sort(key=lambda h: (-h.size, h.layer, h.path))
    for entry in hidden[:limit]:
        advice = _ADVICE_REPLACED if entry.how in ("replaced", "duplicate") else _ADVICE_DELETED
        yield image_finding(
            ctx, image, path=entry.path, layer=entry.layer, size=size_text(entry.size), how=HOW[entry.how],
            later=entry.hidden_by, advice=advice,
        )


@rule(
    code="IM305",
    name="image-size-large",
    severity=Severity.INFO,
    summary="The image is bigger than a configured budget",
    message="the image holds {size} of files (limit {limit}); start from a smaller base or move "
    "build tools into a build stage",
    rationale=(
        "Big images pull slowly, cost storage in every registry and node, and usually carry "
        "packages nobody runs (a larger attack surface). Set the budget that fits your service; "
        "off by default."
    ),
    bad="FROM python:3.12\nCOPY . /app/",
    good="FROM python:3.12-slim\nCOPY . /app/",
    kind="image",
    enabled=False,
    options=(Option("max-size", int, 1_000_000_000, "Bytes of file data accepted"),),
    tags=("bloat",),
)
def image_size_large(image: Image, ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.option("max-size"))
    if image.size > limit:
        yield image_finding(ctx, image, size=size_text(image.size), limit=size_text(limit))


@rule(
    code="IM306",
    name="large-file-or-layer",
    severity=Severity.INFO,
    summary="A single file or layer is above a size threshold",
    message="{what} is {size} (limit {limit}); {advice}",
    rationale=(
        "One huge file (a dataset, a model, a core dump, a forgotten archive) or one huge layer "
        "dominates pull time and cannot be shared between images. Data that changes apart from "
        "the code belongs in a volume or an artifact store; a huge layer is often a whole build "
        "tree that a multi-stage build would leave behind."
    ),
    bad="FROM debian:12\nCOPY model-weights.bin /opt/",
    good="FROM debian:12\nVOLUME /opt/models",
    kind="image",
    options=(
        Option("max-file-size", int, 100_000_000, "Bytes accepted for one file"),
        Option("max-layer-size", int, 500_000_000, "Bytes accepted for one layer"),
    ),
    tags=("bloat",),
)
def large_file_or_layer(image: Image, ctx: Context) -> Iterator[Finding]:
    file_limit = int(ctx.option("max-file-size"))
    layer_limit = int(ctx.option("max-layer-size"))
    for layer in image.layers:
        if layer.size > layer_limit:
            yield image_finding(
                ctx, image, layer=layer.index, what=f"Layer {layer.index}", size=size_text(layer.size),
                limit=size_text(layer_limit), advice="split what changes often from what does not, or leave build trees in a build stage",
            )
    for node in image.walk():
        if node.kind == "file" and node.size > file_limit:
            yield image_finding(
                ctx, image, path=node.path, layer=node.layer, what=f"`{node.path}`", size=size_text(node.size),
                limit=size_text(file_limit), advice="keep data out of the image (a volume or an artifact store)",
            )


@rule(
    code="IM307",
    name="excessive-layer-count",
    severity=Severity.INFO,
    summary="The image has more layers than a threshold",
    message="the image has {count} layers (limit {limit}); merge consecutive `RUN` steps and use "
    "a multi-stage build",
    rationale=(
        "Each layer costs a mount and a lookup level in the overlay filesystem; overlayfs stacks "
        "stop near 128 layers and deep stacks slow down file access. Long chains of `RUN` steps "
        "also tend to leave cleanup in separate layers."
    ),
    bad="FROM debian:12\nRUN step-1\nRUN step-2\n# ... 60 more RUN lines",
    good="FROM debian:12\nRUN step-1 && step-2",
    kind="image",
    options=(Option("max-layers", int, 50, "Layers accepted"),),
    tags=("bloat",),
)
def excessive_layer_count(image: Image, ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.option("max-layers"))
    if len(image.layers) > limit:
        yield image_finding(ctx, image, count=len(image.layers), limit=limit)


@rule(
    code="IM308",
    name="heavy-base-layers",
    severity=Severity.INFO,
    summary="The base image's layers alone are big, or make up nearly all of the image",
    message="the base image's layers ({base}) hold {size}, {share} of the image{why}; consider a "
    "slimmer base (`-slim`, alpine, distroless)",
    rationale=(
        "The measured counterpart of DF301: most bytes of an image usually come from its base, "
        "and full distribution or SDK images carry compilers, documentation and package caches a "
        "service never uses. The base is the FROM image's layers when the history or "
        "`--dockerfile` tells them apart, otherwise layer 0."
    ),
    bad="FROM python:3.12\nCOPY app.py /app/",
    good="FROM python:3.12-slim\nCOPY app.py /app/",
    kind="image",
    options=(
        Option("max-base-size", int, 300_000_000, "Bytes the base may hold"),
        Option("max-base-share", float, 0.9, "Share of the image the base may hold once it is over `share-from-size`"),
        Option("share-from-size", int, 100_000_000, "Base size from which `max-base-share` applies"),
    ),
    tags=("bloat", "base"),
)
def heavy_base_layers(image: Image, ctx: Context) -> Iterator[Finding]:
    base = image.base_size
    total = image.size
    share = base / total if total else 0.0
    limit = int(ctx.option("max-base-size"))
    share_limit = float(ctx.option("max-base-share"))
    if base > limit:
        why = f", over the {size_text(limit)} budget"
    elif base > int(ctx.option("share-from-size")) and share > share_limit and image.base_layers < len(image.layers):
        why = f", more than {_percent(share_limit)}"
    else:
        return
    yield image_finding(ctx, image, layer=image.base_layers - 1, base=_base_note(image), size=size_text(base), share=_percent(share), why=why)


@rule(
    code="IM309",
    name="duplicate-file-content",
    severity=Severity.INFO,
    summary="The same file contents are stored at several paths",
    message="`{path}` has the same {size} of contents as `{first}`; keep one copy (a hard link or a "
    "symbolic link if both paths are needed)",
    rationale=(
        "Identical copies (a binary installed twice, assets vendored in two packages) are stored "
        "and pulled once per copy. Compression does not help across files of a layer tar. Off by "
        "default: it hashes every file, which costs time on big images."
    ),
    bad="FROM debian:12\nCOPY tool /usr/bin/tool\nCOPY tool /usr/local/bin/tool",
    good="FROM debian:12\nCOPY tool /usr/bin/tool\nRUN ln -s /usr/bin/tool /usr/local/bin/tool",
    kind="image",
    enabled=False,
    options=(Option("min-size", int, 1024, "Smallest file compared, in bytes"),),
    tags=("bloat",),
)
def duplicate_file_content(image: Image, ctx: Context) -> Iterator[Finding]:
    minimum = int(ctx.option("min-size"))
    first: dict[str, str] = {}
    for node in image.walk():
        if node.kind != "file" or node.size < minimum:
            continue
        digest = image.digest_of(node)
        if digest is None:
            continue
        if digest in first:
            yield image_finding(ctx, image, path=node.path, layer=node.layer, size=size_text(node.size), first=first[digest])
        else:
            first[digest] = node.path

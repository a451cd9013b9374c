"""`dlint image SOURCE`: lint an image archive (docker-archive, OCI layout, oci-archive, `-`).

    dlint image app.tar [--dockerfile Dockerfile] [--image REF] [--platform linux/arm64]

The tty format starts with a per-layer summary, like a build log (size, what made the layer,
bytes a later layer hides), then the findings. Stdin (`-`) is read as a stream, never spooled
to disk (a regular file redirected to stdin is read in place). Exit status as for `dlint`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterator, Sequence

from docklint.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, FORMATS, _Parser, _selection_options, cli_layer, color_wanted, emit, rendered
from docklint.errors import DlintError, UsageError

if TYPE_CHECKING:
    from docklint.config import Config
    from docklint.image_engine import ImageLint
    from docklint.report import Report

SUMMARY_WIDTH = 72


def parser() -> argparse.ArgumentParser:
    parse = _Parser(
        prog="dlint image",
        description="Lint a container image archive: `docker save` output, an OCI layout folder, an "
        "oci-archive, or `-` for a tar stream on stdin.",
    )
    parse.add_argument("source", metavar="ARCHIVE|OCI-DIR|-", help="the image to lint")
    image = parse.add_argument_group("image")
    image.add_argument("--dockerfile", metavar="PATH", help="map findings to the Dockerfile that built the image, and lint it too")
    image.add_argument("--image", metavar="REF", help="which image of a multi-image archive (name, tag or digest)")
    image.add_argument("--platform", metavar="OS/ARCH[/VARIANT]", help="which platform of a multi-platform index")
    image.add_argument("--max-decompressed", metavar="SIZE", help="stop decompressing past SIZE in all (default 32GiB; e.g. 2GiB)")
    out = parse.add_argument_group("output")
    out.add_argument("--format", default="tty", metavar="FORMAT", help=f"report format: {', '.join(FORMATS)} (default: tty)")
    out.add_argument("--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    out.add_argument("--no-color", action="store_true", help="no colours (also when NO_COLOR is set)")
    out.add_argument("--statistics", action="store_true", help="count findings per rule, most frequent first")
    out.add_argument("--debug", action="store_true", help="tracebacks and counters on stderr")
    _selection_options(parse)
    return parse


def main(argv: Sequence[str] | None = None, stdin: BinaryIO | None = None) -> int:
    """Run `dlint image`; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(parser().parse_args(args_list), stdin)
    except DlintError as error:
        print(f"dlint: error: {str(error).strip().splitlines()[0] if str(error).strip() else error}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace, stdin: BinaryIO | None) -> int:
    from docklint.config_files import resolve_config
    from docklint.formats import load
    from docklint.image_engine import lint_image
    from docklint.model.imagefs.stream import parse_size

    load(args.format)  # an unknown format fails before the image is read
    args.exclude = None
    limit = None
    if args.max_decompressed:
        try:
            limit = parse_size(args.max_decompressed)
        except ValueError as error:
            raise UsageError(f"--max-decompressed: {error}") from None
    if args.source == "-" and args.dockerfile == "-":
        raise UsageError("stdin (`-`) can be read only once")
    if args.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="dlint: debug: %(message)s")
    anchor = Path(args.dockerfile).parent if args.dockerfile else (Path.cwd() if args.source == "-" else Path(args.source).parent)
    config = resolve_config(anchor, cli_layer(args), Path(args.config) if args.config else None)
    started = time.perf_counter()
    lint = lint_image(
        args.source, config, image=args.image, platform=args.platform, dockerfile=args.dockerfile,
        max_decompressed=limit, stdin=stdin,
    )
    report = _report(lint, config, args)
    text = rendered(report, args.format)
    if args.format == "tty":
        summary = summary_text(lint, color=report.color)
        text = summary + ("\n" if text.strip() else "") + text
    emit(text, args.output, sys.stdout)
    if args.debug:
        _debug(lint, time.perf_counter() - started)
    for result in report.errors:
        if args.format != "tty" or args.output:
            print(f"dlint: error: {result.error}", file=sys.stderr)
    if report.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.failed else EXIT_OK


def _report(lint: ImageLint, config: Config, args: argparse.Namespace) -> Report:
    from docklint.report import Report

    return Report(results=lint.results, config=config, statistics=args.statistics, color=color_wanted(args, sys.stdout))


# -- the per-layer summary ---------------------------------------------------------------------


def summary_text(lint: ImageLint, color: bool = False) -> str:
    """The build-log style table of layers that the tty format prints before the findings."""
    import io

    from docklint.formats.tty import writer

    out = io.StringIO()
    write = writer(out, color)
    for line in summary_lines(lint):
        write(line)
    return out.getvalue()


def summary_lines(lint: ImageLint) -> Iterator[list[tuple[str, str | None]]]:
    from docklint.formats.tty import clean
    from docklint.model.imagefs.stream import format_size

    image = lint.image
    name = image.references[0] if image.references else "no tag"
    yield [(clean(image.path), "bold"), (f": {image.format}, {image.platform}, {clean(name)}", None)]
    yield [("  layer  size        wasted      created by", "dim")]
    for layer in image.layers:
        wasted = image.layer_hidden[layer.index]
        made_by = clean(_created_by(lint, layer.history_index, layer.created_by))
        base = " [base]" if layer.index < image.base_layers else ""
        yield [
            (f"  {layer.index:<5}  {format_size(layer.size):<10}  ", None),
            (f"{format_size(wasted) if wasted else '-':<10}", "yellow" if wasted else "dim"),
            (f"  {made_by}", None),
            (base, "dim"),
        ]
    yield [
        (f"  total  {format_size(image.size):<10}  ", "bold"),
        (f"{format_size(image.wasted_bytes) if image.wasted_bytes else '-':<10}", "bold yellow" if image.wasted_bytes else "dim"),
        (f"  efficiency {image.efficiency * 100:.1f}%, user wasted {image.user_wasted_percent * 100:.1f}% "
         f"(dive's scores; base: {_base_text(image)})", None),
    ]


def _created_by(lint: ImageLint, history_index: int | None, created_by: str) -> str:
    from docklint.model.imagefs.history import replay
    from docklint.secrets import redact

    step = replay(created_by, display=True)
    text = step.line if step is not None else created_by.strip() or "(no history)"
    text = redact(" ".join(text.split()), deep=True)
    where = ""
    inst = lint.mapping.get(history_index) if history_index is not None else None
    if inst is not None and lint.dockerfile:
        where = f"  ({Path(lint.dockerfile).name}:{inst.range.start.line + 1})"
    room = max(SUMMARY_WIDTH - len(where), 32)
    if len(text) > room:
        text = text[: room - 1] + "…"
    return text + where


def _base_text(image: object) -> str:
    count = getattr(image, "base_layers", 0)
    source = getattr(image, "base_source", "")
    layers = "layer 0" if count == 1 else f"layers 0-{count - 1}"
    return f"{layers}, {'as dive assumes' if source == 'first-layer' else 'from ' + source.replace('-', ' ')}"


def _debug(lint: ImageLint, seconds: float) -> None:
    image = lint.image
    scanned = sum(layer.scanned_files for layer in image.layers)
    findings = sum(len(result.findings) for result in lint.results)
    print(
        f"dlint: debug: format={image.format} layers={len(image.layers)} files={len(image.files)} "
        f"hidden={len(image.hidden)} scanned_files={scanned} problems={len(image.problems)} "
        f"findings={findings} stored={sum(layer.stored_size for layer in image.layers)} seconds={seconds:.3f}",
        file=sys.stderr,
    )

"""Report formats, one module per `--format`, each exposing `render(report, out) -> None`.

A format module is imported only when chosen, so `dlint` never pays for the ones it does not
use. Formats render what the report holds in its order; they never filter, sort or compute
severities. The JSON format lives in `json_.py` so that no module of ours is named like the
standard library's `json`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, TextIO, cast

if TYPE_CHECKING:
    from docklint.report import Report

# `--format` name -> module name inside this package.
FORMATS: dict[str, str] = {
    "tty": "tty",
    "json": "json_",
    "sarif": "sarif",
    "checkstyle": "checkstyle",
    "gitlab": "gitlab",
    "github": "github",
    "junit": "junit",
}


class Format(Protocol):
    def render(self, report: Report, out: TextIO) -> None: ...


def names() -> tuple[str, ...]:
    return tuple(FORMATS)


def load(name: str) -> Format:
    """The module of format `name`; an unknown name raises `UsageError` listing the choices."""
    module = FORMATS.get(name)
    if module is None:
        from docklint.errors import UsageError

        raise UsageError(f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
    return cast(Format, importlib.import_module(f"{__name__}.{module}"))


def render_to(name: str, report: Report, out: TextIO) -> None:
    """Render `report` in format `name` to `out`."""
    load(name).render(report, out)

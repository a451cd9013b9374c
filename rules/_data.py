"""Data files bundled with the rules (`rules/data/*.yaml`), loaded once per process on first use."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed contents of `rules/data/<name>` (YAML)."""
    import yaml

    text = resources.files("docklint.rules").joinpath("data", name).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader

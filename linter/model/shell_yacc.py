"""Import bashlex (its import builds the LALR tables of its grammar)."""

from __future__ import annotations

from typing import Any


def import_bashlex() -> Any:
    import bashlex

    return bashlex

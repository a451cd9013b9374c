"""`dlint lsp` with rule DL3000's check patched to raise on files holding `CRASH`: how the
tests make a rule crash inside a real server process."""

from __future__ import annotations

import sys
from typing import Any

from docklint.lsp.server import main
from docklint.registry import registry

rule = registry().by_code["DL3000"]
original = rule.check


def crashing_check(df: Any, *args: Any) -> Any:  # (df, ctx), or (df, inst, ctx) per instruction
    if "CRASH" in df.source.text:
        raise RuntimeError("boom on purpose")
    return original(df, *args)


object.__setattr__(rule, "check", crashing_check)
raise SystemExit(main(sys.argv[1:]))

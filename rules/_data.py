"""Data files bundled with the rules (`rules/data/*.yaml`), loaded once per process on first use.

The YAML files are the source people edit. Each has a compiled JSON twin (`NAME.yaml.json`,
written by `python scripts/gen_docs.py`) holding the parsed data and the CRC-32 of the YAML
text it came from, so that linting does not import PyYAML (~50 ms at start-up). A twin that is
missing or stale is ignored and the YAML is parsed instead: slower, never wrong. (A checksum
only has to notice an edit someone forgot to compile, so zlib's CRC-32 does, without loading
OpenSSL for hashlib; the files are read beside this module rather than through
importlib.resources, which costs ~10 ms to import and which a package installed as plain files
does not need.)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from functools import cache
from typing import Any

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@cache
def load(name: str) -> Any:
    """The parsed contents of `rules/data/<name>` (YAML)."""
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        text = handle.read()
    try:
        with open(os.path.join(DATA, name + ".json"), encoding="utf-8") as handle:
            twin = json.loads(handle.read(), object_hook=_revive)
    except (OSError, ValueError):
        twin = None
    if isinstance(twin, dict) and twin.get("crc32") == digest(text):
        return twin["data"]
    return parse_yaml(text)


def digest(text: str) -> str:
    return f"{zlib.crc32(text.encode('utf-8')):08x}"


def parse_yaml(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def compiled(text: str) -> str:
    """The JSON twin of a YAML data file's text (what `scripts/gen_docs.py` writes)."""
    document = {"crc32": digest(text), "data": parse_yaml(text)}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False, default=_encode) + "\n"


def _encode(value: Any) -> Any:
    """YAML has dates, JSON does not: a date becomes `{"$date": "2024-06-30"}`."""
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__} in a JSON twin")


def _revive(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
    return obj

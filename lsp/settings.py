"""Editor settings (section `dlint`): what a client may send and how it becomes a config layer.

Settings arrive in `initializationOptions`, in `workspace/didChangeConfiguration`, or as answers
to `workspace/configuration` (per workspace folder). Names may be camelCase, as editors write
them, or our kebab-case keys. They form one config layer that sits above the project's config
files (`resolve_config(..., extra=[layer])`), so they go through the same validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

SECTION = "dlint"

# Setting name -> our config key.
KEYS = {
    "select": "select",
    "extendSelect": "extend-select",
    "ignore": "ignore",
    "severity": "severity",
    "severityOverrides": "severity",
    "trustedRegistries": "trusted-registries",
    "shellcheck": "shellcheck",
    "requireDigest": "require-digest",
    "strict": "strict",
    "labelSchema": "label-schema",
    "strictLabels": "strict-labels",
    "rules": "rules",
}
KEYS.update({key: key for key in set(KEYS.values())})
# Accepted and ignored: they decide a command's exit status or which files a walk picks,
# which means nothing for an open buffer; or they belong to the editor side of the extension.
IGNORED = frozenset(
    {
        "failureThreshold", "failure-threshold", "noFail", "no-fail", "exclude", "enable",
        "path", "executable", "interpreter", "args", "trace", "serverPath", "run", "config",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """One scope's settings, already mapped to our config keys."""

    enable: bool = True
    values: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable identity for caching configs built from these settings."""
        return json.dumps(self.values, sort_keys=True, default=str)

    def layer(self) -> Any:
        """The config layer (`docklint.config_files.Layer`) or None; raises `ConfigError`."""
        if not self.values:
            return None
        from docklint.config_files import _layer

        return _layer(dict(self.values), {}, "editor settings (dlint)")


DEFAULT = Settings()


def section(payload: Any) -> Mapping[str, Any] | None:
    """The `dlint` section of a settings payload: `{"dlint": {...}}` or the section itself."""
    if not isinstance(payload, Mapping):
        return None
    inner = payload.get(SECTION)
    if isinstance(inner, Mapping):
        return inner
    if any(key in KEYS or key in IGNORED for key in payload):
        return payload
    return None


def parse(payload: Any) -> Settings:
    """Read a `dlint` settings mapping. Unknown names become problems, not errors."""
    data = section(payload)
    if data is None:
        return DEFAULT
    enable = data.get("enable", True)
    problems: list[str] = []
    if not isinstance(enable, bool):
        problems.append(f"setting 'dlint.enable' must be true or false, not {enable!r}")
        enable = True
    values: dict[str, Any] = {}
    for name, value in data.items():
        name = str(name)
        if name in IGNORED:
            continue
        if name not in KEYS:
            problems.append(f"unknown setting 'dlint.{name}'{_suggest(name)}")
            continue
        if value is None or value == [] or value == {}:
            continue  # editors send unset settings as null or empty
        key = KEYS[name]
        if key in values and isinstance(values[key], list) and isinstance(value, list):
            values[key] = [*values[key], *value]
        elif key in values and isinstance(values[key], dict) and isinstance(value, dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(enable, values, tuple(problems))


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, [k for k in KEYS if "-" not in k] + ["enable"], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""

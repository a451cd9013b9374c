"""Reading configuration: `.dlint.yaml`, `[tool.dlint]`, `.hadolint.yaml`, command-line layers.

Each source becomes a partial layer that remembers its file and the line of each key. Layers
merge in precedence order (scalars: highest wins; lists accumulate), then the result is
validated once and frozen into a `Config`. Errors name file, line and key, with a suggestion.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from docklint.config import FAILURE_THRESHOLDS, Config
from docklint.errors import ConfigError
from docklint.rule import Severity

DLINT_FILES = (".dlint.yaml", ".dlint.yml")
HADOLINT_FILES = (".hadolint.yaml", ".hadolint.yml")

# Our keys (kebab-case) and the type each takes.
KEYS: dict[str, str] = {
    "select": "selectors",
    "extend-select": "selectors",
    "ignore": "selectors",
    "severity": "severities",
    "failure-threshold": "threshold",
    "no-fail": "bool",
    "trusted-registries": "strings",
    "require-digest": "bool",
    "strict": "bool",
    "label-schema": "mapping",
    "strict-labels": "bool",
    "rules": "options",
    "shellcheck": "bool",
    "exclude": "strings",
    "today": "date",
}
LIST_KEYS = frozenset({"select", "extend-select", "ignore", "trusted-registries", "exclude"})
# hadolint's spellings, accepted only in .hadolint.yaml (other hadolint keys are ignored).
HADOLINT_KEYS = {
    "ignored": "ignore",
    "trustedRegistries": "trusted-registries",
    "failure-threshold": "failure-threshold",
    "label-schema": "label-schema",
    "strict-labels": "strict-labels",
    "no-fail": "no-fail",
    "override": "override",
}
HADOLINT_IGNORED_KEYS = frozenset({"format", "no-color", "verbose", "disable-ignore-pragma"})


@dataclass
class Layer:
    """One source of settings: values by our key, and where each came from."""

    source: str
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int | None] = field(default_factory=dict)

    def where(self, key: str) -> str:
        line = self.lines.get(key)
        return f"{self.source}:{line}" if line else self.source


def _suggest(word: str, choices: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _yaml_mapping(text: str, source: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Load a YAML mapping and the 1-based line of each top-level key."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or node is None:
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    lines = {}
    for key_node, _ in getattr(node, "value", []):
        lines[str(key_node.value)] = key_node.start_mark.line + 1
    return data, lines


def layer_from_yaml(path: Path, hadolint: bool = False) -> Layer:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    data, lines = _yaml_mapping(text, str(path))
    if hadolint:
        return _hadolint_layer(data, lines, str(path))
    return _layer(data, lines, str(path))


def layer_from_pyproject(path: Path) -> Layer | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read [tool.dlint]: {error}") from None
    section = data.get("tool", {}).get("dlint")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.dlint] must be a table")
    return _layer(section, {}, f"{path} [tool.dlint]")


def config_from_mapping(data: Mapping[str, Any], source: str = "settings") -> Config:
    """A Config from a plain mapping of our keys (editor settings, tests)."""
    return build_config([_layer(dict(data), {}, source)])


def _layer(data: dict[str, Any], lines: Mapping[str, int], source: str) -> Layer:
    layer = Layer(source)
    for key, value in data.items():
        key = str(key)
        line = lines.get(key)
        if key not in KEYS:
            where = f"{source}:{line}" if line else source
            raise ConfigError(f"{where}: unknown key '{key}'{_suggest(key, list(KEYS))}")
        layer.values[key] = _check_type(key, value, f"{source}:{line}" if line else source)
        layer.lines[key] = line
    return layer


def _hadolint_layer(data: dict[str, Any], lines: Mapping[str, int], source: str) -> Layer:
    layer = Layer(source)
    for key, value in data.items():
        key = str(key)
        where = f"{source}:{lines[key]}" if key in lines else source
        if key in HADOLINT_IGNORED_KEYS:
            continue
        if key not in HADOLINT_KEYS:
            raise ConfigError(f"{where}: unknown hadolint key '{key}'{_suggest(key, list(HADOLINT_KEYS))}")
        ours = HADOLINT_KEYS[key]
        if ours == "override":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'override' must map a level to a list of rules")
            severities: dict[str, str] = {}
            for level, codes in value.items():
                if str(level) not in ("error", "warning", "info", "style"):
                    raise ConfigError(f"{where}: unknown level '{level}' in 'override'")
                for code in _check_type("ignore", codes or [], where):
                    severities[code] = str(level)
            layer.values["severity"] = severities
        else:
            if ours == "failure-threshold" and value == "ignore":
                value = "none"
            layer.values[ours] = _check_type(ours, value, where)
        layer.lines[ours] = lines.get(key)
    return layer


def _check_type(key: str, value: Any, where: str) -> Any:
    kind = KEYS[key]
    if kind in ("selectors", "strings"):
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value) if v]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise ConfigError(f"{where}: '{key}' must be a list of strings")
        return [str(v) for v in value]
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false, not {value!r}")
        return value
    if kind == "threshold":
        if str(value) not in FAILURE_THRESHOLDS:
            raise ConfigError(
                f"{where}: '{key}' must be one of {', '.join(FAILURE_THRESHOLDS)}{_suggest(str(value), FAILURE_THRESHOLDS)}"
            )
        return str(value)
    if kind == "severities":
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must map rule codes to a level")
        out = {}
        for code, level in value.items():
            if level is False:  # YAML 1.1 reads a bare `off` as false
                level = "off"
            if str(level) not in ("error", "warning", "info", "style", "off"):
                raise ConfigError(f"{where}: level '{level}' for {code} must be error, warning, info, style or off")
            out[str(code)] = str(level)
        return out
    if kind == "mapping":
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: '{key}' must be a mapping")
        return {str(k): str(v) for k, v in value.items()}
    if kind == "options":
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ConfigError(f"{where}: '{key}' must map rule codes to option mappings")
        return {str(k): dict(v) for k, v in value.items()}
    if kind == "date":
        if isinstance(value, _dt.date):
            return value
        try:
            return _dt.date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{where}: '{key}' must be a date like 2026-01-31") from None
    raise AssertionError(kind)


def build_config(layers: Sequence[Layer]) -> Config:
    """Merge layers (highest precedence first) and validate rule names once."""
    from docklint.registry import registry

    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for layer in reversed(layers):  # lowest first, so higher layers override
        for key, value in layer.values.items():
            if key in LIST_KEYS:
                merged[key] = [*merged.get(key, []), *value]
            elif key in ("severity", "rules", "label-schema"):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
            origin[key] = layer.where(key)
    known = registry()
    for key in ("select", "extend-select", "ignore"):
        for selector in merged.get(key, []):
            if not known.is_known(selector):
                raise ConfigError(
                    f"{origin[key]}: unknown rule '{selector}' in '{key}'{_suggest(selector, _all_names())}"
                )
    severities: dict[str, Severity | None] = {}
    for selector, level in merged.get("severity", {}).items():
        rules = known.resolve(selector)
        if re.fullmatch(r"SC\d{4}", selector.strip().upper()):  # ShellCheck codes are not rules
            severities[selector.strip().upper()] = None if level == "off" else Severity(level)
            continue
        if not rules:
            raise ConfigError(f"{origin['severity']}: unknown rule '{selector}'{_suggest(selector, _all_names())}")
        for rule in rules:
            severities[rule.code] = None if level == "off" else Severity(level)
    options: dict[str, dict[str, Any]] = {}
    for selector, values in merged.get("rules", {}).items():
        rule = known.get(selector)
        if rule is None:
            raise ConfigError(f"{origin['rules']}: unknown rule '{selector}'{_suggest(selector, _all_names())}")
        declared = {o.name: o for o in rule.options}
        for name, value in values.items():
            if name not in declared:
                hint = _suggest(name, list(declared)) or (
                    f" ({rule.code} has options: {', '.join(declared)})" if declared else f" ({rule.code} takes no options)"
                )
                raise ConfigError(f"{origin['rules']}: unknown option '{name}' for {rule.code}{hint}")
            expected = declared[name].type
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(f"{origin['rules']}: option '{name}' of {rule.code} must be {expected.__name__}")
            options.setdefault(rule.code, {})[name] = value
    return Config(
        select=tuple(merged.get("select", ())),
        extend_select=tuple(merged.get("extend-select", ())),
        ignore=tuple(merged.get("ignore", ())),
        severity_overrides=severities,
        failure_threshold=merged.get("failure-threshold", "info"),
        no_fail=merged.get("no-fail", False),
        trusted_registries=tuple(_normalise_registry(r) for r in merged.get("trusted-registries", ())),
        require_digest=merged.get("require-digest", False) or merged.get("strict", False),
        strict=merged.get("strict", False),
        label_schema=merged.get("label-schema", {}),
        strict_labels=merged.get("strict-labels", False),
        rule_options=options,
        shellcheck=merged.get("shellcheck", True),
        exclude=tuple(merged.get("exclude", ())),
        today=merged.get("today"),
        sources=tuple(layer.source for layer in layers),
    )


def _normalise_registry(name: str) -> str:
    """Docker Hub has several spellings; they all mean `docker.io`."""
    lowered = name.strip().lower().rstrip("/")
    return "docker.io" if lowered in ("index.docker.io", "registry-1.docker.io", "hub.docker.com") else lowered


def _all_names() -> list[str]:
    from docklint.registry import registry

    return registry().names()


@lru_cache(maxsize=256)
def discover(directory: Path) -> tuple[Layer, ...]:
    """The config layers for files in `directory`: nearest dlint config, then nearest hadolint's."""
    found: list[Layer] = []
    dlint_layer: Layer | None = None
    hadolint_layer: Layer | None = None
    for folder in (directory, *directory.parents):
        if dlint_layer is None:
            for name in DLINT_FILES:
                if (folder / name).is_file():
                    dlint_layer = layer_from_yaml(folder / name)
                    break
            else:
                if (folder / "pyproject.toml").is_file():
                    dlint_layer = layer_from_pyproject(folder / "pyproject.toml")
        if hadolint_layer is None:
            for name in HADOLINT_FILES:
                if (folder / name).is_file():
                    hadolint_layer = layer_from_yaml(folder / name, hadolint=True)
                    break
        if dlint_layer is not None and hadolint_layer is not None:
            break
    if dlint_layer is not None:
        found.append(dlint_layer)
    if hadolint_layer is not None:
        found.append(hadolint_layer)
    return tuple(found)


def resolve_config(
    directory: Path | None,
    cli: Layer | None = None,
    config_file: Path | None = None,
    extra: Sequence[Layer] = (),
) -> Config:
    """The Config for files in `directory`: CLI flags, `--config`, discovered files, defaults.

    `extra` layers (editor settings) sit between `--config` and the discovered files.
    """
    layers: list[Layer] = []
    if cli is not None:
        layers.append(cli)
    if config_file is not None:
        hadolint = config_file.name in HADOLINT_FILES
        if config_file.name == "pyproject.toml":
            layer = layer_from_pyproject(config_file)
            if layer is not None:
                layers.append(layer)
        else:
            layers.append(layer_from_yaml(config_file, hadolint=hadolint))
    layers.extend(extra)
    if directory is not None:
        layers.extend(discover(directory.resolve()))
    return build_config(layers)


def clear_cache() -> None:
    """Forget discovered config files (the language server calls this when one changes)."""
    discover.cache_clear()

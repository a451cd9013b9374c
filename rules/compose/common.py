"""Helpers the compose rule modules share: booleans as Compose reads them, `security_opt`
entries, and the fix that adds a key to a service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Fix, TextEdit
from docklint.rules.compose.edits import insert_entry, remove_entry, remove_item

if TYPE_CHECKING:  # the models load when a compose file is linted, not with the rules
    from docklint.model.compose import ComposeFile, Service
    from docklint.model.yaml_tree import Node

TRUE = frozenset({"true", "yes", "on"})
FALSE = frozenset({"false", "no", "off"})


def is_true(node: Node | None) -> bool:
    return node is not None and node.is_scalar and node.value.strip().lower() in TRUE


def is_false(node: Node | None) -> bool:
    return node is not None and node.is_scalar and node.value.strip().lower() in FALSE


@dataclass(frozen=True, slots=True)
class SecurityOption:
    """One `security_opt` item split at its first `:` or `=` (`seccomp:unconfined`)."""

    node: Node
    key: str  # lowercased
    value: str  # lowercased, "" when absent


def security_options(node: Node | None) -> Iterator[SecurityOption]:
    from docklint.model.compose import scalars

    for item in scalars(node):
        text = item.value.strip()
        cut = min((i for i in (text.find(":"), text.find("=")) if i >= 0), default=-1)
        key, value = (text[:cut], text[cut + 1 :]) if cut >= 0 else (text, "")
        yield SecurityOption(item, key.strip().lower(), value.strip().lower())


def own_security_options(service: Service) -> Iterator[tuple[Node, SecurityOption]]:
    """The service's own `security_opt` list with each item."""
    node = service.get("security_opt")
    if node is None:
        return
    for option in security_options(node):
        yield node, option


def add_key_fix(model: ComposeFile, service: Service, title: str, entry: str) -> Fix | None:
    """An unsafe fix adding `entry` (`key: value`) to the service."""
    edit = insert_entry(model, service.node, entry)
    return Fix.unsafe(title, edit) if edit is not None else None


def drop_list_item_fix(model: ComposeFile, service: Service, key: str, item: Node, title: str) -> Fix | None:
    """An unsafe fix removing one item of the service's `key` list (the whole key for its only item)."""
    found = service.entry(key)
    if found is None:
        return None
    key_node, sequence = found
    edit: TextEdit | None
    if sequence.is_scalar:
        edit = remove_entry(model, service.node, key_node)
    else:
        edit = remove_item(model, sequence, item)
        if edit is None and len(sequence.items) == 1:
            edit = remove_entry(model, service.node, key_node)
    return Fix.unsafe(title, edit) if edit is not None else None


def drop_key_fix(model: ComposeFile, service: Service, key: str, title: str) -> Fix | None:
    found = service.entry(key)
    if found is None:
        return None
    edit = remove_entry(model, service.node, found[0])
    return Fix.unsafe(title, edit) if edit is not None else None

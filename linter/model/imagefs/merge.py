"""Stacking layers into the final filesystem, and counting what the stacking hides.

Layers apply in order, as the OCI image spec says: a layer's whiteouts (`.wh.NAME`) and opaque
markers (`.wh..wh..opq`) remove what *lower* layers put there, wherever they stand in the
layer's own tar, then the layer's entries are added (a later entry for the same path wins,
as in tar). Every regular file a later layer hides (replaced, deleted by a file whiteout,
deleted with its folder, under an opaque folder, under a folder replaced by a file, or replaced
by a folder) is recorded as `Hidden`: its bytes stay in the earlier layer but nobody can see
them. Their sum is the image's wasted bytes.

Alongside, `Merger` keeps what dive's efficiency score needs (dive v0.13, `filetree/efficiency.go`):
for every non-folder path, the sizes written to it across layers, a deletion counting as a
write of 0 bytes (a replacement counts only the new size, as in dive). dive computes the same from its own trees but sizes a folder whiteout as one
write of the folder's total (so the folder's files never count as wasted) and ignores opaque
markers; here both are counted file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from docklint.model.imagefs.layer import Entry, Problem

MAX_LINK_HOPS = 40  # Linux gives up (ELOOP) after 40 symbolic links


@dataclass(slots=True)
class Node:
    """A path of the final filesystem: what it is and which layer wrote it last."""

    path: str
    kind: str  # file, dir, symlink, hardlink, char, block, fifo, other
    mode: int
    uid: int
    gid: int
    size: int
    link: str
    layer: int

    @property
    def is_file(self) -> bool:
        return self.kind in ("file", "hardlink")


@dataclass(frozen=True, slots=True)
class Hidden:
    """A layer entry that the final filesystem does not show."""

    path: str
    kind: str
    size: int  # bytes stored for it (regular files; 0 otherwise)
    mode: int
    layer: int  # the layer that stored it
    hidden_by: int  # the layer that hid it
    how: str  # replaced, deleted, folder-deleted, opaque, parent-replaced, became-folder, duplicate


HOW = {
    "replaced": "replaced",
    "deleted": "deleted (file whiteout)",
    "folder-deleted": "deleted with its folder (folder whiteout)",
    "opaque": "hidden by an opaque folder",
    "parent-replaced": "hidden when its folder was replaced by a file",
    "became-folder": "replaced by a folder",
    "duplicate": "stored twice in one layer",
}


class Merger:
    """Applies layer entries in order; `files` is the filesystem so far."""

    def __init__(self) -> None:
        self.files: dict[str, Node] = {}
        self.hidden: list[Hidden] = []
        self.problems: list[Problem] = []
        self.children: dict[str, set[str]] = {}
        self.layer_bytes: list[int] = []  # regular-file bytes each layer stored
        self.layer_hidden: list[int] = []  # of those, bytes hidden by later layers

    def apply(self, layer: int, entries: Iterable[Entry]) -> None:
        entries = list(entries)
        while len(self.layer_bytes) <= layer:
            self.layer_bytes.append(0)
            self.layer_hidden.append(0)
        for entry in entries:
            if entry.kind == "whiteout":
                self._remove(entry.path, layer, "deleted", keep_self=False)
            elif entry.kind == "opaque":
                self._remove(entry.path, layer, "opaque", keep_self=True)
        for entry in entries:
            if entry.kind not in ("whiteout", "opaque"):
                self._add(entry, layer)

    # -- removal -----------------------------------------------------------------------------

    def _remove(self, path: str, layer: int, how: str, keep_self: bool) -> None:
        if not keep_self:
            node = self.files.pop(path, None)
            if node is not None:
                self._hide(node, layer, how)
            parent = _parent(path)
            siblings = self.children.get(parent)
            if siblings is not None:
                siblings.discard(path)
        inner = "folder-deleted" if how == "deleted" else how
        for descendant in self._descendants(path, drop=True):
            node = self.files.pop(descendant, None)
            if node is not None:
                self._hide(node, layer, inner)
        if keep_self:
            self.children[path] = set()

    def _descendants(self, path: str, drop: bool) -> Iterator[str]:
        stack = [path]
        while stack:
            current = stack.pop()
            kids = self.children.pop(current, None) if drop else self.children.get(current)
            if kids:
                for kid in kids:
                    yield kid
                    stack.append(kid)

    def _hide(self, node: Node, layer: int, how: str) -> None:
        size = node.size if node.kind == "file" else 0
        self.hidden.append(Hidden(node.path, node.kind, size, node.mode, node.layer, layer, how))
        self.layer_hidden[node.layer] += size

    # -- addition ----------------------------------------------------------------------------

    def _add(self, entry: Entry, layer: int) -> None:
        path = entry.path
        old = self.files.get(path)
        if old is not None:
            if not (old.kind == "dir" and entry.kind == "dir"):
                self._hide(old, layer, "duplicate" if old.layer == layer else "replaced")
                if old.kind == "dir":
                    for descendant in self._descendants(path, drop=True):
                        node = self.files.pop(descendant, None)
                        if node is not None:
                            self._hide(node, layer, "parent-replaced")
        else:
            self._register(path, layer)
        if entry.kind == "hardlink" and entry.link not in self.files:
            self.problems.append(
                Problem("hardlink-missing", f"hard link `{path}` points to `{entry.link}`, which no layer holds", path, layer)
            )
        self.files[path] = Node(path, entry.kind, entry.mode, entry.uid, entry.gid, entry.size, entry.link, layer)
        if entry.kind == "file":
            self.layer_bytes[layer] += entry.size

    def _register(self, path: str, layer: int) -> None:
        """Record `path` under its parent folder (and the parent under its own, up the tree)."""
        children = self.children
        while path != "/":
            parent = _parent(path)
            kids = children.get(parent)
            if kids is None:
                children[parent] = {path}
            elif path in kids:
                return
            else:
                kids.add(path)
            node = self.files.get(parent)
            if node is not None and node.kind not in ("dir", "symlink"):
                # A lower layer's file stands where this layer needs a folder: it is replaced.
                del self.files[parent]
                self._hide(node, layer, "became-folder")
            path = parent

    # -- after the last layer ----------------------------------------------------------------

    def efficiency(self) -> tuple[float, int, int]:
        """dive's score (smallest write / all bytes written, summed over paths), the bytes of
        paths written more than once (dive's "wasted bytes"), and all bytes written.

        Every write is either still visible or a `Hidden` record, and a hiding that is not a
        replacement is also a write of 0 bytes, so the writes of each path are rebuilt from
        the records (no per-path table is kept while the layers are applied).
        """
        writes: dict[str, list[int]] = {}
        for hidden in self.hidden:
            if hidden.kind == "dir":
                continue
            sizes = writes.setdefault(hidden.path, [])
            sizes.append(hidden.size)
            if hidden.how not in ("replaced", "duplicate"):
                sizes.append(0)  # deleted: a write of nothing
        smallest = total = repeated = 0
        for path, node in self.files.items():
            if node.kind == "dir":
                continue
            size = node.size if node.kind == "file" else 0
            known = writes.get(path)
            if known is None:
                total += size
                smallest += size
            else:
                known.append(size)
        for sizes in writes.values():
            written = sum(sizes)
            total += written
            smallest += min(sizes)
            if len(sizes) > 1:
                repeated += written
        return (smallest / total if total else 1.0), repeated, total

    def check_links(self) -> None:
        """Report symbolic links of the final filesystem that loop."""
        for node in list(self.files.values()):
            if node.kind == "symlink" and resolve(self.files, node.path) is None:
                self.problems.append(
                    Problem("symlink-loop", f"symbolic link `{node.path}` never resolves (a loop of links)", node.path, node.layer)
                )


def resolve(files: dict[str, Node], path: str, follow_last: bool = True) -> str | None:
    """`path` with every symbolic link inside the image resolved; None for a loop."""
    stack = [part for part in reversed(path.split("/")) if part]
    current = "/"
    hops = 0
    while stack:
        part = stack.pop()
        if part == ".":
            continue
        if part == "..":
            current = _parent(current)
            continue
        candidate = f"{current.rstrip('/')}/{part}"
        node = files.get(candidate)
        if node is not None and node.kind == "symlink" and (stack or follow_last):
            hops += 1
            if hops > MAX_LINK_HOPS:
                return None
            if node.link.startswith("/"):
                current = "/"
            stack.extend(part for part in reversed(node.link.split("/")) if part)
            continue
        current = candidate
    return current


def _parent(path: str) -> str:
    parent = path.rpartition("/")[0]
    return parent or "/"

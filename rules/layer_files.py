"""Which files earlier layers created, for the layer rules (DF303, DF304): what COPY and ADD put
where, downloads and clones of earlier RUNs, and paths resolved against WORKDIR.

Paths are only as exact as the Dockerfile allows: a source that may be a folder counts as the
folder its contents land in (its children are unknown without the build context), and a relative
path needs a WORKDIR set in the file.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from docklint.model.dockerfile import copy_paths
from docklint.rules.command_flow import download
from docklint.rules.instructions import is_archive, is_url
from docklint.rules.run_edits import run_commands

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Instruction
    from docklint.model.shell import Command


@dataclass(frozen=True, slots=True)
class Created:
    """A file or folder an earlier instruction created. `folder` items received the contents of
    a source folder (or an unpacked archive); `path` may be a glob (`/app/*.jar`)."""

    path: str
    folder: bool
    inst: Instruction
    what: str  # "COPY", "ADD", "download", "git clone"


def before(df: Dockerfile, inst: Instruction) -> list[Instruction]:
    """Instructions whose layers `inst` builds on, in build order (base stages first)."""
    stage = df.stage_of(inst)
    if stage is None:
        return []
    found: list[Instruction] = []
    for current in reversed(df.lineage(stage)):
        found.extend(i for i in current.instructions if current is not stage or i.index < inst.index)
    return found


def workdir_at(df: Dockerfile, inst: Instruction) -> str | None:
    """The working directory `inst` runs in, or None when only the base image knows it."""
    workdir: str | None = None
    for other in before(df, inst):
        if other.keyword != "WORKDIR" or not other.args.text.strip():
            continue
        value, resolved = df.expand(other, other.args.text.strip())
        if not resolved:
            workdir = None
            continue
        if value.startswith("/"):
            workdir = posixpath.normpath(value)
        elif workdir is not None:
            workdir = posixpath.normpath(posixpath.join(workdir, value))
    return workdir


def absolute(df: Dockerfile, inst: Instruction, path: str) -> str | None:
    """`path` as seen by `inst`: build variables expanded, made absolute against WORKDIR."""
    if "$" in path:
        path, resolved = df.expand(inst, path)
        if not resolved or "$" in path:
            return None
    if path.startswith("~"):
        path = "/root" + path[1:]
    if not path.startswith("/"):
        base = workdir_at(df, inst)
        if base is None:
            return None
        path = posixpath.join(base, path)
    trailing = path.endswith("/") and len(path) > 1
    return posixpath.normpath(path) + ("/" if trailing else "")


_FILE_NAME = re.compile(r"[^/]*[^/.]\.[A-Za-z0-9]{1,8}$|^\.[^/]+$|/\.[^/]+$")


def copied(df: Dockerfile, inst: Instruction) -> Iterator[Created]:
    """What one COPY or ADD creates."""
    sources, dest_word = copy_paths(inst)
    if dest_word is None:
        return
    dest = absolute(df, inst, dest_word.value)
    if dest is None:
        return
    if inst.heredocs and not sources:
        yield Created(posixpath.normpath(dest), False, inst, inst.keyword)
        return
    into = dest.endswith("/") or len(sources) > 1
    dest = posixpath.normpath(dest)
    for word in sources:
        value, resolved = df.expand(inst, word.value) if "$" in word.value else (word.value, True)
        if not resolved:
            continue
        if is_url(value):
            name = posixpath.basename(value.split("?", 1)[0].split("#", 1)[0].rstrip("/"))
            yield Created(posixpath.join(dest, name) if into or not name else dest, False, inst, inst.keyword)
        elif inst.keyword == "ADD" and is_archive(value):
            yield Created(dest, True, inst, "ADD")
        elif _is_folder(df, inst, value):
            yield Created(dest, True, inst, inst.keyword)
        else:
            name = posixpath.basename(value.rstrip("/"))
            yield Created(posixpath.join(dest, name) if into else dest, False, inst, inst.keyword)


def _is_folder(df: Dockerfile, inst: Instruction, source: str) -> bool:
    """A source folder (or one that may be: no file name extension) whose contents are copied."""
    if source in (".", "./", "/") or source.endswith("/"):
        return True
    if inst.flag("from") is None and df.context_dir and "*" not in source:
        full = os.path.join(df.context_dir, source.lstrip("/"))
        if os.path.exists(full):
            return os.path.isdir(full)
    return _FILE_NAME.search(source) is None


def fetched(df: Dockerfile, inst: Instruction) -> Iterator[Created]:
    """Files a RUN downloads (curl/wget to an absolute path) or clones (`git clone url /dir`) and
    does not remove again in the same RUN."""
    commands = run_commands(df, inst)
    for index, command in enumerate(commands):
        item = _fetch_target(command, inst)
        if item is not None and not any(removes_item(c, item.path) for c in commands[index + 1 :]):
            yield item


def _fetch_target(command: Command, inst: Instruction) -> Created | None:
    got = download(command)
    if got is not None:
        if got.output and got.output.startswith("/") and "$" not in got.output:
            return Created(posixpath.normpath(got.output), False, inst, "download")
        return None
    if command.name == "git" and command.subcommand_name == "clone":
        operands = command.operands()
        if len(operands) >= 2 and operands[1].value.startswith("/") and not operands[1].has_expansion:
            return Created(posixpath.normpath(operands[1].value), True, inst, "git clone")
    return None


def removes_item(command: Command, path: str) -> bool:
    """`rm` of `path` itself or of a folder holding it."""
    if command.name != "rm":
        return False
    return any(hits(w.value, path, folder=False) for w in command.positionals() if not w.has_expansion)


def hits(target: str, path: str, folder: bool) -> bool:
    """`target` (an rm or chown operand, absolute) takes in `path`: the same path, a glob matching
    it, or a folder above it. Under a `folder` item nothing deeper counts (its children are not
    known). The root and top-level system folders never count as above."""
    target = target.rstrip("/") or "/"
    if target == path or ("*" in target or "?" in target) and fnmatch.fnmatchcase(path, target):
        return True
    if "*" in path and fnmatch.fnmatchcase(target, path):
        return not folder
    parent = target if not any(c in target for c in "*?[") else None
    return parent is not None and parent not in _TOO_BROAD and path.startswith(parent + "/")


_TOO_BROAD = frozenset("/ /usr /var /etc /opt /home /srv /lib /bin /sbin /root /run /mnt".split())

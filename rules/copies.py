"""Rules about COPY and ADD layers: ownership or modes rewritten by a later RUN (DF304), and
consecutive copies into one destination (DF309)."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.layer_files import Created, absolute, before, copied, hits
from docklint.rules.run_edits import command_range, run_commands, shipped_runs

_OCTAL = re.compile(r"[0-7]{3,4}")
_OWNER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
# chown/chmod options a `COPY --chown/--chmod` has no equivalent for.
_OTHER_OPTIONS = frozenset({"--from", "--reference", "-h", "--no-dereference", "-H", "-L", "-P"})


@rule(
    code="DF304",
    name="chown-chmod-duplicates-layer",
    severity=Severity.WARNING,
    summary="A RUN chown -R or chmod -R rewrites files an earlier COPY or ADD added",
    message="`{command}` rewrites every file the `{keyword}` on line {line} put in `{path}` into a "
    "new layer, so the image carries them twice; set {what} in the copy with `{keyword} {flag}`",
    rationale=(
        "Changing the owner or mode of a file in a later `RUN` copies the whole file into the new "
        "layer; the original stays in the `COPY` layer underneath, so a recursive `chown` over an "
        "application folder doubles its size. `COPY --chown=user:group` and `COPY --chmod=755` "
        "set them as the files are written. Only stages that reach the final image are checked."
    ),
    bad="FROM node:20-slim\nWORKDIR /app\nCOPY . /app\nRUN chown -R node:node /app",
    good="FROM node:20-slim\nWORKDIR /app\nCOPY --chown=node:node . /app",
    fix_safety=(
        "Unsafe: offered when the `RUN` holds only the `chown`/`chmod` and the `COPY` right before "
        "it is the only source of the folder's files; a folder that already existed keeps its own "
        "owner and mode, and `COPY --chmod` needs BuildKit."
    ),
    history=True,
    tags=("bloat",),
    needs_instructions=("COPY", "ADD"),
    needs_text=("chown", "chmod"),
)
def chown_chmod_duplicates_layer(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in shipped_runs(df):
        earlier = before(df, inst)
        commands = run_commands(df, inst)
        for command in commands:
            if command.name not in ("chown", "chmod") or not command.has_flag("-R", "--recursive"):
                continue
            operands = command.positionals()
            if len(operands) < 2:
                continue
            for word in operands[1:]:
                target = absolute(df, inst, word.value)
                origins = _copies_under(df, earlier, target) if target is not None else []
                if not origins:
                    continue
                last = origins[-1]
                fix = _fix(df, inst, command, commands, earlier, origins, operands[0].value, target or "")
                flag = "--chown=" if command.name == "chown" else "--chmod="
                yield ctx.finding(
                    command_range(command), fix=fix, command=f"{command.name} -R", keyword=last.inst.keyword,
                    line=last.inst.first_line + 1, path=word.value, flag=f"{flag}{operands[0].value}",
                    what="the owner" if command.name == "chown" else "the mode",
                )
                break


def _copies_under(df: Dockerfile, earlier: list[Instruction], target: str) -> list[Created]:
    """COPY/ADD results at or under `target`, in build order (one per instruction)."""
    found: list[Created] = []
    for other in earlier:
        if other.keyword in ("COPY", "ADD"):
            item = next((i for i in copied(df, other) if hits(target, i.path, i.folder)), None)
            if item is not None:
                found.append(item)
    return found


def _fix(
    df: Dockerfile, inst: Instruction, command: Command, commands: list[Command], earlier: list[Instruction],
    origins: list[Created], value: str, target: str,
) -> Fix | None:
    """Move the owner or mode onto the COPY and drop the RUN, when nothing else is involved."""
    copy = origins[-1].inst
    scripts = df.scripts(inst)
    if len(origins) != 1 or len(commands) != 1 or len(scripts) != 1 or scripts[0].kind != "run" or inst.flags:
        return None
    if command.nested is not None or any(f.name in _OTHER_OPTIONS for f in command.flags) or len(command.positionals()) != 2:
        return None
    if origins[0].path != target.rstrip("/") or earlier[-1] is not copy or inst.parent is not None:
        return None
    if command.name == "chown":
        if not _OWNER.fullmatch(value) or copy.flag("chown") is not None:
            return None
        flag = f"--chown={value}"
    else:
        if not _OCTAL.fullmatch(value) or copy.flag("chmod") is not None:
            return None
        flag = f"--chmod={value}"
    anchor = copy.flags[-1].range.end if copy.flags else copy.keyword_range.end
    delete = TextEdit.delete(inst.span)
    return Fix.unsafe(f"Use `{copy.keyword} {flag}`", TextEdit.insert(anchor, f" {flag}"), delete)


# -- DF309 ----------------------------------------------------------------------------------


@rule(
    code="DF309",
    name="consecutive-copy-same-dest",
    severity=Severity.INFO,
    summary="Consecutive COPY or ADD instructions into the same folder",
    message="this `{keyword}` copies into `{dest}` right after another `{keyword}` into the same "
    "folder with the same options, adding a layer for nothing; merge the sources into one `{keyword}`",
    rationale=(
        "Each `COPY` and `ADD` makes a layer. Two in a row with the same options and the same "
        "destination folder do the same as one instruction listing both sources, with one layer "
        "less and one cache check less. Copies to different folders, with different `--from`, "
        "`--chown`, `--chmod` or `--link`, or with an instruction in between, are left alone: "
        "keeping a dependency manifest apart from the source is usually deliberate."
    ),
    bad="FROM node:20-slim\nWORKDIR /app\nCOPY package.json ./\nCOPY package-lock.json ./\nRUN npm ci",
    good="FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci",
    fix_safety="Safe: the same files land in the same folder; only the number of layers changes.",
    tags=("bloat",),
    needs_instructions=("COPY", "ADD"),
)
def consecutive_copy_same_dest(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    previous: Instruction | None = None
    for stage in df.stages:
        previous = None
        for inst in stage.instructions:
            if inst.keyword not in ("COPY", "ADD"):
                previous = None
                continue
            dest = _folder_dest(df, inst)
            if previous is not None and dest is not None and _same(previous, inst) and _folder_dest(df, previous) == dest:
                written = copy_paths(inst)[1]
                shown = written.value if written is not None else dest
                yield ctx.finding(inst.keyword_range, fix=_merge(df, previous, inst), keyword=inst.keyword, dest=shown)
            previous = inst


def _folder_dest(df: Dockerfile, inst: Instruction) -> str | None:
    """The destination when it is plainly a folder (`./`, `.`, `/app/`), as written."""
    if inst.heredocs or inst.flag("checksum") is not None:
        return None
    _sources, dest = copy_paths(inst)
    if dest is None:
        return None
    value = dest.value
    folder = value in (".", "./") or value.endswith("/") or df.escape == "`" and value.endswith("\\")
    return value.rstrip("/\\") or value if folder else None


def _same(first: Instruction, second: Instruction) -> bool:
    def key(inst: Instruction) -> tuple[str, tuple[tuple[str, str | None], ...]]:
        return inst.keyword, tuple(sorted((f.name, f.value) for f in inst.flags))

    return key(first) == key(second) and first.json_args is None and second.json_args is None


def _merge(df: Dockerfile, first: Instruction, second: Instruction) -> Fix | None:
    """Add the second instruction's sources before the first's destination; delete the second."""
    between = [c for c in df.comments if first.last_line < c.range.start.line < second.first_line]
    if between or second.inner_comments:
        return None
    first_sources, first_dest = copy_paths(first)
    sources, _dest = copy_paths(second)
    if first_dest is None or not sources or not first_sources:
        return None
    text = " ".join(word.raw for word in sources)
    insert = TextEdit.insert(first_dest.range.start, f"{text} ")
    return Fix.safe(f"Merge into the `{first.keyword}` above", insert, TextEdit.delete(second.span))

"""Shell analysis of RUN: scripts, simple commands and words with exact file ranges.

`Dockerfile.scripts(inst)` and `Dockerfile.commands(...)` are the entry points for rules; they
call `scripts_of` here lazily (bashlex is imported only when a RUN needs parsing). A RUN gives
one `Script` per piece of code the build runs: the shell-form text, a heredoc body run by a POSIX
shell, or the exec-form argument list. Each script lists its simple commands in order, nested
ones included (`sh -c '...'`, `sudo`, `env`, `xargs`, `$(...)`, `python -m pip`); every word
keeps its range in the file, continuation lines and heredoc bodies mapped back.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from docklint.model.shell_flags import SUBCOMMAND_ALIASES, SUBCOMMAND_TOOLS, flag_matches
from docklint.model.shell_flags import ShellFlag as ShellFlag  # re-exported for rules
from docklint.model.shell_flags import scan_flags as scan_flags
from docklint.model.shell_flags import tool_name as tool_name
from docklint.model.source import MappedText, Range

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Heredoc, Instruction, Stage

# What happened while analysing scripts in this process (printed by `dlint --debug`).
STATS: dict[str, int] = {
    "scripts": 0,  # scripts analysed as POSIX shell
    "fallback_scripts": 0,  # scripts bashlex could not parse whole
    "fallback_segments": 0,  # segments re-parsed one by one after a failure
    "tokenized_segments": 0,  # segments bashlex still rejected: words from the tokenizer
    "skipped_scripts": 0,  # PowerShell/cmd scripts and non-shell heredocs (not analysed)
}


@dataclass(frozen=True, slots=True)
class ShellWord:
    """One shell word. `value` is what the shell passes after quote removal, variables unexpanded.

    `raw` is the word as written, at `offset` in `text` (the script or nested string it was
    parsed from); `range` is its place in the file, computed on access. `exact` is True when
    the file text at `range` is exactly `raw` (False for a word that spans a line continuation
    or sits in a nested string with escapes: the range still covers the word, but an edit must
    not assume the text there equals `raw`).
    """

    value: str
    raw: str
    text: MappedText = field(compare=False, repr=False)
    offset: int = 0
    quoted: bool = False
    has_expansion: bool = False  # `$var`, `${...}`, `$(...)` or backquotes outside single quotes

    @property
    def range(self) -> Range:
        return self.text.range(self.offset, self.offset + len(self.raw))

    @property
    def end(self) -> int:
        """The offset just after the word in `text`."""
        return self.offset + len(self.raw)

    @property
    def exact(self) -> bool:
        from docklint.model.shell_words import contiguous

        return contiguous(self.text, self.offset, self.offset + len(self.raw))

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Redirect:
    """A redirection: `op` as written without the fd (`>`, `>>`, `<`, `<<`, `<<<`, `>&`, `&>`)."""

    op: str
    fd: int | None
    target: ShellWord | None  # None when the target is an fd number bashlex resolved (`2>&1`)
    text: MappedText = field(compare=False, repr=False)
    start: int = 0
    end: int = 0

    @property
    def range(self) -> Range:
        return self.text.range(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Mount:
    """One `RUN --mount=...` flag, parsed the way BuildKit reads it (CSV of `key=value`)."""

    type: str  # bind (default), cache, tmpfs, secret, ssh
    target: str | None
    source: str | None
    id: str | None
    from_: str | None
    options: tuple[tuple[str, str | None], ...]  # every key as written, lower-cased
    range: Range

    def option(self, key: str) -> str | None:
        for name, value in self.options:
            if name == key:
                return value
        return None

    @property
    def readonly(self) -> bool:
        return any(name in ("ro", "readonly") and value in (None, "true") for name, value in self.options)


@dataclass(eq=False, slots=True, weakref_slot=True)
class Command:
    """One simple command. Built by the analysis and read-only for rules.

    `argv` holds the command words without assignments and redirections; `name` is the
    basename of `argv[0]`. `nested` says how the command was reached when it is not a direct
    part of the script, with `parent` the command that runs it (or, for substitutions, the
    command whose word holds it): `"sh -c"` (any POSIX shell's `-c`), `"su -c"`,
    `"runuser -c"`, `"eval"`, a wrapper's name (`"sudo"`, `"env"`, `"xargs"`, `"nice"`,
    `"timeout"`, `"gosu"`, ...), `"python -m"` (`python -m pip`), `"find -exec"`, `"$("` (command
    substitution, backquotes included) and `"<("`/`">("` (process substitution).
    """

    name: str
    argv: tuple[ShellWord, ...]
    assignments: tuple[ShellWord, ...]
    redirects: tuple[Redirect, ...]
    text: MappedText  # the text this command was parsed from (script text or nested string)
    start: int  # offsets of the command in `text`
    end: int
    nested: str | None = None
    parent: Command | None = None
    negated: bool = False  # `! cmd`
    in_condition: bool = False  # in an if/while/until test, or followed by `||` (failure handled)
    fallback: bool = False  # words came from the tokenizer, not from bashlex
    # `piped_from` and `script` are properties below: they hold weak references, so a model's
    # commands and scripts form no reference cycles and are freed as soon as the model is,
    # without waiting for a full garbage collection (the script holds its commands, and
    # `piped_to` the next command of a pipe).
    _piped_from: weakref.ReferenceType[Command] | None = field(default=None, repr=False)
    piped_to: Command | None = None
    _script: weakref.ReferenceType[Script] | None = field(default=None, repr=False)
    instruction: Instruction | None = None
    index: int = 0  # position in `script.commands`
    _flags: tuple[ShellFlag, ...] | None = field(default=None, repr=False)
    _positionals: tuple[ShellWord, ...] | None = field(default=None, repr=False)
    _tool: str | None = field(default=None, repr=False)

    @property
    def piped_from(self) -> Command | None:
        """The command whose output this one reads through `|`."""
        return self._piped_from() if self._piped_from is not None else None

    @piped_from.setter
    def piped_from(self, command: Command | None) -> None:
        self._piped_from = weakref.ref(command) if command is not None else None

    @property
    def script(self) -> Script | None:
        return self._script() if self._script is not None else None

    @script.setter
    def script(self, script: Script | None) -> None:
        self._script = weakref.ref(script) if script is not None else None

    @property
    def range(self) -> Range:
        """From the first assignment or word to the last word or redirection, in the file."""
        return self.text.range(self.start, self.end)

    @property
    def args(self) -> tuple[ShellWord, ...]:
        return self.argv[1:]

    @property
    def words(self) -> tuple[ShellWord, ...]:
        return self.argv

    @property
    def tool(self) -> str:
        """The name used for per-tool tables (`pip3.11` and `pip3` read as `pip`)."""
        tool = self._tool
        if tool is None:
            tool = self._tool = tool_name(self.name)
        return tool

    @property
    def source_text(self) -> str:
        """The command as written in its (mapped) text."""
        return self.text.text[self.start : self.end]

    @property
    def flags(self) -> tuple[ShellFlag, ...]:
        if self._flags is None:
            self._scan()
        assert self._flags is not None
        return self._flags

    def positionals(self) -> tuple[ShellWord, ...]:
        """Arguments that are neither flags nor flag values (everything after `--` included)."""
        if self._positionals is None:
            self._scan()
        assert self._positionals is not None
        return self._positionals

    @property
    def subcommand(self) -> ShellWord | None:
        """The first operand of tools with subcommands (`install` in `apt-get -y install x`)."""
        if self.tool not in SUBCOMMAND_TOOLS:
            return None
        operands = self.positionals()
        return operands[0] if operands else None

    @property
    def subcommand_name(self) -> str | None:
        """The subcommand with the tool's aliases resolved (`npm i` -> `install`)."""
        word = self.subcommand
        if word is None:
            return None
        return SUBCOMMAND_ALIASES.get(self.name, SUBCOMMAND_ALIASES.get(self.tool, {})).get(word.value, word.value)

    def operands(self) -> tuple[ShellWord, ...]:
        """Positionals after the subcommand (the packages of `apt-get install`)."""
        operands = self.positionals()
        return operands[1:] if self.subcommand is not None else operands

    def flag(self, *names: str) -> ShellFlag | None:
        """The first flag matching one of `names` (short clusters and `--flag=value` understood)."""
        for flag in self.flags:
            if any(flag_matches(self.tool, flag.name, name) for name in names):
                return flag
        return None

    def has_flag(self, *names: str) -> bool:
        return self.flag(*names) is not None

    def flag_value(self, *names: str) -> str | None:
        found = self.flag(*names)
        return found.value if found is not None else None

    def flag_values(self, *names: str) -> list[ShellFlag]:
        return [f for f in self.flags if any(flag_matches(self.tool, f.name, name) for name in names)]

    def _scan(self) -> None:
        flags, operands = scan_flags(self.tool, self.args)
        self._flags, self._positionals = tuple(flags), tuple(operands)


@dataclass(eq=False, slots=True, weakref_slot=True)
class Script:
    """A piece of shell code run by one RUN: the shell-form text, a heredoc body or exec form.

    `kind` is `run`, `heredoc` or `exec`. `shell` is `posix`, `powershell`, `cmd` or `other`
    (from the stage's SHELL; for exec form `posix` when it runs `sh -c`, else `none`); only
    POSIX scripts are analysed. `interpreter` names a heredoc's non-shell interpreter
    (`python3`), whose body is not parsed. `shell_options` come from SHELL's flags,
    `set_options` add every top-level `set` in the script (long names: `errexit`, `nounset`,
    `xtrace`, `pipefail`, ...).
    """

    instruction: Instruction
    text: MappedText
    kind: str
    shell: str
    shell_argv: tuple[str, ...]
    commands: tuple[Command, ...] = ()
    interpreter: str | None = None
    heredoc: Heredoc | None = None
    fallback: bool = False  # bashlex could not parse the whole script: it was split and retried
    tokenized: int = 0  # segments bashlex rejected even alone; their words come from the tokenizer
    shell_options: frozenset[str] = frozenset()
    set_options: frozenset[str] = frozenset()
    mounts: tuple[Mount, ...] = ()
    _set_points: tuple[tuple[int, Command | None, frozenset[str], frozenset[str]], ...] = ()
    _main: Command | None = None  # for `RUN ["sh", "-c", "..."]`: the shell running the string
    # Every command parsed, duplicates dropped from `commands` included: commands refer to each
    # other weakly (`piped_from`), so the script keeps them all alive.
    _parsed: tuple[Command, ...] = field(default=(), repr=False)

    @property
    def analysed(self) -> bool:
        """True when the commands were analysed (POSIX shell scripts and exec form)."""
        return self.interpreter is None and (self.shell == "posix" or self.kind == "exec")

    @property
    def has_pipe(self) -> bool:
        return any(c.piped_to is not None for c in self.commands)

    @property
    def uses_pipefail(self) -> bool:
        return "pipefail" in self.set_options

    def options_at(self, command: Command) -> frozenset[str]:
        """Shell options in effect when `command` runs.

        For the script's own shell: SHELL's flags, then the `set`s before `command`. For a
        command inside `sh -c '...'` (or `su -c`, `runuser -c`): that shell's flags
        (`bash -o pipefail -c`), then the `set`s before it in the same string.
        """
        context = shell_context(command)
        if context is None or context is self._main:
            options = set(self.shell_options)
        else:
            options = set(flag_options(context))
        for index, where, added, removed in self._set_points:
            if index >= command.index:
                break
            if where is context:
                options |= added
                options -= removed
        return frozenset(options)

    def cache_mount(self, *targets: str) -> Mount | None:
        """The first `--mount=type=cache` whose target is one of `targets` (any when none given)."""
        for mount in self.mounts:
            if mount.type == "cache" and (not targets or (mount.target or "").rstrip("/") in targets):
                return mount
        return None


def shell_counts(df: Dockerfile) -> dict[str, int]:
    """Counters for `dlint --debug` over the scripts worked out so far for `df` (parses nothing)."""
    counts = {"shell_scripts": 0, "shell_fallback_scripts": 0, "shell_tokenized_segments": 0, "shell_skipped_scripts": 0}
    for scripts in df.scripts_by_id.values():
        for script in scripts:
            if script.analysed:
                counts["shell_scripts"] += 1
                counts["shell_fallback_scripts"] += script.fallback
                counts["shell_tokenized_segments"] += script.tokenized
            else:
                counts["shell_skipped_scripts"] += 1
    return counts


# Nested kinds that start a new shell process, whose options are its own.
NEW_SHELL = frozenset({"sh -c", "su -c", "runuser -c"})
OPTION_LETTERS = {
    "e": "errexit", "u": "nounset", "x": "xtrace", "v": "verbose", "f": "noglob", "n": "noexec",
    "a": "allexport", "E": "errtrace", "C": "noclobber", "b": "notify", "h": "hashall", "T": "functrace",
    "m": "monitor", "B": "braceexpand", "H": "histexpand", "P": "physical", "k": "keyword", "t": "onecmd",
}


def shell_context(command: Command) -> Command | None:
    """The command whose `-c` string runs `command` (`sh` in `sh -c '...'`), or None when the
    script's own shell runs it (wrappers and substitutions do not start a new shell string)."""
    current: Command | None = command
    while current is not None and current.nested is not None:
        if current.nested in NEW_SHELL:
            return current.parent
        current = current.parent
    return None


def flag_options(shell: Command) -> frozenset[str]:
    """Options a shell command turns on with its own flags (`bash -eo pipefail -c ...`)."""
    if shell.name in ("su", "runuser"):
        return frozenset()
    words: list[ShellWord] = []
    for word in shell.args:
        if not word.value.startswith(("-", "+")) or word.value == "--":
            if words and words[-1].value[-1:] in ("o", "O") and words[-1].value[:1] in "-+":
                words.append(word)  # the option name after `-o`
                continue
            break
        words.append(word)
    return set_changes(tuple(w for w in words if w.value != "-c"))[0]


def set_changes(args: tuple[ShellWord, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """Options a `set` command turns on and off: `-eux`, `+e`, `-o pipefail`, `-euxo pipefail`.

    Long names are used throughout (`errexit`, `nounset`, `xtrace`, `pipefail`, ...).
    """
    added: set[str] = set()
    removed: set[str] = set()
    i = 0
    while i < len(args):
        text = args[i].value
        i += 1
        if len(text) < 2 or text[0] not in "-+" or text == "--":
            continue
        target = added if text[0] == "-" else removed
        other = removed if text[0] == "-" else added
        for letter in text[1:]:
            if letter in "oO":
                if i < len(args):
                    name = args[i].value
                    target.add(name)
                    other.discard(name)
                    i += 1
            elif letter in OPTION_LETTERS:
                target.add(OPTION_LETTERS[letter])
                other.discard(OPTION_LETTERS[letter])
    return frozenset(added), frozenset(removed)


def scripts_of(df: Dockerfile, inst: Instruction) -> list[Script]:
    """Analyse one RUN instruction (uncached; use `Dockerfile.scripts`)."""
    from docklint.model.shell_scripts import build_scripts

    return build_scripts(df, inst)


def iter_commands(
    df: Dockerfile,
    name: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
    subcommand: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
    stage: Stage | int | None = None,
    inst: Instruction | None = None,
) -> Iterator[Command]:
    """Commands of every RUN (ONBUILD bodies included), optionally filtered, in file order;
    given `inst`, those of that one RUN (what a per-instruction rule looks at)."""
    if inst is not None:
        yield from _commands_of(df, inst, name, subcommand)
        return
    every, by_name = _command_index(df)
    stage_index = stage if isinstance(stage, int) or stage is None else stage.index
    if name is None and stage_index is not None:
        candidates = _stage_index(df, every).get(stage_index, [])  # (a rule may ask per stage)
    elif name is None:
        candidates = every
    elif isinstance(name, str):
        candidates = by_name.get(name, [])
    else:
        found = {id(c): c for n in name for c in by_name.get(n, [])}
        candidates = [c for c in every if id(c) in found] if len(found) else []
    subs = {subcommand} if isinstance(subcommand, str) else set(subcommand) if subcommand is not None else None
    for command in candidates:
        if stage_index is not None and (command.instruction is None or command.instruction.stage_index != stage_index):
            continue
        if subs is not None and command.subcommand_name not in subs:
            continue
        yield command


def _commands_of(
    df: Dockerfile,
    inst: Instruction,
    name: str | set[str] | frozenset[str] | tuple[str, ...] | None,
    subcommand: str | set[str] | frozenset[str] | tuple[str, ...] | None,
) -> Iterator[Command]:
    names = {name} if isinstance(name, str) else name
    subs = {subcommand} if isinstance(subcommand, str) else subcommand
    for script in df.scripts(inst):
        for command in script.commands:
            if names is not None and command.name not in names and command.tool not in names:
                continue
            if subs is not None and command.subcommand_name not in subs:
                continue
            yield command


def _stage_index(df: Dockerfile, every: list[Command]) -> dict[int, list[Command]]:
    """The commands of each stage, in file order (cached on the Dockerfile)."""
    key = ("shell-commands-by-stage",)
    cached = df._cache.get(key)
    if cached is None:
        by_stage: dict[int, list[Command]] = {}
        for command in every:
            if command.instruction is not None:
                by_stage.setdefault(command.instruction.stage_index, []).append(command)
        cached = df._cache[key] = by_stage
    return cached  # type: ignore[return-value]


def _command_index(df: Dockerfile) -> tuple[list[Command], dict[str, list[Command]]]:
    """All commands in file order, and by name and tool (cached on the Dockerfile)."""
    key = ("shell-commands",)
    cached = df._cache.get(key)
    if cached is None:
        from docklint.model.dockerfile import iter_with_onbuild

        every: list[Command] = []
        by_name: dict[str, list[Command]] = {}
        for inst in iter_with_onbuild(df.instructions):
            if inst.keyword != "RUN":
                continue
            for script in df.scripts(inst):
                for command in script.commands:
                    every.append(command)
                    by_name.setdefault(command.name, []).append(command)
                    if command.tool != command.name:
                        by_name.setdefault(command.tool, []).append(command)
        cached = df._cache[key] = (every, by_name)
    return cached  # type: ignore[return-value]

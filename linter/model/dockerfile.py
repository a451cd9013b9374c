"""The Dockerfile model: instructions with exact ranges, heredocs, stages and build variables.

dockerfile-parse gives instruction names and line numbers, but no columns, no flags and no
heredocs (it reads the lines of a `RUN <<EOF` body as instructions of their own), and every rule
here needs columns. So the model scans the lines itself (`model/parser.py`, following BuildKit's
parser); this module holds what the scan produces (`Dockerfile`: stages, build-variable scopes,
scripts and commands on demand) and the word, key-value and image-reference helpers both use.
The test suite checks it against dockerfile-parse on the corpus (same instructions on the same
lines wherever heredocs are not involved).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Iterable, Iterator

from docklint.model.nodes import (
    Comment,
    Directive,
    ImageRef,
    Instruction,
    KeyValue,
    Node,
    Stage,
    SyntaxProblem,
    Word,
)
from docklint.model.memo import register_lru
from docklint.model.source import Source
from docklint.model.variables import expand

if TYPE_CHECKING:
    from docklint.model.shell import Command, Script

KEYWORDS = frozenset(
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN "
    "SHELL STOPSIGNAL USER VOLUME WORKDIR".split()
)
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
JSON_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
# Flags BuildKit's dockerfile frontend accepts per instruction (Dockerfile reference, 1.x labs
# flags included so valid files are not reported).
KNOWN_FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "COPY": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", "parents", "unpack"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
NEEDS_ARGUMENTS = KEYWORDS - {"CMD", "ENTRYPOINT", "ONBUILD"}
# Variables BuildKit defines for every build; their values are only known at build time.
AUTOMATIC_ARGS = frozenset(
    "TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM BUILDOS BUILDARCH "
    "BUILDVARIANT TARGETSTAGE BUILDKIT_SYNTAX BUILDKIT_INLINE_CACHE BUILDKIT_CONTEXT_KEEP_GIT_DIR "
    "BUILDKIT_MULTI_PLATFORM BUILDKIT_SANDBOX_HOSTNAME SOURCE_DATE_EPOCH HTTP_PROXY HTTPS_PROXY "
    "FTP_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy ftp_proxy no_proxy all_proxy".split()
)
DIRECTIVES = frozenset({"syntax", "escape", "check"})



@dataclass
class Dockerfile:
    """A parsed Dockerfile. Built once per input and shared, read-only, by every rule."""

    path: str
    source: Source
    escape: str
    directives: dict[str, Directive]
    nodes: list[Node]
    instructions: list[Instruction]
    comments: list[Comment]
    stages: list[Stage]
    global_args: list[Instruction]
    problems: list[SyntaxProblem]
    context_dir: str | None = None
    image_platform: str | None = None  # the built image's `os/arch[/variant]`, when image mode knows it
    _cache: dict[object, object] = field(default_factory=dict, repr=False)
    # The shell scripts of each RUN worked out so far, by `id` of the instruction. They depend
    # on the file up to the end of the instruction only, so the next parse of this path starts
    # with those of the instructions it shares with this one (`reparse.LAST`).
    scripts_by_id: dict[int, list[Script]] = field(default_factory=dict, repr=False)

    def of(self, *keywords: str) -> Iterator[Instruction]:
        """Instructions with one of these keywords, in file order (ONBUILD bodies excluded)."""
        if len(keywords) == 1:
            return iter(self._by_keyword()[0].get(keywords[0], ()))
        return (i for i in self.instructions if i.keyword in keywords)

    def with_onbuild(self, keyword: str) -> list[Instruction]:
        """Instructions with this keyword, ONBUILD bodies included, in file order."""
        return self._by_keyword()[1].get(keyword, [])

    def _by_keyword(self) -> tuple[dict[str, list[Instruction]], dict[str, list[Instruction]]]:
        """Instructions by keyword without and with ONBUILD bodies (built once: rules ask often)."""
        index = self._cache.get(("by_keyword",))
        if index is None:
            plain: dict[str, list[Instruction]] = {}
            every: dict[str, list[Instruction]] = {}
            for inst in self.instructions:
                plain.setdefault(inst.keyword, []).append(inst)
            for inst in iter_with_onbuild(self.instructions):
                every.setdefault(inst.keyword, []).append(inst)
            index = self._cache[("by_keyword",)] = (plain, every)
        return index  # type: ignore[return-value]

    def stage_of(self, inst: Instruction) -> Stage | None:
        return self.stages[inst.stage_index] if 0 <= inst.stage_index < len(self.stages) else None

    def stage_started_by(self, inst: Instruction) -> Stage | None:
        """The stage a FROM starts (None for any other instruction): what per-FROM rules read."""
        stage = self.stage_of(inst)
        return stage if stage is not None and stage.from_ is inst else None

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def lineage(self, stage: Stage | None = None) -> list[Stage]:
        """`stage` (default: the final stage), then each stage it builds on through
        `FROM <stage>`, nearest first; the last one names an image (or scratch)."""
        chain: list[Stage] = []
        seen: set[int] = set()  # by index: comparing stages would compare their instructions
        current = stage if stage is not None else self.final_stage
        while current is not None and current.index not in seen:
            seen.add(current.index)
            chain.append(current)
            current = self.stages[current.base_stage] if current.base_stage is not None else None
        return chain

    def stage_named(self, name: str) -> Stage | None:
        """The stage a `--from=`/`FROM` value refers to: a name (case-insensitive) or an index."""
        named = self._cache.get(("stages_by_name",))
        if named is None:
            named = {}
            for stage in self.stages:
                if stage.name is not None:
                    named.setdefault(stage.name.lower(), stage)
            self._cache[("stages_by_name",)] = named
        found = named.get(name.lower())  # type: ignore[union-attr]
        if found is not None:
            return found  # type: ignore[no-any-return]
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None

    def key_values(self, inst: Instruction) -> list[KeyValue]:
        """The `key=value` pairs of an ENV, ARG or LABEL instruction (cached)."""
        key = ("kv", id(inst))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = parse_key_values(inst)
        return cached  # type: ignore[return-value]

    def scope(self, inst: Instruction) -> dict[str, str | None]:
        """Build variables visible to `inst`: global ARGs, then the stage's ARG and ENV, in order.

        Values are expanded; None means declared without a known value. A global ARG is only
        visible in a stage after `ARG NAME` re-declares it there, as in BuildKit. The result is
        a fresh dict the caller may change.
        """
        if inst.stage_index < 0:
            return self.global_scope(before=inst)
        if inst.keyword == "FROM" and inst.parent is None:
            return self.global_scope()  # FROM sees only the ARGs declared before the first FROM
        snapshots = self._stage_scopes(inst.stage_index)
        stage = self.stages[inst.stage_index]
        position = bisect.bisect_left(stage.instructions, inst.index, key=_instruction_index)
        return dict(snapshots[position])

    def global_scope(self, before: Instruction | None = None) -> dict[str, str | None]:
        if before is None and "global-scope" in self._cache:
            return dict(self._cache["global-scope"])  # type: ignore[call-overload]
        scope: dict[str, str | None] = {}
        for arg in self.global_args:
            if before is not None and arg.index >= before.index:
                break
            for key, value in pairs(arg):
                scope[key] = expand(value, scope, self.escape)[0] if value is not None else None
        if before is None:
            self._cache["global-scope"] = dict(scope)
        return scope

    def _stage_scopes(self, stage_index: int) -> list[dict[str, str | None]]:
        """The scope before each instruction of a stage, and after its last (computed once)."""
        key = ("stage-scopes", stage_index)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        stage = self.stages[stage_index]
        globals_ = self.global_scope()
        scope: dict[str, str | None] = {}
        if stage.base_stage is not None and self.stages[stage.base_stage].instructions:
            # ENV is inherited from the stage this one builds on (ARG is not).
            scope.update(self._env_of_stage(self.stages[stage.base_stage]))
        snapshots = [dict(scope)]
        for inst in stage.instructions:
            self._apply(inst, scope, globals_)
            snapshots.append(dict(scope))
        self._cache[key] = snapshots
        return snapshots

    def _env_of_stage(self, stage: Stage) -> dict[str, str | None]:
        final = self._stage_scopes(stage.index)[-1]
        declared = self._declared_env(stage)
        return {k: v for k, v in final.items() if k in declared}

    def _declared_env(self, stage: Stage) -> frozenset[str]:
        names = {key for inst in stage.instructions if inst.keyword == "ENV" for key, _ in pairs(inst)}
        if stage.base_stage is not None:
            names |= self._declared_env(self.stages[stage.base_stage])
        return frozenset(names)

    def _apply(self, inst: Instruction, scope: dict[str, str | None], globals_: dict[str, str | None]) -> None:
        if inst.keyword == "ARG":
            for key, value in pairs(inst):
                if value is not None:
                    scope[key] = expand(value, scope, self.escape)[0]
                elif key in globals_:
                    scope[key] = globals_[key]
                else:
                    scope.setdefault(key, None)
        elif inst.keyword == "ENV":
            # All pairs of one ENV see the values from before the instruction (DL3044).
            before = dict(scope)
            for key, value in pairs(inst):
                scope[key] = expand(value or "", before, self.escape)[0]

    def expand(self, inst: Instruction, text: str) -> tuple[str, bool]:
        """Expand build variables in `text` as seen from `inst`."""
        return expand(text, self.scope(inst), self.escape)

    def scripts(self, inst: Instruction) -> list[Script]:
        """The shell scripts a RUN runs, with their commands (cached; see `model/shell.py`)."""
        found = self.scripts_by_id.get(id(inst))
        if found is None:
            if inst.keyword != "RUN":
                return []
            from docklint.model.shell import scripts_of

            found = self.scripts_by_id[id(inst)] = scripts_of(self, inst)
        return found

    def commands(
        self,
        name: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
        subcommand: str | set[str] | frozenset[str] | tuple[str, ...] | None = None,
        stage: Stage | int | None = None,
        inst: Instruction | None = None,
    ) -> Iterator[Command]:
        """Simple commands of every RUN (ONBUILD's included), in file order, nested ones too;
        with `inst`, of that one RUN only (for per-instruction rules).

        `name` matches the command's basename or its tool (`pip` also matches `pip3`,
        `pip3.11` and `python -m pip`); `subcommand` matches with aliases resolved (`npm i`).
        """
        from docklint.model.shell import iter_commands

        return iter_commands(self, name, subcommand, stage, inst)


def _instruction_index(inst: Instruction) -> int:
    return inst.index


def parse(text: str, path: str = "Dockerfile", context_dir: str | None = None) -> Dockerfile:
    """Parse Dockerfile text into the model. Never raises on bad input: problems are recorded
    (the line scanner is `model/parser.py`)."""
    from docklint.model.parser import parse as parse_text

    return parse_text(text, path, context_dir)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


# A word: runs of plain characters, double-quoted parts (backslash escapes inside), single-quoted
# parts and backslash escapes; an unterminated quote runs to the end of the text.
_WORD = re.compile(r"""(?:[^ \t\r\n"'\\]+|"(?:[^"\\]|\\.?)*(?:"|\Z)|'[^']*(?:'|\Z)|\\.?)+""", re.DOTALL)


def split_words(text: str, escape: str = "\\") -> list[tuple[int, int, str, str]]:
    """Split on blanks, keeping quoted parts together: `(start, end, raw, value)` per word.

    `value` drops the quotes and escape characters, the way BuildKit's word lexer reads the
    arguments of ENV, LABEL, COPY and friends (no variable expansion here).
    """
    if escape != "\\":
        return _split_words_slow(text, escape)
    words: list[tuple[int, int, str, str]] = []
    for match in _WORD.finditer(text):
        raw = match.group()
        if '"' in raw or "'" in raw or "\\" in raw:
            value = _split_words_slow(raw, escape)[0][3]
        else:
            value = raw
        words.append((match.start(), match.end(), raw, value))
    return words


def _split_words_slow(text: str, escape: str) -> list[tuple[int, int, str, str]]:
    """The character-by-character reading `split_words` stands for (any escape character)."""
    words: list[tuple[int, int, str, str]] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        value: list[str] = []
        quote = ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape and quote == '"' and i + 1 < n and text[i + 1] in '"\\$`' + escape:
                    i += 1
                    value.append(text[i])
                else:
                    value.append(ch)
            elif ch in " \t\r\n":
                break
            elif ch in "\"'":
                quote = ch
            elif ch == escape and i + 1 < n:
                i += 1
                value.append(text[i])
            else:
                value.append(ch)
            i += 1
        words.append((start, i, text[start:i], "".join(value)))
    return words


def parse_key_values(inst: Instruction) -> list[KeyValue]:
    """Read `key=value` pairs (or the legacy `key value` form) of ENV, ARG and LABEL."""
    args = inst.args
    return [
        KeyValue.lazy(key, value, legacy, args, (key_start, key_end, value_start, value_end, start, end))
        for key, value, key_start, key_end, value_start, value_end, start, end, legacy in key_value_spans(
            inst.keyword, args.text
        )
    ]


def pairs(inst: Instruction) -> list[tuple[str, str | None]]:
    """`(key, value)` of each pair of an ENV, ARG or LABEL, as `parse_key_values` reads them
    (without their ranges: build-variable scopes need only these)."""
    return [(span[0], span[1]) for span in key_value_spans(inst.keyword, inst.args.text)]


# (key, value, key start, key end, value start, value end or -1 for no value range, start, end,
# legacy) with offsets into the argument text.
_KeyValueSpan = tuple[str, "str | None", int, int, int, int, int, int, bool]


def key_value_spans(keyword: str, text: str) -> tuple[_KeyValueSpan, ...]:
    """The pairs of an ENV/ARG/LABEL argument text, with offsets into it (see `parse_key_values`).

    Memoised by text (the same ARG/ENV/LABEL lines come back on every re-lint): at most 2,048
    texts of at most 2 kB are held."""
    return _key_value_memo(keyword, text) if len(text) <= 2048 else _key_value_spans(keyword, text)


def _key_value_spans(keyword: str, text: str) -> tuple[_KeyValueSpan, ...]:
    words = split_words(text)
    if not words:
        return ()
    first_start, first_end, first_raw, _ = words[0]
    if keyword != "ARG" and "=" not in first_raw:
        # Legacy form: the first word is the key, the rest of the line the value.
        value_start = words[1][0] if len(words) > 1 else first_end
        value_text = text[value_start:].strip()
        value_words = split_words(value_text)
        value = " ".join(v for _, _, _, v in value_words)
        value_end = value_start + len(value_text) if len(words) > 1 else -1
        return ((first_raw, value, first_start, first_end, value_start, value_end, first_start, len(text), True),)
    spans: list[_KeyValueSpan] = []
    for start, end, raw, value in words:
        eq = raw.find("=")
        if eq < 0:
            spans.append((raw, None, start, end, 0, -1, start, end, False))
            continue
        key = _unquote(raw[:eq])
        found = value[len(key) + 1 :] if value.startswith(key + "=") else value.partition("=")[2]
        spans.append((key, found, start, start + eq, start + eq + 1, end, start, end, False))
    return tuple(spans)


_key_value_memo = register_lru(lru_cache(maxsize=2048)(_key_value_spans))


_REFERENCE = re.compile(
    r"^(?:(?P<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?)/)?"
    r"(?P<repo>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)


def parse_image_ref(text: str) -> ImageRef | None:
    """Parse an image reference the way the distribution reference grammar does; None if invalid."""
    # Memoised by text (at most 1,024 references of at most 512 characters): FROM lines come
    # back on every lint of an edited file. An `ImageRef` is an immutable value.
    return _image_ref_memo(text) if len(text) <= 512 else _parse_image_ref(text)


def _parse_image_ref(text: str) -> ImageRef | None:
    match = _REFERENCE.match(text)
    if not match:
        return None
    registry = match.group("registry")
    repo = match.group("repo")
    explicit = registry is not None
    if registry is not None and "." not in registry and ":" not in registry and registry != "localhost":
        # `user/repo`: the first part is a Docker Hub namespace, not a registry host.
        repo = f"{registry}/{repo}"
        registry, explicit = None, False
    if registry is None or registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
        if "/" not in repo:
            repo = f"library/{repo}"
    return ImageRef(
        text=text,
        registry=registry,
        repository=repo,
        tag=match.group("tag"),
        digest=match.group("digest"),
        explicit_registry=explicit,
    )


_image_ref_memo = register_lru(lru_cache(maxsize=1024)(_parse_image_ref))


def iter_with_onbuild(instructions: Iterable[Instruction]) -> Iterator[Instruction]:
    """Every instruction, followed by the instruction its ONBUILD wraps, if any."""
    for inst in instructions:
        yield inst
        if inst.onbuild is not None:
            yield inst.onbuild


def exec_words(inst: Instruction) -> tuple[Word, ...]:
    """The exec-form (JSON) arguments as words, each with the range of its JSON string."""
    if inst.json_args is None:
        return ()
    words: list[Word] = []
    text = inst.args.text
    position = 0
    for value in inst.json_args:
        encoded = json.dumps(value, ensure_ascii=False)
        found = text.find(encoded, position)
        if found < 0:
            found = text.find('"', position)
            end = found + len(encoded) if found >= 0 else len(text)
        else:
            end = found + len(encoded)
        found = max(found, 0)
        words.append(Word(text[found:end], value, inst.args.range(found, end)))
        position = end
    return tuple(words)


def copy_paths(inst: Instruction) -> tuple[tuple[Word, ...], Word | None]:
    """Sources and destination of COPY/ADD (heredoc markers are not sources)."""
    words = exec_words(inst) if inst.json_args is not None else inst.words
    if inst.heredocs:
        words = tuple(w for w in words if not w.raw.startswith("<<"))
    if not words:
        return (), None
    if inst.heredocs and len(words) == 1:
        return (), words[0]
    return tuple(words[:-1]), words[-1]

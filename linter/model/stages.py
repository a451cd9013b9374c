"""Stages of a parsed Dockerfile: which instructions each FROM starts, and what it builds on."""

from __future__ import annotations

import re

from docklint.model.dockerfile import AUTOMATIC_ARGS, KEYWORDS, pairs, parse_image_ref
from docklint.model.nodes import ImageRef, Instruction, Stage, SyntaxProblem
from docklint.model.source import Range
from docklint.model.variables import expand

_STAGE_AS = re.compile(r"^(.*?)[ \t]+([Aa][Ss])[ \t]+(\S+)[ \t]*$")


class StageBuilder:
    """Groups a parse's instructions into stages and resolves each FROM; instructions before
    the first FROM other than ARG are syntax problems (added to `problems`)."""

    def __init__(
        self, instructions: list[Instruction], escape: str, problems: list[SyntaxProblem], shared: dict[int, Stage]
    ) -> None:
        self.instructions = instructions
        self.escape = escape
        self.problems = problems
        self.shared = shared  # stages of the last parse by `id` of a FROM this one took as it was

    def build(self) -> tuple[list[Stage], list[Instruction]]:
        stages: list[Stage] = []
        global_args: list[Instruction] = []
        global_scope: dict[str, str | None] = {name: None for name in AUTOMATIC_ARGS}
        names: dict[str, int] = {}  # lower-cased stage name -> the last stage of that name
        for inst in self.instructions:
            if inst.keyword == "FROM":
                stage = self._stage_again(inst) or self._stage(inst, len(stages), names, global_scope)
                stages.append(stage)
                if stage.name is not None:
                    names[stage.name.lower()] = stage.index
            elif not stages:
                if inst.keyword == "ARG":
                    global_args.append(inst)
                    for key, raw in pairs(inst):
                        value = expand(raw, global_scope, self.escape)[0] if raw is not None else None
                        global_scope[key] = value
                elif inst.keyword in KEYWORDS:
                    self.problems.append(
                        SyntaxProblem(inst.keyword_range, f"`{inst.keyword}` comes before the first `FROM`; only `ARG` may")
                    )
            if stages:
                inst.stage_index = len(stages) - 1
                stages[-1].instructions.append(inst)
            if inst.onbuild is not None:
                inst.onbuild.stage_index = inst.stage_index
        return stages, global_args

    def _stage_again(self, inst: Instruction) -> Stage | None:
        """The stage of a FROM taken from the last parse, as it was (the text before it is the
        same, so its index, the stage names before it and the global ARGs are too)."""
        found = self.shared.get(id(inst))
        if found is None or found.from_ is not inst:
            return None
        return Stage(
            found.index, inst, found.name, found.name_range, found.base_text, found.base_range, found.base,
            found.base_stage, found.platform, [], found.base_unresolved,
        )

    def _stage(
        self, inst: Instruction, index: int, names: dict[str, int], scope: dict[str, str | None]
    ) -> Stage:
        args = inst.args
        name: str | None = None
        name_range: Range | None = None
        image_end = len(args.text)
        match = _STAGE_AS.match(args.text)
        if match:
            name = match.group(3)
            name_range = args.range(match.start(3), match.end(3))
            image_end = match.end(1)
        elif inst.words and len(inst.words) > 1:
            image_end = len(inst.words[0].raw)
        base_text = args.text[:image_end].strip()
        base_range = args.range(0, len(base_text))
        expanded, resolved = expand(base_text, scope, self.escape)
        base: ImageRef | None = None
        lowered = expanded.lower()
        base_stage = names.get(lowered)
        if base_stage is None and lowered != "scratch" and expanded:
            base = parse_image_ref(expanded)
        return Stage(
            index=index,
            from_=inst,
            name=name,
            name_range=name_range,
            base_text=base_text,
            base_range=base_range,
            base=base,
            base_stage=base_stage,
            platform=inst.flag("platform"),
            base_unresolved=not resolved,
        )

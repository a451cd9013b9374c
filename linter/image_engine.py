"""Image mode's engine: read the image once, run the image rules and the history replay of the
Dockerfile rules marked `history=True`, and with `--dockerfile` map it all back to Dockerfile lines.

History replay: every history entry's `created_by` becomes one instruction of a synthetic
Dockerfile (`FROM scratch` first, one entry after another, so rules that look across steps
still can), the enabled `history=True` rules run on it, and each finding moves to the history
entry (and layer) its line came from, under the rule's own code. Fixes are dropped: their edits
point into the synthetic text. With `--dockerfile`, a replayed finding whose entry maps to an
instruction the Dockerfile rules already reported under the same code is dropped as a duplicate.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Sequence

from docklint.config import DEFAULT, Config
from docklint.engine import LintResult, enabled_rules, lint_path, run_rules
from docklint.model.image import LoadOptions, load_image
from docklint.model.source import Pos, Range
from docklint.rule import Finding, LayerRef, Rule

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.image import Image
    from docklint.model.nodes import Instruction

log = logging.getLogger("docklint")
ORIGIN = Range(Pos(0, 0), Pos(0, 0))
HEREDOC = "DLINT_HISTORY_EOF"
SECRET_RULES = ("IM201", "IM202", "IM203")


@dataclass
class ImageLint:
    """What linting one image produced: its result (and the Dockerfile's, with `--dockerfile`)."""

    image: Image
    results: list[LintResult] = field(default_factory=list)
    mapping: dict[int, Instruction] = field(default_factory=dict)  # history index -> instruction
    dockerfile: str | None = None


def load_options(
    config: Config,
    rules: Sequence[Rule],
    *,
    image: str | None = None,
    platform: str | None = None,
    max_decompressed: int | None = None,
) -> LoadOptions:
    """What the reader must look at for these rules (no secret scan when no rule wants one)."""
    from docklint.rules.image_common import glob_matcher

    codes = {rule.code: rule for rule in rules}
    skips = []
    for code in ("IM202", "IM203"):
        rule = codes.get(code)
        if rule is not None:
            patterns = config.options_for(rule).get("allow-paths", rule.option("allow-paths").default)
            skips.append(glob_matcher(tuple(patterns)))
    skip = (lambda path: all(test(path) for test in skips)) if skips else None
    return LoadOptions(
        image=image,
        platform=platform,
        max_decompressed=max_decompressed,
        secrets=any(code in codes for code in SECRET_RULES),
        secret_skip=skip,
        content_digests="IM309" in codes,
    )


def lint_image(
    source: str,
    config: Config = DEFAULT,
    *,
    image: str | None = None,
    platform: str | None = None,
    dockerfile: str | None = None,
    max_decompressed: int | None = None,
    rules: Sequence[Rule] | None = None,
    stdin: BinaryIO | None = None,
) -> ImageLint:
    """Lint the image at `source` (`-`: stdin). Raises InputError when it cannot be read.

    `rules` limits the run (rule-case tests); otherwise the config decides, image rules and
    `history=True` Dockerfile rules alike.
    """
    chosen = list(rules) if rules is not None else [*enabled_rules(config, "image"), *enabled_rules(config, "dockerfile")]
    image_rules = [r for r in chosen if r.kind == "image"]
    history_rules = [r for r in chosen if r.kind == "dockerfile" and r.history]
    options = load_options(config, image_rules, image=image, platform=platform, max_decompressed=max_decompressed)
    model = load_image(source, options, stdin=stdin)
    lint = ImageLint(model)
    df_result: LintResult | None = None
    if dockerfile is not None:
        df_result = lint_path(Path(dockerfile), config, display=dockerfile, image_platform=model.platform)
        lint.dockerfile = dockerfile
        if df_result.model is not None:
            lint.mapping = map_history(model, df_result.model)
            _set_base(model, lint.mapping)
    findings = run_rules(model, image_rules, config, source)
    findings.extend(replay_history(model, history_rules, config, source))
    if df_result is not None:
        findings = _map_findings(findings, lint, df_result)
    order = {rule.code: position for position, rule in enumerate(sorted(chosen, key=lambda r: r.code))}
    findings.sort(key=lambda f: order.get(f.code, -1))  # stable: each rule's own order stays
    lint.results.append(LintResult(path=source, findings=findings, model=model))
    if df_result is not None:
        lint.results.append(df_result)
        lint.results.sort(key=lambda r: r.path)
    return lint


# -- history replay --------------------------------------------------------------------------


def history_dockerfile(image: Image) -> tuple[str, dict[int, int]]:
    """The synthetic Dockerfile of the image's history, and its line -> history index map."""
    from docklint.model.imagefs.history import replay

    lines = ["FROM scratch"]
    owners: dict[int, int] = {}
    for entry in image.history:
        step = replay(entry.created_by)
        if step is None:
            continue
        args = step.args.replace("\r", "")
        if "\n" in args:
            if step.keyword == "RUN" and HEREDOC not in args:
                text = f"RUN <<'{HEREDOC}'\n{args}\n{HEREDOC}"
            else:
                text = f"{step.keyword} {' '.join(args.split())}"
        else:
            text = step.line
        start = len(lines)
        lines.extend(text.split("\n"))
        for number in range(start, len(lines)):
            owners[number] = entry.index
    return "\n".join(lines) + "\n", owners


def replay_history(image: Image, rules: Sequence[Rule], config: Config, path: str) -> list[Finding]:
    """Run `history=True` Dockerfile rules on the image history; findings move to their entry."""
    if not rules or not image.history:
        return []
    from docklint.engine import lint_text

    text, owners = history_dockerfile(image)
    result = lint_text(text, f"{path} (history)", config, rules=rules)
    found = []
    for finding in result.findings:
        index = owners.get(finding.range.start.line)
        if index is None and finding.code != "DF000":
            continue  # about the synthetic `FROM scratch` line
        layer = image.history[index].layer if index is not None else None
        found.append(
            finding.with_(
                path=path,
                range=ORIGIN,
                fix=None,
                history_index=index,
                layer=LayerRef(layer, image.layers[layer].digest) if layer is not None else None,
            )
        )
    return found


# -- --dockerfile mapping --------------------------------------------------------------------


def stage_chain(df: Dockerfile) -> list[Instruction]:
    """The final stage's instructions, after those of the stages it builds on (FROM lines left out)."""
    return [inst for stage in reversed(df.lineage()) for inst in stage.instructions if inst.keyword != "FROM"]


def map_history(image: Image, df: Dockerfile) -> dict[int, Instruction]:
    """Which instruction made each history entry: the best order-keeping alignment of the
    entries with the final stage's instructions (same keyword, similar text)."""
    from docklint.model.imagefs.history import replay

    steps = [(entry.index, replay(entry.created_by)) for entry in image.history]
    entries = [(index, step) for index, step in steps if step is not None]
    instructions = stage_chain(df)
    rows, cols = len(entries), len(instructions)
    score = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            pair = _pair_score(entries[i][1], instructions[j])
            if pair > 0:
                best = max(best, pair + score[i + 1][j + 1])
            score[i][j] = best
    mapping: dict[int, Instruction] = {}
    i = j = 0
    while i < rows and j < cols:
        pair = _pair_score(entries[i][1], instructions[j])
        if pair > 0 and abs(score[i][j] - (pair + score[i + 1][j + 1])) < 1e-9:
            mapping[entries[i][0]] = instructions[j]
            i, j = i + 1, j + 1
        elif abs(score[i][j] - score[i + 1][j]) < 1e-9:
            i += 1
        else:
            j += 1
    return mapping


_SPACE = re.compile(r"\s+")


def _pair_score(step: object, inst: Instruction) -> float:
    keyword = getattr(step, "keyword", "")
    if keyword != inst.keyword:
        return 0.0
    ours = _SPACE.sub(" ", getattr(step, "args", "")).strip()
    theirs = _SPACE.sub(" ", inst.args.text).strip()
    if keyword in ("COPY", "ADD"):
        return 1.5 if ours.rsplit(" ", 1)[-1].rstrip("/") == theirs.rsplit(" ", 1)[-1].rstrip("/") else 0.6
    if keyword in ("ENV", "ARG", "LABEL"):
        ours_keys = set(re.findall(r"(?:^|\s)([\w.-]+)=?", ours))
        their_keys = set(re.findall(r"(?:^|\s)([\w.-]+)=?", theirs))
        overlap = len(ours_keys & their_keys) / max(len(ours_keys | their_keys), 1)
        return 0.5 + overlap
    return 0.5 + difflib.SequenceMatcher(None, ours[:2000], theirs[:2000]).ratio()


def _set_base(image: Image, mapping: dict[int, Instruction]) -> None:
    """The layers made before the first history entry the Dockerfile explains are the base."""
    if not mapping:
        return
    first = min(mapping)
    count = sum(1 for entry in image.history[:first] if entry.layer is not None)
    if 0 < count < len(image.layers):
        image.base_layers, image.base_source = count, "dockerfile"


def _map_findings(findings: list[Finding], lint: ImageLint, df_result: LintResult) -> list[Finding]:
    reported = {(f.code, f.range.start.line) for f in df_result.findings}
    mapped = []
    for finding in findings:
        index = finding.history_index
        if index is None and finding.layer is not None:
            index = lint.image.history_of(finding.layer.index)
        inst = lint.mapping.get(index) if index is not None else None
        if inst is None:
            mapped.append(finding)
            continue
        lines = range(inst.range.start.line, inst.range.end.line + 1)
        if not finding.code.startswith("IM") and any((finding.code, line) in reported for line in lines):
            continue  # the Dockerfile rules said it already, at this very instruction
        mapped.append(finding.with_(dockerfile_range=inst.range, dockerfile_path=lint.dockerfile))
    return mapped

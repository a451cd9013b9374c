"""Rules about how the container's main process is configured: USER ids, exec-form arrays,
STOPSIGNAL and HEALTHCHECK."""

from __future__ import annotations

import json
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, Stage
from docklint.model.source import Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.stage_refs import image_stages, root_base, stage_has

_WINDOWS_BASES = ("windows", "nanoserver", "servercore", "dotnet/framework", "powershell:lts-nanoserver")


def is_windows_stage(df: Dockerfile, stage: Stage) -> bool:
    """Whether a stage builds a Windows image (Windows base, backtick escape or a cmd/PowerShell SHELL)."""
    if df.escape == "`":
        return True
    for current in df.lineage(stage):
        if any(part in current.base_text.lower() for part in _WINDOWS_BASES):
            return True
        for shell in current.of("SHELL"):
            if re.search(r"(?i)(powershell|pwsh|cmd(\.exe)?\b)", shell.args.text):
                return True
    return False


@rule(
    code="DL3057",
    name="healthcheck-missing",
    severity=Severity.INFO,
    summary="An image stage has no HEALTHCHECK",
    message="this stage builds an image without a `HEALTHCHECK`, so Docker cannot tell a hung "
    "container from a healthy one; add `HEALTHCHECK CMD <probe>` (or `HEALTHCHECK NONE` on purpose)",
    rationale=(
        "Without a health check a container counts as healthy as long as its process runs, even "
        "when it no longer answers. Off by default, as in hadolint (Trivy, Checkov and KICS turn "
        "the equivalent on). dlint checks the stages that end up as images (the last one, and "
        "any no other stage builds on or copies from), not builder stages as hadolint does; a "
        "HEALTHCHECK in a stage this one builds on counts."
    ),
    bad="FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/",
    good="FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/\nHEALTHCHECK CMD curl -fs http://localhost/ || exit 1",
    enabled=False,
)
def healthcheck_missing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    last = len(df.stages) - 1
    for stage in image_stages(df):
        if stage.index != last and root_base(df, stage).is_scratch:
            continue  # a `FROM scratch` export stage holds build output, not a service
        if not stage_has(df, stage, "HEALTHCHECK"):
            yield ctx.finding(stage.from_.keyword_range)


@rule(
    code="DL3066",
    name="user-not-numeric",
    severity=Severity.INFO,
    summary="USER is a name, not a numeric UID",
    message="`USER {user}` names the user, so the runtime cannot check it is not root without "
    "reading the image's `/etc/passwd`; use the numeric UID (e.g. `USER 10001`)",
    rationale=(
        "Kubernetes `runAsNonRoot` and similar policies can only verify a numeric user: a name "
        "could map to UID 0. A UID also works when `/etc/passwd` is missing. dlint expands build "
        "variables first (`USER $UID` with `ARG UID=10001` passes, one without a known value is "
        "skipped) and skips Windows images, whose users have no numeric ids; hadolint flags every "
        "variable."
    ),
    bad="FROM node:22-slim\nUSER node",
    good="FROM node:22-slim\nUSER 1000:1000",
    tags=("root",),
    needs_instructions=("USER",),
)
def user_not_numeric(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in df.of("USER"):
        stage = df.stage_of(inst)
        if stage is None or is_windows_stage(df, stage):
            continue
        raw = inst.args.text.strip()
        value = raw
        if "$" in raw:
            value, resolved = df.expand(inst, raw)
            if not resolved:
                continue
        user = value.split(":", 1)[0].strip().strip("\"'")
        if not user or user.isdigit():
            continue
        raw_user = raw.split(":", 1)[0].rstrip()
        yield ctx.finding(inst.args.range(0, len(raw_user)), user=user)


# -- exec form ------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_ELEMENTS = re.compile(r"""^\[\s*(?:(?:"(?:[^"\\]|\\.)*"|'[^']*')\s*,\s*)*(?:"(?:[^"\\]|\\.)*"|'[^']*')?\s*,?\s*\]$""", re.S)


def _array_text(inst: Instruction) -> tuple[int, int] | None:
    """Offsets of the `[...]` part of the arguments (after `CMD` for HEALTHCHECK)."""
    text = inst.args.text
    start = text.find("[")
    end = len(text.rstrip())
    if start < 0 or not text[start:end].endswith("]"):
        return None
    if inst.keyword == "HEALTHCHECK" and text[:start].strip().upper() != "CMD":
        return None
    return start, end


_ITEM = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,\[\]"']+)"""
_ATTEMPT = re.compile(rf"^\[\s*{_ITEM}(?:\s*,\s*{_ITEM})*\s*,?\s*\]$", re.S)


def _looks_like_array(body: str) -> bool:
    """An attempt at a JSON array: comma-separated items, or one quoted item. Shell tests such as
    `[ -f x ]` and `[ "$a" = b ] && ...` are not."""
    if not _ATTEMPT.match(body):
        return False
    inner = body[1:-1].strip()
    return "," in inner or inner.startswith(("'", '"'))


def _repair(body: str) -> tuple[str | None, str]:
    """A valid JSON array with the same strings, and what was wrong; None when unsure."""
    if not _ELEMENTS.match(body):
        return None, "unquoted words"
    values: list[str] = []
    problem = "an invalid escape or character"
    for match in _STRING.finditer(body):
        item = match.group()
        if item.startswith("'"):
            problem = "single quotes"
            values.append(item[1:-1])
            continue
        try:
            values.append(json.loads(item))
        except ValueError:
            fixed = re.sub(r'\\(?!["\\/bfnrtu])', r"\\\\", item)
            try:
                values.append(json.loads(fixed))
            except ValueError:
                return None, problem
    if problem != "single quotes" and re.search(r",\s*\]$", body):
        problem = "a trailing comma"
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]", problem


@rule(
    code="DF417",
    name="exec-form-invalid-json",
    severity=Severity.WARNING,
    summary="An exec-form array that is not valid JSON",
    message="this `{keyword}` array is not valid JSON ({problem}), so Docker runs the whole text as "
    "a shell command; use double quotes and no trailing comma",
    rationale=(
        "Docker recognises the exec form only when the brackets hold a valid JSON array of "
        "strings. `CMD ['nginx', '-g', 'daemon off;']` is not JSON, so it runs through "
        "`/bin/sh -c` as the literal text `['nginx',` and fails at start-up, or worse, half works."
    ),
    bad="FROM nginx:1.27\nCMD ['nginx', '-g', 'daemon off;']",
    good='FROM nginx:1.27\nCMD ["nginx", "-g", "daemon off;"]',
    fix_safety="Unsafe: the instruction switches from shell form to the exec form its brackets "
    "asked for, which changes what runs.",
    needs_text=("[",),
)
def exec_form_invalid_json(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in df.instructions:
        if not inst.json_invalid:
            continue
        span = _array_text(inst)
        if span is None:
            continue
        body = inst.args.text[span[0] : span[1]]
        if not _looks_like_array(body):
            continue
        repaired, problem = _repair(body)
        rng = inst.args.range(*span)
        fix = None
        if repaired is not None and rng.start.line == rng.end.line:
            fix = Fix.unsafe("Rewrite as a JSON array", TextEdit.replace(rng, repaired))
        yield ctx.finding(rng, fix=fix, keyword=inst.keyword, problem=problem)


# -- STOPSIGNAL and HEALTHCHECK -------------------------------------------------------------

SIGNALS = frozenset(
    "ABRT ALRM BUS CHLD CLD CONT FPE HUP ILL INT IO IOT KILL PIPE POLL PROF PWR QUIT SEGV STKFLT "
    "STOP SYS TERM TRAP TSTP TTIN TTOU UNUSED URG USR1 USR2 VTALRM WINCH XCPU XFSZ RTMIN RTMAX".split()
    + [f"RTMIN+{n}" for n in range(1, 16)]
    + [f"RTMAX-{n}" for n in range(1, 15)]
)


def valid_signal(text: str) -> bool:
    """Whether Docker's signal parser accepts `text` (a number 1-64 or a name, `SIG` optional)."""
    if text.isdigit():
        return 1 <= int(text) <= 64
    name = text.upper()
    return name.removeprefix("SIG") in SIGNALS


@rule(
    code="DF422",
    name="invalid-stopsignal",
    severity=Severity.ERROR,
    summary="STOPSIGNAL is not a valid signal",
    message="`STOPSIGNAL {signal}` is not a signal Docker knows, so `docker stop` fails on this "
    "image; use a name such as `SIGTERM` or `SIGQUIT`, or a number from 1 to 64",
    rationale=(
        "Docker parses the stop signal when the container stops, not when the image is built: a "
        "typo builds fine and then breaks `docker stop`."
    ),
    bad="FROM nginx:1.27\nSTOPSIGNAL SIGQUITT",
    good="FROM nginx:1.27\nSTOPSIGNAL SIGQUIT",
    needs_instructions=("STOPSIGNAL",),
    each=("STOPSIGNAL",),
)
def invalid_stopsignal(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    text = inst.args.text.strip()
    value = text
    if "$" in text:
        value, resolved = df.expand(inst, text)
        if not resolved:
            return
    value = value.strip("\"'")
    if value and not valid_signal(value):
        yield ctx.finding(inst.args_range, signal=value)


_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
DURATION_FLAGS = ("interval", "timeout", "start-period", "start-interval")


def duration_problem(text: str) -> str | None:
    """Why Docker rejects a HEALTHCHECK duration (Go `time.ParseDuration`, at least 1ms), or None."""
    if not _DURATION.match(text):
        return "is not a duration such as `30s` or `1m30s`"
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", text))
    if text.startswith("-") and total > 0:
        return "is negative"
    if 0 < total < 0.001:
        return "is shorter than the 1ms minimum"
    return None


@rule(
    code="DF423",
    name="invalid-healthcheck-options",
    severity=Severity.ERROR,
    summary="HEALTHCHECK options are malformed",
    message="{problem}, so the build fails or the check never runs as meant; {advice}",
    rationale=(
        "HEALTHCHECK options are parsed by the builder: a duration without a unit (`--interval=30`), "
        "a negative or zero retry count, options on `HEALTHCHECK NONE`, or a missing command stop "
        "the build or are ignored. `--retries=0` is accepted by Docker but means the default (3)."
    ),
    bad="FROM nginx:1.27\nHEALTHCHECK --interval=30 CMD curl -f http://localhost/",
    good="FROM nginx:1.27\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/",
    needs_instructions=("HEALTHCHECK",),
    each=("HEALTHCHECK",),
)
def invalid_healthcheck_options(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    kind = inst.words[0].value.upper() if inst.words else ""
    if kind == "NONE":
        extra = [*(f.range for f in inst.flags), *(w.range for w in inst.words[1:])]
        if extra:
            yield ctx.finding(Range(extra[0].start, extra[-1].end), problem="`HEALTHCHECK NONE` takes no options or arguments",
                              advice="remove them, or use `HEALTHCHECK [options] CMD ...`")
        return
    if kind != "CMD" and inst.words:
        yield ctx.finding(inst.words[0].range, problem=f"`{inst.words[0].value}` is not a HEALTHCHECK type",
                          advice="write `HEALTHCHECK CMD <command>` or `HEALTHCHECK NONE`")
        return
    if kind == "CMD" and len(inst.words) == 1:
        yield ctx.finding(inst.words[0].range, problem="`HEALTHCHECK CMD` has no command",
                          advice="add the command to run")
    yield from _healthcheck_flags(inst, ctx)


def _healthcheck_flags(inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for flag in inst.flags:
        value = flag.value or ""
        rng = flag.value_range or flag.range
        if "$" in value:
            continue
        if flag.name in DURATION_FLAGS:
            problem = duration_problem(value)
            if problem:
                yield ctx.finding(rng, problem=f"`--{flag.name}={value}` {problem}",
                                  advice="write a number with a unit, e.g. `30s`")
        elif flag.name == "retries":
            if not re.fullmatch(r"[-+]?\d+", value):
                yield ctx.finding(rng, problem=f"`--retries={value}` is not a whole number",
                                  advice="write a count such as `3`")
            elif int(value) < 1:
                yield ctx.finding(rng, problem=f"`--retries={value}` is not positive",
                                  advice="write at least `1` (0 silently means the default of 3)")

"""Rules about secrets written into a Dockerfile: credential-named variables, literal secret
values, and environment variables that switch off TLS verification."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, KeyValue
from docklint.model.source import MappedText, Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule

if TYPE_CHECKING:
    from docklint.model.shell import Command, ShellWord
    from docklint.secrets import SecretHit

# hadolint's DL3064 (2.15.1, probed with the binary): the lowercased key contains one of these,
# or is exactly `aws_access_key_id`. `username` is left out on purpose: a user's name is not a
# credential, and on real files it is almost always `ARG USERNAME=vscode`.
HADOLINT_SUBSTRINGS = ("secret", "password", "token", "api_key", "private")
HADOLINT_EXACT = frozenset({"aws_access_key_id"})
# BuildKit's SecretsUsedInArgOrEnv: one of these as a whole `_`-separated word, unless an allowed
# word is there too (moby/buildkit frontend/dockerfile/dockerfile2llb/convert.go).
BUILDKIT_WORDS = re.compile(
    r"(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)", re.IGNORECASE
)
# BuildKit allows public, file and version; dlint adds words that name where a secret lives or
# a public key, not the secret itself.
ALLOWED_WORDS = re.compile(
    r"(?:_|^)(?:public|pub|file|files|version|path|dir|gpg|pgp|plugin|disable|enable|use|type|"
    r"method|mode|url|uri|host|server|endpoint|header|length|size|ttl|timeout|helper)(?:_|$)",
    re.IGNORECASE,
)
NON_SECRET_VALUE = re.compile(r"^(?:/[^\s]*|true|false|yes|no|on|off|0|1)$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether an ARG/ENV key names a credential (hadolint's list, BuildKit's words, our allowances)."""
    lowered = name.lower()
    if lowered in HADOLINT_EXACT:
        return True
    # `A__B__Key` is a .NET configuration path, where `Key` is a field name, not a key.
    words = BUILDKIT_WORDS.search(name) if "__" not in name else None
    if not (any(part in lowered for part in HADOLINT_SUBSTRINGS) or words):
        return False
    return not ALLOWED_WORDS.search(name) and not lowered.endswith(("file", "path", "dir"))


@rule(
    code="DL3064",
    name="secrets-used-in-arg-or-env",
    severity=Severity.WARNING,
    summary="ARG or ENV names a credential",
    message="`{name}` looks like a credential, and `{keyword}` values stay readable in the image "
    "history; pass it with `RUN --mount=type=secret,id={id}` instead",
    rationale=(
        "Build arguments and environment variables are recorded in the image: `docker history` "
        "shows ARG values used by RUN steps and `docker inspect` shows every ENV. A token passed "
        "this way is readable by anyone who can pull the image. Secret mounts give the build "
        "step the value without writing it to any layer or to the image config."
    ),
    bad="FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN git clone https://$GITHUB_TOKEN@github.com/org/repo",
    good="FROM alpine:3.20\nRUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN \\\n"
    "    git clone https://$GITHUB_TOKEN@github.com/org/repo",
    buildkit=("SecretsUsedInArgOrEnv",),
    tags=("secret",),
    needs_instructions=("ARG", "ENV"),
    each=("ARG", "ENV"),
    onbuild=True,
)
def secrets_used_in_arg_or_env(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for kv in df.key_values(inst):
        if not is_secret_name(kv.key):
            continue
        if kv.value is not None and NON_SECRET_VALUE.match(kv.value.strip()):
            continue  # a file location or a switch, not the secret itself
        yield ctx.finding(kv.key_range, name=kv.key, keyword=inst.keyword, id=kv.key.lower())


# -- literal secret values ------------------------------------------------------------------

_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s\"'`]+")
_ASSIGNMENT = re.compile(r"(?:^|(?<=\s))(?:--?[A-Za-z][\w-]*|[A-Za-z_][A-Za-z0-9_]*)=[^\s\"']\S*")
_FLAG_VALUE = re.compile(r"(?:^|(?<=\s))--?(?:[\w-]*(?:pass|token|secret|key|auth)[\w-]*)[ \t]+[^\s\"'$-]\S*", re.I)


def run_candidates(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of RUN-like text worth showing detect-secrets: quoted strings, URLs, assignments."""
    # By text (the same RUN text is scanned on every lint of an edited file); at most 2,048
    # texts of at most 4 kB are held.
    return _run_candidates(text) if len(text) <= 4096 else _candidates(text)


def _candidates(text: str) -> tuple[tuple[int, int], ...]:
    spans = [m.span() for m in _QUOTED.finditer(text)]
    spans.extend(m.span() for m in _URL.finditer(text))
    spans.extend(m.span() for m in _ASSIGNMENT.finditer(text))
    spans.extend(m.span() for m in _FLAG_VALUE.finditer(text))
    return tuple(spans)


_run_candidates = lru_cache(maxsize=2048)(_candidates)


def secret_texts(inst: Instruction) -> Iterator[tuple[MappedText, Sequence[tuple[int, int]] | None]]:
    """The texts of an instruction to scan, each with the candidate spans for detect-secrets
    (ENV, ARG and LABEL values are scanned pair by pair instead)."""
    args = inst.args
    keyword = inst.keyword
    if keyword in ("ENV", "ARG", "LABEL"):
        pass
    elif keyword in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL"):
        yield args, run_candidates(args.text)
    elif keyword in ("ADD", "COPY"):
        yield args, [m.span() for m in _URL.finditer(args.text)]
    else:
        yield args, []
    for heredoc in inst.heredocs:
        yield heredoc.body, None


@rule(
    code="DF102",
    name="secret-value-in-instruction",
    severity=Severity.ERROR,
    summary="A literal secret value is written in an instruction",
    message="{secret} is written in the Dockerfile, so it lands in the image history and in version "
    "control; revoke it and pass it at build time with `RUN --mount=type=secret`",
    rationale=(
        "Anything written in a Dockerfile is stored in the repository and, for ENV, ARG, LABEL "
        "and RUN, in the image's config or history, where `docker history` prints it. A key or "
        "password found there must be treated as leaked. Build secrets (`--mount=type=secret`) "
        "hand the value to one build step without recording it."
    ),
    bad="FROM alpine:3.20\nENV AWS_ACCESS_KEY_ID=AKIAZ7EXAMPLEQ2P4R5T",
    good="FROM alpine:3.20\nRUN --mount=type=secret,id=aws,target=/root/.aws/credentials aws s3 ls",
    history=True,
    tags=("secret",),
    each=("*",),
    onbuild=True,
)
def secret_value_in_instruction(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    from docklint.secrets import scan_text

    if inst.onbuild is not None:
        return  # its wrapped instruction is scanned on its own
    if inst.keyword in ("ENV", "ARG", "LABEL"):
        for kv in df.key_values(inst):
            for rng, masked in _pair_secrets(df, kv, scan_text):
                yield ctx.finding(rng, secret=masked)
    for text, candidates in secret_texts(inst):
        for hit in scan_text(text.text, candidates=candidates):
            end = hit.end
            if hit.kind == "private key":
                newline = text.text.find("\n", hit.start, hit.end)
                end = newline if newline > 0 else end
            yield ctx.finding(text.range(hit.start, end), secret=hit.masked)


def _pair_secrets(df: Dockerfile, kv: KeyValue, scan: Callable[..., list[SecretHit]]) -> Iterator[tuple[Range, str]]:
    """Secrets in one ENV/ARG/LABEL value, scanned as `KEY="value"` so quoting does not matter."""
    if not kv.value:
        return
    prefix = f'{kv.key}="'
    hits = [
        hit
        for hit in scan(f'{prefix}{kv.value}"')
        if hit.start >= len(prefix)
        # `SECRET_KEY_FILE=secret_key`: the name says where the secret lives
        and not (hit.detector == "KeywordDetector" and not is_secret_name(kv.key))
    ]
    if not hits or kv.value_range is None:  # (the range is computed only for pairs with a secret)
        return
    source = df.source
    start, end = source.offset(kv.value_range.start), source.offset(kv.value_range.end)
    raw = source.text[start:end]
    for hit in hits:
        found = raw.find(hit.value)
        if found >= 0:
            rng = Range(source.pos(start + found), source.pos(start + found + len(hit.value)))
        else:
            rng = kv.value_range  # the value spans lines or escapes: point at all of it
        yield rng, hit.masked


# -- TLS verification switched off ----------------------------------------------------------

# Variable (upper-cased) -> predicate on its value saying "verification is off".
TLS_OFF = {
    "NODE_TLS_REJECT_UNAUTHORIZED": lambda v: v.strip() == "0",
    "PYTHONHTTPSVERIFY": lambda v: v.strip() == "0",
    "GIT_SSL_NO_VERIFY": lambda v: True,  # git checks only that it is set
    "NPM_CONFIG_STRICT_SSL": lambda v: v.strip().lower() in ("false", "0", "no"),
    "YARN_STRICT_SSL": lambda v: v.strip().lower() in ("false", "0", "no"),
    "PIP_TRUSTED_HOST": lambda v: bool(v.strip()),
    "GOINSECURE": lambda v: bool(v.strip()),
    "GOFLAGS": lambda v: bool(re.search(r"(?:^|\s)-insecure\b", v)),
    "CURL_CA_BUNDLE": lambda v: v.strip() == "",
    "REQUESTS_CA_BUNDLE": lambda v: v.strip() == "",
}


def tls_off(kv: KeyValue) -> bool:
    check = TLS_OFF.get(kv.key.upper())
    return check is not None and kv.value is not None and check(kv.value)


@rule(
    code="DF114",
    name="tls-verify-disabled-env",
    severity=Severity.ERROR,
    summary="ENV, ARG or an `export` in RUN switches off a tool's TLS certificate checks",
    message="`{name}={value}` makes {tool} accept any TLS certificate, so downloads can be "
    "tampered with in transit; remove it and install the CA certificate the tool needs",
    rationale=(
        "Without certificate verification anyone on the network path (a proxy, a compromised "
        "mirror, a hostile Wi-Fi) can swap packages or scripts the build fetches. As ENV the "
        "setting also stays on in every container started from the image. When a private CA "
        "is the reason, add its certificate to the trust store instead."
    ),
    bad="FROM node:22-alpine\nENV NODE_TLS_REJECT_UNAUTHORIZED=0",
    good="FROM node:22-alpine\nCOPY corp-ca.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates",
    fix_safety="Unsafe: builds that relied on skipping verification (a private CA) will fail until "
    "the CA certificate is installed.",
    history=True,
    needs_instructions=("ENV", "ARG", "RUN"),
    each=("ENV", "ARG", "RUN"),
    onbuild=True,
)
def tls_verify_disabled_env(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.keyword == "RUN":
        yield from sorted(_shell_assignments(df, inst, ctx), key=lambda f: f.range.start)
        return
    pairs = df.key_values(inst)
    for kv in pairs:
        if not tls_off(kv):
            continue
        fix = Fix.unsafe(f"Remove `{kv.key}`", _remove_pair(inst, pairs, kv))
        yield ctx.finding(kv.range, fix=fix, name=kv.key, value=kv.value, tool=_tool(kv.key))


EXPORTERS = frozenset({"export", "declare", "typeset"})


def _shell_assignments(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    """`export NODE_TLS_REJECT_UNAUTHORIZED=0`, `GIT_SSL_NO_VERIFY=1 git clone ...` in one RUN."""
    seen: set[Range] = set()
    for command in df.commands(inst=inst):
        words = list(command.assignments)
        if command.name in EXPORTERS:
            words.extend(w for w in command.args if "=" in w.value)
        for word in words:
            name, _eq, value = word.value.partition("=")
            check = TLS_OFF.get(name.upper())
            if check is None or not check(value) or word.range in seen:
                continue
            seen.add(word.range)
            edit = _remove_assignment(df, command, word)
            fix = Fix.unsafe(f"Remove `{name}`", edit) if edit is not None else None
            yield ctx.finding(word.range, fix=fix, name=name, value=value, tool=_tool(name))


def _remove_assignment(df: Dockerfile, command: Command, word: ShellWord) -> TextEdit | None:
    """Drop one assignment word, or the whole `export` when it sets nothing else."""
    from docklint.rules.word_edits import delete_command, delete_words

    if command.name in EXPORTERS and not command.assignments and len(command.args) == 1:
        return delete_command(df, command)
    parent = command.parent
    if command.nested == "env" and parent is not None and parent.args == (word,) + command.argv:
        words = (parent.argv[0], word, command.argv[0])
        if all(w.exact for w in words) and parent.text is command.text:
            return TextEdit.delete(Range(words[0].range.start, words[2].range.start))  # `env X=0 cmd` -> `cmd`
    return delete_words(df, command, [word])


def _tool(name: str) -> str:
    upper = name.upper()
    for prefix, tool in (("NODE", "Node.js"), ("PYTHON", "Python"), ("GIT", "git"), ("NPM", "npm"),
                         ("YARN", "yarn"), ("PIP", "pip"), ("GO", "the Go toolchain"),
                         ("CURL", "curl and Python requests"), ("REQUESTS", "Python requests")):  # fmt: skip
        if upper.startswith(prefix):
            return tool
    return "the tool"


def _remove_pair(inst: Instruction, pairs: list[KeyValue], kv: KeyValue) -> TextEdit:
    """Delete one `key=value` pair, or the whole instruction when it is the only one."""
    if len(pairs) == 1 or kv.legacy:
        target = inst.parent if inst.parent is not None else inst
        return TextEdit.delete(target.span)
    index = pairs.index(kv)
    if index + 1 < len(pairs):
        return TextEdit.delete(Range(kv.range.start, pairs[index + 1].range.start))
    return TextEdit.delete(Range(pairs[index - 1].range.end, kv.range.end))

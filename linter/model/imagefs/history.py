"""Reading history `created_by` strings back into Dockerfile instructions.

Builders record each step differently:

- the classic Docker builder and buildah: `/bin/sh -c #(nop) ENV A=1` for metadata steps,
  `/bin/sh -c apt-get update` for RUN, and `|2 A=1 B=2 /bin/sh -c ...` when build arguments
  were in scope (their values are written out: IM104 reads them);
- BuildKit: the instruction itself, `RUN /bin/sh -c apt-get update # buildkit`,
  `COPY app/ /app/ # buildkit`, `EXPOSE map[80/tcp:{}]`;
- kaniko and others: the bare instruction text.

ADD and COPY sources from a build context show as `file:<sha256>` or `dir:<sha256>` followed by
`in <dest>`; the history no longer says whether an ADDed file was an archive, so a `file:`
source is replayed as `<sha256>.tar` and rules give it the benefit of the doubt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = frozenset(
    {
        "RUN", "CMD", "ENTRYPOINT", "ENV", "ARG", "LABEL", "EXPOSE", "USER", "WORKDIR", "VOLUME", "COPY", "ADD",
        "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD", "MAINTAINER",
    }
)  # fmt: skip
SHELLS = ("/bin/sh -c ", "/bin/bash -c ", "/bin/ash -c ", "/busybox/sh -c ", "sh -c ", "cmd /S /C ", "cmd /s /c ")
_KEYWORD = re.compile(r"^([A-Z]+)(?:\s+|$)")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s")
_HASHED = re.compile(r"^(file|dir|multi):([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class Replayed:
    """A history step as an instruction: `keyword` and the text after it."""

    keyword: str
    args: str
    build_args: tuple[tuple[str, str], ...] = ()

    @property
    def line(self) -> str:
        return f"{self.keyword} {self.args}".rstrip()


def replay(created_by: str, display: bool = False) -> Replayed | None:
    """The instruction a history step ran, or None for an empty or unreadable one.

    `display`: for people, not rules: hashed sources stay `file:<first 12 hex digits>…`.
    """
    text = created_by.strip()
    if text.endswith("# buildkit"):
        text = text[: -len("# buildkit")].rstrip()
    if not text:
        return None
    keyword = None
    match = _KEYWORD.match(text)
    if match and match.group(1) in KEYWORDS:
        keyword, text = match.group(1), text[match.end() :]
    text, build_args = split_build_args(text)
    shell = False
    for prefix in SHELLS:
        if text.startswith(prefix):
            text, shell = text[len(prefix) :], True
            break
    if shell and text.lstrip().startswith("#(nop)"):
        text = text.lstrip()[len("#(nop)") :].strip()
        match = _KEYWORD.match(text)
        if not match or match.group(1) not in KEYWORDS:
            return None
        keyword, text = match.group(1), text[match.end() :]
    elif keyword is None:
        keyword = "RUN"
    args = _normalise(keyword, text.strip(), display)
    return Replayed(keyword, args, build_args)


def split_build_args(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`|2 A=1 B=2 /bin/sh -c cmd` -> (`/bin/sh -c cmd`, ((A, 1), (B, 2)))."""
    match = _BUILD_ARGS.match(text)
    if not match:
        return text, ()
    count = int(match.group(1))
    rest = text[match.end() :]
    pairs: list[tuple[str, str]] = []
    for _ in range(count):
        word, _, remainder = rest.partition(" ")
        key, sep, value = word.partition("=")
        if not sep:
            break
        pairs.append((key, value))
        rest = remainder
    return rest, tuple(pairs)


def _normalise(keyword: str, args: str, display: bool = False) -> str:
    if keyword in ("ADD", "COPY"):
        return _copy_args(args, display)
    if keyword == "EXPOSE" and args.startswith("map[") and args.endswith("]"):
        return " ".join(part.split(":", 1)[0] for part in args[4:-1].split())
    if keyword == "VOLUME" and args.startswith("[") and not args.startswith('["'):
        return args[1:-1] if args.endswith("]") else args
    if keyword == "HEALTHCHECK" and args.startswith("&{"):
        words: list[str] = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if words and words[0] == "CMD-SHELL" and len(words) > 1:
            return "CMD " + words[1]
        if words and words[0] == "NONE":
            return "NONE"
        return "CMD [" + ", ".join(f'"{w}"' for w in words[1:]) + "]" if words else args
    return args


def _copy_args(args: str, display: bool = False) -> str:
    """`--chown=1:1 dir:<sha> in /app/` -> `--chown=1:1 dir:<sha> /app/`; hashed sources readable."""
    head, sep, dest = args.rpartition(" in ")
    if not sep:
        return args
    words = []
    for word in head.split():
        match = _HASHED.match(word)
        if match is None:
            words.append(word)
        elif display:
            words.append(f"{match.group(1)}:{match.group(2)[:12]}…")
        elif match.group(1) == "file":
            words.append(f"{match.group(2)}.tar")
        else:
            words.append(f"{match.group(1)}-{match.group(2)[:12]}/")
    return " ".join([*words, dest.strip()])

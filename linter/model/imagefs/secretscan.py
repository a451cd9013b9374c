"""Secrets in image files, found fast: a byte-level prefilter picks candidate lines, and the
shared scanner (`docklint.secrets.scan_text`, detect-secrets plus our own detectors) judges them.

An image holds hundreds of megabytes of text, and detect-secrets costs tens of microseconds per
line, so it only sees lines the prefilter marks:

- a few compiled bytes patterns, each starting with one fixed character (`-`, `:`, `=`, `A`,
  `_`, `J`, `.`), find private key headers, `scheme://user:password@`, token prefixes (`AKIA`,
  `ghp_`, `xoxb-`, `sk_live_`, `npm_`, JWTs, ...) and quoted literals assigned to something;
- an assigned quoted literal is a candidate only if a credential word stands just before it or
  the literal looks random;
- files named like credential stores (`.env`, `.npmrc`, `.netrc`, `credentials`, ...) are read
  whole, and config-like files (`*.yaml`, `*.conf`, ...) also offer every line with a
  credential word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docklint.secrets import SecretHit

# Files that exist to hold credentials: every line is scanned.
CREDENTIAL_NAMES = frozenset(
    {
        ".env", ".npmrc", ".pypirc", ".netrc", "_netrc", ".git-credentials", "credentials", ".htpasswd",
        ".pgpass", ".dockercfg", ".s3cfg", ".boto", ".my.cnf", "secrets.yaml", "secrets.yml", "secrets.json",
    }
)  # fmt: skip
CONFIG_SUFFIXES = (
    ".env", ".yaml", ".yml", ".conf", ".cfg", ".ini", ".properties", ".toml", ".json", ".xml", ".cnf",
    ".tfvars", ".config", ".rc",
)  # fmt: skip
BINARY_SUFFIXES = (
    ".so", ".a", ".o", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".gz", ".tgz", ".bz2", ".xz",
    ".zst", ".zip", ".jar", ".war", ".whl", ".pyc", ".pyo", ".class", ".mo", ".ttf", ".otf", ".woff",
    ".woff2", ".pdf", ".db", ".sqlite", ".bin", ".dat", ".exe", ".dll", ".wasm", ".node", ".deb", ".rpm",
    ".apk", ".iso", ".img", ".mp3", ".mp4", ".br", ".lz4", ".7z",
)  # fmt: skip

# One pattern per leading character. A pattern that starts with a fixed character lets the
# regex engine jump between occurrences of it at memchr speed, while a class such as `[=:]`
# makes it test every byte (10x slower); and a file without the character skips the pattern.
_TRIGGERS: tuple[tuple[bytes, re.Pattern[bytes]], ...] = tuple(
    (first, re.compile(pattern))
    for first, pattern in (
        (b"-", rb"-(?:----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY|(?<=glpat-)[\w-]{20}|(?<=xox[abposr]-)[0-9A-Za-z]{8}"
               rb"|(?<=pypi-)AgE|(?<=sk-)(?:ant|proj)-|(?<=sq0csp-)|(?<=sq0atp-))"),
        (b"T", rb"T3BlbkFJ"),
        (b":", rb":(?://[^\s/@:'\"]{1,100}:[^\s/@'\"]{1,200}@|[ \t]{0,3}[\"'](?P<quoted>[^\"'\s]{4,200})[\"'])"),
        (b"=", rb"=[ \t]{0,3}[\"'](?P<quoted>[^\"'\s]{4,200})[\"']"),
        (b"A", rb"A(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"),
        (b"_", rb"_(?:(?<=gh[pousr]_)[A-Za-z0-9]{36}|(?<=github_)pat_|(?<=[sr]k_)(?:live|test)_[0-9A-Za-z]{16}"
               rb"|(?<=npm_)[A-Za-z0-9]{36}|(?<=dckr_)pat_|(?<=hf_)[A-Za-z]{34})"),
        (b"J", rb"J(?<=eyJ)[A-Za-z0-9_-]{8,}\.eyJ"),
        (b".", rb"\.(?<=SG\.)[\w-]{22}\."),
    )
)  # fmt: skip
# Matched against lowercased text (an IGNORECASE alternation costs several times more).
_CREDENTIAL_WORD = re.compile(rb"pass|pwd|secret|token|api_?key|apikey|auth|cred|priv|access_?key")
_CONFIG_WORDS = re.compile(rb"(?i:pass|pwd|secret|token|api_?key|apikey|auth|credential|private_?key|access_?key)")
# A literal that may be a key even without a credential word near it (config files only):
# detect-secrets' base64 limit (4.5 bits per character) needs at least 23 distinct characters.
_RANDOM = re.compile(rb"^(?=[^\"']*[0-9])(?=[^\"']*[A-Za-z])[A-Za-z0-9+/=_.~-]{20,}$")
_KEY_END = re.compile(rb"-----END[A-Z0-9 ]{0,40}PRIVATE KEY[^\n]*")
MAX_KEY_BLOCK = 64 << 10


def is_binary_name(name: str) -> bool:
    return name.lower().endswith(BINARY_SUFFIXES)


def scan_file(path: str, data: bytes) -> tuple[SecretHit, ...]:
    """Secrets in one file's bytes: `line` of each hit is 0-based in the file; `start` and `end`
    are not kept (0). A binary file has none."""
    if b"\0" in data[:8192]:
        return ()
    name = path.rsplit("/", 1)[-1]
    lowered = name.lower()
    if lowered in CREDENTIAL_NAMES or lowered.startswith(".env.") or lowered.endswith(".env"):
        return _scan_whole(data)
    spans = _candidate_spans(data, config=lowered.endswith(CONFIG_SUFFIXES))
    if not spans:
        return ()
    return _scan_spans(data, spans, source_like=not lowered.endswith(CONFIG_SUFFIXES))


def _scan_whole(data: bytes) -> tuple[SecretHit, ...]:
    from docklint.secrets import scan_text

    return tuple(scan_text(data.decode("utf-8", "replace")))


def _line_span(data: bytes, start: int, end: int) -> tuple[int, int]:
    return data.rfind(b"\n", 0, start) + 1, _line_end(data, end)


def _line_end(data: bytes, pos: int) -> int:
    end = data.find(b"\n", pos)
    return len(data) if end < 0 else end


def _candidate_spans(data: bytes, config: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for first, pattern in _TRIGGERS:
        if first not in data:
            continue
        quoted_group = "quoted" in pattern.groupindex
        for match in pattern.finditer(data):
            start = match.start()
            quoted = match.group("quoted") if quoted_group else None
            if quoted is not None:
                before = data[max(0, start - 48) : start].lower()
                if not _CREDENTIAL_WORD.search(before) and not (config and _RANDOM.match(quoted)):
                    continue
            if first == b"-" and data.startswith(b"-----BEGIN", start):
                end_marker = _KEY_END.search(data, start, start + MAX_KEY_BLOCK)
                end = end_marker.end() if end_marker else min(len(data), start + MAX_KEY_BLOCK)
                spans.append(_line_span(data, start, end))
                continue
            spans.append(_line_span(data, start, match.end()))
    if config:
        for match in _CONFIG_WORDS.finditer(data):
            spans.append(_line_span(data, match.start(), match.end()))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _scan_spans(data: bytes, spans: list[tuple[int, int]], source_like: bool) -> tuple[SecretHit, ...]:
    """Scan the candidate spans joined as one small text; map hits back to file lines."""
    from docklint.secrets import SecretHit, scan_text

    pieces: list[str] = []
    first_lines: list[int] = []  # file line of each piece's first line
    line = 0
    previous = 0
    for start, end in spans:
        line += data.count(b"\n", previous, start)
        previous = start
        first_lines.append(line)
        pieces.append(data[start:end].decode("utf-8", "replace"))
    text = "\n".join(pieces)
    piece_starts = []  # offset of each piece in `text`
    offset = 0
    for piece in pieces:
        piece_starts.append(offset)
        offset += len(piece) + 1
    hits: list[SecretHit] = []
    for hit in scan_text(text):
        if source_like and (hit.entropy_only or hit.detector == "KeywordDetector"):
            line_text = text[text.rfind("\n", 0, hit.start) + 1 : text.find("\n", hit.end) % (len(text) + 1)]
            if not _CREDENTIAL_WORD.search(line_text.lower().encode("utf-8", "replace")):
                continue
        index = _piece_of(piece_starts, hit.start)
        inner_line = text.count("\n", piece_starts[index], hit.start)
        hits.append(
            SecretHit(hit.kind, hit.value, first_lines[index] + inner_line, 0, 0, hit.detector)
        )
    return tuple(hits)


def _piece_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset) - 1

"""Secret detection shared by Dockerfile, build-context and image rules, and the masking helper.

`scan_text` runs our own detectors (private key blocks, credentials in URLs, token formats
detect-secrets does not know) over the whole text, and detect-secrets' default plugins with its
default filters and entropy limits over each line. detect-secrets is imported lazily (it costs
~100-300 ms), its settings are initialised once per process, and line results are cached by
content, so callers should hand in candidate strings (values, quoted strings, URLs, heredoc
bodies, small files) rather than whole documents.

Nothing here prints, logs or returns a secret except inside `SecretHit.value`; user-facing text
goes through `mask`.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Sequence

from docklint.model.memo import register_lru

__all__ = ["SecretHit", "mask", "redact", "scan_text", "scan_line_cached", "looks_like_hash"]

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A secret found in a text: what kind, the value, and where (offsets into the text)."""

    kind: str  # human-readable kind: "AWS access key", "private key", ...
    value: str
    line: int  # 0-based line of `start` within the scanned text
    start: int  # offset of the value in the scanned text
    end: int  # exclusive end offset
    detector: str = "dlint"  # "dlint" or the detect-secrets plugin class name

    @property
    def masked(self) -> str:
        return mask(self.value, self.kind)

    @property
    def entropy_only(self) -> bool:
        """Found only because the string looks random, not by a known format."""
        return self.detector in ("Base64HighEntropyString", "HexHighEntropyString")


def mask(value: str, kind: str) -> str:
    """`kind` plus at most four leading characters of `value` (fewer for short values).

    At most a quarter of the value is shown, so an eight-character password shows two.
    """
    if value.startswith("-----BEGIN"):
        return kind  # a key block's first characters are its header, which says nothing
    shown = value[: min(4, len(value) // 4)].replace("`", "")
    return f"{kind} `{shown}{ELLIPSIS}`" if shown else f"{kind}"


# -- our own detectors -----------------------------------------------------------------------

_PRIVATE_KEY = re.compile(
    r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<body>(?:[^-]|-(?!----(?:END|BEGIN))){0,20000}?)"
    r"(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)",
)
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}|(?:[A-Za-z0-9+/=]{16,}(?:\\n|\s)+){3,}")
# `scheme://user:password@host`: the password must be literal text, not a variable,
# a template placeholder or a masked value.
_URL_CREDENTIALS = re.compile(
    r"\b(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,20})://"
    r"(?P<user>[^\s:/@'\"`<>{}$]{1,100}):(?P<password>[^\s/@'\"`<>]{1,200})@"
    r"(?P<host>[A-Za-z0-9\[])"
)
_PLACEHOLDER = re.compile(
    r"^(?:\$.*|\{\{.*\}\}|\{.*\}|%.*|<.*>|\*+|x+|\.\.\.|…|\[.*\]|_+|-+|"
    r"(?:your|my)?_?(?:password|passwd|pass|pwd|secret|token|apikey|api_key|changeme|"
    r"placeholder|redacted|hidden|none|null|empty|default|example|dummy|test|xxxx+))$",
    re.IGNORECASE,
)
_FAKE = re.compile(r"(?i)fake|dummy|example|sample|placeholder|changeme|change_me|your_|<|>")
# Token formats detect-secrets 1.5 does not know; all have a fixed prefix, so they are cheap to
# look for in whole texts.
_TOKENS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("GitHub token", ("github_pat_",), re.compile(r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b")),
    ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b")),
    ("GitLab token", ("glpat-",), re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b")),
    ("AWS access key", ("AKIA", "ASIA", "ABIA", "ACCA"), re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("Google API key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Docker Hub token", ("dckr_pat_",), re.compile(r"\bdckr_pat_[A-Za-z0-9_-]{27}\b")),
    ("Hugging Face token", ("hf_",), re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("Anthropic API key", ("sk-ant-",), re.compile(r"\bsk-ant-[a-z0-9]{2,8}-[A-Za-z0-9_-]{80,}")),
    ("Slack token", ("xox",), re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("npm token", ("npm_",), re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", ("pypi-",), re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
)
# The secret access key half of an AWS key pair, when named as such.
_AWS_SECRET = re.compile(
    r"(?i:aws_?secret_?(?:access_?)?key)[\"']?\s*[=:]\s*[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)


def _own_hits(text: str) -> Iterator[SecretHit]:
    # Each detector runs only when its fixed part is in the text: most texts have none.
    if "PRIVATE KEY" in text:
        for match in _PRIVATE_KEY.finditer(text):
            if _KEY_BODY.search(match.group("body")):
                yield _hit("private key", text, match.start(), match.end())
    if "://" in text and "@" in text:
        for match in _URL_CREDENTIALS.finditer(text):
            password = match.group("password")
            if _PLACEHOLDER.match(password) or "$" in password:
                continue
            yield _hit("password in URL", text, match.start("password"), match.end("password"))
    for kind, prefixes, pattern in _TOKENS:
        if any(prefix in text for prefix in prefixes):
            for match in pattern.finditer(text):
                yield _hit(kind, text, match.start(), match.end())
    lowered = text.lower()
    if "secret" in lowered and "aws" in lowered:
        for match in _AWS_SECRET.finditer(text):
            value = match.group("value")
            if not looks_like_hash(value) and not _is_sequence(value):
                yield _hit("AWS secret access key", text, match.start("value"), match.end("value"))


def _hit(kind: str, text: str, start: int, end: int, detector: str = "dlint") -> SecretHit:
    return SecretHit(kind, text[start:end], text.count("\n", 0, start), start, end, detector)


def _is_sequence(value: str) -> bool:
    return len(set(value)) <= 3


# -- hashes, fingerprints, digests: never secrets -------------------------------------------

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_CONTEXT = re.compile(
    r"(?i)(sha\d*|md5|checksum|digest|fingerprint|gpg|pgp|keyid|key_id|keyserver|recv-keys?|"
    r"signing|integrity|hash|commit|revision|\bref\b|\brev\b|pub_?key|public|@)[^A-Za-z0-9]{0,40}$"
)


def looks_like_hash(value: str, before: str = "") -> bool:
    """Whether `value` is a checksum, fingerprint, commit id or digest rather than a secret.

    Hex strings of the usual hash and fingerprint lengths are hashes; so is anything written right
    after `sha256:`, `sha512-`, `--recv-keys` and friends (`before` is the text leading up to it).
    """
    stripped = value.strip("\"'")
    if _HEX.match(stripped) and len(stripped) in (8, 16, 32, 40, 56, 64, 96, 128):
        return True
    if re.match(r"^(sha\d{1,3}|md5)[-:]", stripped, re.IGNORECASE):
        return True
    return bool(before) and bool(_HASH_CONTEXT.search(before[-60:]))


# -- detect-secrets --------------------------------------------------------------------------

# detect-secrets' default plugin set (what `detect-secrets scan` enables), minus two: the
# public-IP detector (an IP address in a Dockerfile is an address, not a credential) and the
# private-key detector, which fires on a bare `BEGIN ... PRIVATE KEY` header (a `grep` for one);
# `_own_hits` reports key blocks only when a key body follows the header.
_PLUGINS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("artifactory", "ArtifactoryDetector", {}),
    ("aws", "AWSKeyDetector", {}),
    ("azure_storage_key", "AzureStorageKeyDetector", {}),
    ("high_entropy_strings", "Base64HighEntropyString", {"limit": 4.5}),
    ("basic_auth", "BasicAuthDetector", {}),
    ("cloudant", "CloudantDetector", {}),
    ("discord", "DiscordBotTokenDetector", {}),
    ("github_token", "GitHubTokenDetector", {}),
    ("gitlab_token", "GitLabTokenDetector", {}),
    ("high_entropy_strings", "HexHighEntropyString", {"limit": 3.0}),
    ("ibm_cloud_iam", "IbmCloudIamDetector", {}),
    ("ibm_cos_hmac", "IbmCosHmacDetector", {}),
    ("jwt", "JwtTokenDetector", {}),
    ("keyword", "KeywordDetector", {}),
    ("mailchimp", "MailchimpDetector", {}),
    ("npm", "NpmDetector", {}),
    ("openai", "OpenAIDetector", {}),
    ("pypi_token", "PypiTokenDetector", {}),
    ("sendgrid", "SendGridDetector", {}),
    ("slack", "SlackDetector", {}),
    ("softlayer", "SoftlayerDetector", {}),
    ("square_oauth", "SquareOAuthDetector", {}),
    ("stripe", "StripeDetector", {}),
    ("telegram_token", "TelegramBotTokenDetector", {}),
    ("twilio", "TwilioKeyDetector", {}),
)
_KINDS = {
    "AWSKeyDetector": "AWS access key",
    "Base64HighEntropyString": "high-entropy string",
    "HexHighEntropyString": "high-entropy hex string",
    "BasicAuthDetector": "password in URL",
    "GitHubTokenDetector": "GitHub token",
    "GitLabTokenDetector": "GitLab token",
    "JwtTokenDetector": "JSON web token",
    "KeywordDetector": "password or secret",
    "NpmDetector": "npm token",
    "PypiTokenDetector": "PyPI token",
    "SlackDetector": "Slack token",
    "StripeDetector": "Stripe key",
}
_FILENAME = "dlint-candidate"
# Kept from detect-secrets' defaults: `is_invalid_file` needs a file on disk (its ad-hoc
# `scan_line` drops it too), and network verification is never turned on.
_DROPPED_FILTERS = ("detect_secrets.filters.common.is_invalid_file",)


@dataclass(frozen=True)
class _Engine:
    plugins: tuple[Any, ...]
    scan: Any
    snippet: Any


@lru_cache(maxsize=1)
def _engine() -> _Engine:
    """Import detect-secrets and configure its global settings, once per process."""
    import importlib
    import logging

    from detect_secrets.core import scan
    from detect_secrets.settings import get_settings
    from detect_secrets.util.code_snippet import get_code_snippet

    # detect-secrets logs skipped secrets in clear text at INFO; keep that out of any log.
    ds_log = logging.getLogger("detect-secrets")
    ds_log.setLevel(logging.ERROR)
    ds_log.propagate = False
    settings = get_settings()
    settings.disable_filters(*_DROPPED_FILTERS)
    plugins = []
    for module_name, class_name, options in _PLUGINS:
        module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
        plugins.append(getattr(module, class_name)(**options))
    return _Engine(tuple(plugins), scan, get_code_snippet)


@lru_cache(maxsize=8192)
def scan_line_cached(line: str) -> tuple[tuple[str, str], ...]:
    """detect-secrets' findings for one line: `(plugin class name, secret value)` pairs."""
    engine = _engine()
    scan = engine.scan
    context = engine.snippet(lines=[line], line_number=1)
    # The line filter only honours `pragma: allowlist secret` comments.
    if "pragma" in line and scan._is_filtered_out(
        required_filter_parameters=["line"], filename=_FILENAME, line=line, context=context
    ):
        return ()
    long_token = _LONG_TOKEN.search(line) is not None
    keyword = _KEYWORD.search(line) is not None
    found: list[tuple[str, str]] = []
    for plugin in engine.plugins:
        name = type(plugin).__name__
        # Format and entropy plugins look for long tokens (only the Artifactory plugin's shortest
        # forms have fewer than 20 characters), the keyword plugin for an assignment to a
        # credential-like name; skipping the plugins a line cannot satisfy halves the cost.
        if not (keyword if name == "KeywordDetector" else long_token):
            continue
        # Called directly rather than through `scan._scan_line`, whose per-call signature
        # inspection costs more than the plugins' own regular expressions.
        for secret in plugin.analyze_line(filename=_FILENAME, line=line, line_number=0, context=context):
            value = secret.secret_value
            if value is None or _suppressed(name, value, line[: max(line.find(value), 0)]):
                continue
            filtered = scan._is_filtered_out(
                required_filter_parameters=["secret"], filename=_FILENAME, secret=value, plugin=plugin, line=line
            ) or scan._is_filtered_out(
                required_filter_parameters=["context"],
                filename=_FILENAME,
                secret=value,
                plugin=plugin,
                line=line,
                context=context,
            )
            if not filtered:
                found.append((name, value))
    return tuple(sorted(set(found)))


# What a line needs before detect-secrets reads it: a long token (every format and entropy plugin
# needs 20 or more characters) or a keyword assignment (its keyword plugin). Credentials in URLs
# are `_own_hits`' business.
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_KEYWORD = re.compile(r"(?i:pass|pwd|secret|token|key|auth|cred)[\w.-]*[\"']?\s*(?:[:=]|:=|=>)")
_ASSIGNED_NAME = re.compile(r"[\w.-]*(?i:pass|pwd|secret|token|key|auth|cred)[\w.-]*[\"']?\s*(?:[:=]|:=|=>)")
# Fixed parts of the formats detect-secrets' format plugins look for (AWS, Artifactory, Azure,
# GitHub, GitLab, JWT, Mailchimp, npm, OpenAI, PyPI, SendGrid, Slack, Square, Stripe, Telegram,
# Twilio, Discord): a long token with none of them only matters to the entropy plugins.
_FORMAT_HINT = re.compile(
    r"A[KS]IA|AKC|AP[0-9A-F]|AccountKey|gh[pousr]_|gl[a-z]{2,4}-|eyJ|-us\d|_authToken|sk-|pypi-|"
    r"SG\.|xox|sq0|_live_|_test_|\d{8,10}:|AC[a-z0-9]{32}|SK[a-z0-9]{32}|[MN][A-Za-z\d]{23}\."
)
_HEX_TOKEN = re.compile(r"^[0-9a-fA-F]+$")
_ASSIGNED = re.compile(r"\s*[\"']?([^\"'\s]*)")


def _entropy(token: str) -> float:
    """Shannon entropy per character, the measure detect-secrets' entropy plugins use."""
    length = len(token)
    counts: dict[str, int] = {}
    for char in token:
        counts[char] = counts.get(char, 0) + 1
    return -sum((n / length) * math.log2(n / length) for n in counts.values())


def _worth_scanning(line: str) -> bool:
    """Whether detect-secrets could report anything on `line` that we would keep.

    Importing detect-secrets costs about 0.3 s, so lines are screened first: a keyword
    assignment (its keyword plugin), a format plugin's fixed part, or a long token whose entropy
    passes the entropy plugins' limits (4.5 for base64, 3.0 for hex) and that is not a hash of a
    usual length (which `looks_like_hash` would drop anyway).
    """
    if _FORMAT_HINT.search(line):
        return True
    for match in _KEYWORD.finditer(line):
        value = _ASSIGNED.match(line, match.end())
        text = value.group(1) if value else ""
        # A hash, a variable or a path assigned to `GPG_KEY=` / `SECRET_FILE=` is no credential.
        if text and not looks_like_hash(text) and not text.startswith(("$", "/")):
            return True
    for match in _LONG_TOKEN.finditer(line):
        token = match.group()
        if _HEX_TOKEN.match(token):
            if not looks_like_hash(token) and _entropy(token) > 3.0:
                return True
        elif _entropy(token) > 4.5:
            return True
    return False

def scan_text(
    text: str,
    *,
    detect_secrets: bool = True,
    candidates: Sequence[tuple[int, int]] | None = None,
) -> list[SecretHit]:
    """Secrets in `text`, sorted by offset; overlapping hits keep the most specific one.

    Our own detectors always read the whole text (they are cheap regular expressions with fixed
    prefixes). detect-secrets reads the `candidates` spans (offset pairs into `text`), or every
    line when None; `detect_secrets=False` skips it. Hashes, fingerprints and digests (see
    `looks_like_hash`) are not reported.
    """
    spans = None if candidates is None else tuple((start, end) for start, end in candidates)
    if len(text) > _MEMO_TEXT_LIMIT:
        return list(_scan(text, detect_secrets, spans))
    return list(_scan_memo(text, detect_secrets, spans))


# The hits of a text depend on nothing but the text and the options, and carry offsets into
# the text, not file positions: the same instruction text scanned again (the next lint of an
# edited document, the same RUN line in many files) gets its hits from here. Bounded: at most
# `_MEMO_ENTRIES` texts of at most `_MEMO_TEXT_LIMIT` characters (8 MB at worst, about 1 MB
# filled by the corpus); bigger texts (image files) are scanned every time and never held.
_MEMO_ENTRIES = 2048
_MEMO_TEXT_LIMIT = 4096


def _scan(text: str, detect_secrets: bool, spans: tuple[tuple[int, int], ...] | None) -> tuple[SecretHit, ...]:
    hits = list(_own_hits(text))
    if detect_secrets and len(text) < 1_000_000:
        for start, end in ((0, len(text)),) if spans is None else spans:
            hits.extend(_detect_secrets_hits(text, start, end))
    return tuple(_dedupe(hits))


_scan_memo = register_lru(lru_cache(maxsize=_MEMO_ENTRIES)(_scan))


def _detect_secrets_hits(text: str, start: int, end: int) -> Iterator[SecretHit]:
    offset = start
    for line in text[start:end].split("\n"):
        if len(line) <= 2000 and _worth_scanning(line):
            line_start = text.rfind("\n", 0, offset) + 1
            for detector, value in _line_secrets(line.rstrip()):
                yield from _locate(detector, value, text, line, offset, line_start)
        offset += len(line) + 1


def _line_secrets(line: str) -> list[tuple[str, str]]:
    """detect-secrets' findings for a line, each keyword assignment on it included. Its keyword
    plugin reports the first assignment of a line only, and its heuristics drop a value when an
    earlier one on the line looks like an id (`CLIENT_ID=... CLIENT_SECRET=...` in one `echo`).
    So the line is also scanned from the start of each assignment to a credential-like name
    that does not start it (at most 16 a line)."""
    found = list(scan_line_cached(line))
    for match in itertools.islice(_ASSIGNED_NAME.finditer(line), 16):
        if not line[: match.start()].strip():
            continue  # the whole line's scan saw this one first
        for hit in scan_line_cached(line[match.start() :]):
            if hit not in found:
                found.append(hit)
    return found


def _locate(detector: str, value: str, text: str, line: str, offset: int, line_start: int) -> Iterator[SecretHit]:
    found = line.find(value)
    while found >= 0:
        start = offset + found
        if not _suppressed(detector, value, text[line_start:start]):
            kind = _KINDS.get(detector, detector)
            yield SecretHit(kind, value, text.count("\n", 0, start), start, start + len(value), detector)
        found = line.find(value, found + len(value))


_FILE_NAME = re.compile(r"^[\w.-]*\.(?:txt|json|ya?ml|pem|key|crt|cer|conf|cfg|ini|env|properties|xml)$|^[./~]")


def _suppressed(detector: str, value: str, before: str) -> bool:
    if detector in ("Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector"):
        if looks_like_hash(value, before) or _is_sequence(value):
            return True
    if detector == "KeywordDetector":
        # `SECRET_FILE=secret.txt`, `PASSWORD_PATH=/run/secrets/db`: where a secret lives.
        return bool(_FILE_NAME.match(value) or _PLACEHOLDER.match(value) or _FAKE.search(value))
    if detector == "BasicAuthDetector":
        return bool(_PLACEHOLDER.match(value)) or "$" in value
    return False


def _rank(hit: SecretHit) -> tuple[int, int]:
    if hit.detector == "dlint":
        return (3, hit.end - hit.start)
    return (1 if hit.entropy_only or hit.detector == "KeywordDetector" else 2, hit.end - hit.start)


def _dedupe(hits: list[SecretHit]) -> list[SecretHit]:
    kept: list[SecretHit] = []
    for hit in sorted(hits, key=_rank, reverse=True):
        if any(hit.start < other.end and other.start < hit.end for other in kept):
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end))


def redact(text: str, *, deep: bool | None = None) -> str:
    """`text` with every secret in it masked in place, same length (for source snippets).

    Each secret keeps at most four leading characters (as `mask` shows them) and the rest
    becomes `*`, so columns and underlines stay aligned. `deep` runs detect-secrets too; by
    default only when it is already loaded (a secret rule ran), otherwise our own detectors.
    """
    import sys

    if deep is None:
        deep = "detect_secrets.core.scan" in sys.modules
    hits = scan_text(text, detect_secrets=deep)
    if not hits:
        return text
    parts: list[str] = []
    last = 0
    for hit in hits:
        if hit.start < last:
            continue
        shown = 0 if hit.value.startswith("-----BEGIN") else min(4, len(hit.value) // 4)
        parts.append(text[last : hit.start])
        parts.append(hit.value[:shown] + "".join("*" if c not in "\r\n" else c for c in hit.value[shown:]))
        last = hit.end
    parts.append(text[last:])
    return "".join(parts)

"""What several formats share: a result's source, where a finding points, counts, fingerprints.

Fingerprints identify a finding across runs so that CI services (SARIF viewers, GitHub code
scanning, GitLab Code Quality) can tell new problems from old ones. They hash the rule code, the
input's path and the whitespace-normalised text of the flagged range (for an empty range, the
text of its line; for an image finding, the path inside the image), never a line number, so a
finding keeps its fingerprint when lines are inserted or removed above it. Findings of one code
on identical text in one file are told apart by their order of occurrence, a suffix `:N`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Iterable, Iterator

from docklint.model.source import Range, Source
from docklint.rule import Finding, Severity

if TYPE_CHECKING:
    from docklint.engine import LintResult
    from docklint.report import Report

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.STYLE)
FINGERPRINT_KEY = "dlint/v1"  # SARIF partialFingerprints key: bump when the basis changes


def source_of(result: LintResult) -> Source | None:
    """The text the result's ranges refer to, when the input was text."""
    source = getattr(result.model, "source", None)
    if isinstance(source, Source):
        return source
    if result.source_text is not None:
        return Source(result.source_text)
    return None


def error_reason(result: LintResult) -> str:
    """Why an input could not be read, without the path that readers put in front."""
    message = result.error or ""
    prefix = f"{result.path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def is_image(finding: Finding) -> bool:
    """Whether the finding is about an image (IM rules always are, even image-wide ones such as
    a root user or a low efficiency score that name no file, layer or history entry)."""
    return (
        finding.code.startswith("IM")
        or finding.image_path is not None
        or finding.layer is not None
        or finding.history_index is not None
    )


def short_digest(digest: str) -> str:
    algorithm, _, hexa = digest.partition(":")
    return f"{algorithm}:{hexa[:12]}" if hexa else digest[:12]


def image_where(finding: Finding) -> str:
    """Where in the image a finding is: `/etc/shadow, layer 3 (sha256:0123456789ab)`."""
    parts: list[str] = []
    if finding.image_path is not None:
        parts.append(finding.image_path)
    if finding.layer is not None:
        parts.append(f"layer {finding.layer.index} ({short_digest(finding.layer.digest)})")
    if finding.history_index is not None:
        parts.append(f"history entry {finding.history_index}")
    return ", ".join(parts) if parts else "image config"


def message_with_image(finding: Finding) -> str:
    """The message, then the place in the image, for formats without fields for it."""
    if not is_image(finding):
        return finding.message
    return f"{finding.message} [image: {image_where(finding)}]"


@dataclass(frozen=True, slots=True)
class Location:
    """The file and range a finding's line numbers refer to (`range` None: the file as a whole)."""

    path: str
    range: Range | None


def location(finding: Finding) -> Location:
    """Where to point: the mapped Dockerfile range for image findings that have one."""
    if finding.dockerfile_range is not None and finding.dockerfile_path:
        return Location(finding.dockerfile_path, finding.dockerfile_range)
    if is_image(finding):
        return Location(finding.path, None)
    return Location(finding.path, finding.range)


def severity_counts(findings: Iterable[Finding]) -> Counter[Severity]:
    return Counter(f.severity for f in findings)


# --- fingerprints -------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _flagged_text(finding: Finding, source: Source | None) -> str:
    if is_image(finding):
        return finding.image_path or ""
    if source is None or finding.range.start.line >= source.line_count:
        return ""
    text = source.slice(finding.range)
    if not text.strip():
        text = source.line(finding.range.start.line)
    return _SPACE.sub(" ", text).strip()


def _basis(finding: Finding, source: Source | None) -> str:
    path = finding.path.replace("\\", "/").removeprefix("./")
    return "\0".join((finding.code, path, _flagged_text(finding, source)))


def fingerprinted(report: Report) -> Iterator[tuple[LintResult, Finding, str]]:
    """Every finding of the report with its fingerprint `<hex>:<occurrence>`, in report order."""
    import hashlib  # only the formats with fingerprints need it, not the terminal's

    for result in report.results:
        if not result.findings:
            continue
        source = source_of(result)
        seen: Counter[str] = Counter()
        for finding in result.findings:
            digest = hashlib.sha256(_basis(finding, source).encode("utf-8", "surrogatepass")).hexdigest()[:32]
            seen[digest] += 1
            yield result, finding, f"{digest}:{seen[digest]}"


# --- XML ----------------------------------------------------------------------------------

@cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 cannot carry even escaped (a Dockerfile may still contain them).

    Compiled on first use: the astral range costs ~5 ms, paid only by the XML formats.
    """
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_clean(text: str) -> str:
    return _not_xml().sub("\ufffd", text)


def xml_attr(text: str) -> str:
    """`text` as a quoted XML attribute value (newlines kept as character references)."""
    from xml.sax.saxutils import quoteattr

    return quoteattr(xml_clean(text))


def xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(xml_clean(text))

"""Rules about secrets in an image's files: credential files by name, secrets in file contents,
and secrets still readable in a layer although a later layer deleted or replaced the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from docklint.rule import Context, Finding, Option, Severity, rule
from docklint.rules.image_common import glob_matcher, image_finding

if TYPE_CHECKING:
    from docklint.model.image import Hidden, Image, Node
    from docklint.secrets import SecretHit

# Paths whose files hold test keys, documentation examples or public certificates: not scanned
# for secret contents by default (the `allow-paths` option of IM202 and IM203 replaces this).
DEFAULT_SECRET_ALLOW = (
    "/usr/share/doc/**",
    "/usr/share/man/**",
    "/usr/share/info/**",
    "/usr/share/locale/**",
    "/usr/share/zoneinfo/**",
    "/usr/share/ca-certificates/**",
    "/etc/ssl/certs/**",
    "/usr/lib/python3*/test/**",
    "/usr/local/lib/python3*/test/**",
    "**/site-packages/**/tests/**",
    "**/site-packages/**/test/**",
    "**/node_modules/**/test/**",
    "**/node_modules/**/tests/**",
    "**/node_modules/**/fixtures/**",
    "/usr/lib/go/src/**/testdata/**",
    "/usr/local/go/src/**/testdata/**",
)
# Credential settings in files the reader always keeps (`.npmrc`, `.pypirc`, docker `config.json`).
NPM_SECRET = re.compile(r"(?:_authToken|_auth|_password|password)\s*[=:]\s*\S|\"auth\"\s*:\s*\"[^\"]")


@dataclass(frozen=True, slots=True)
class CredentialFile:
    matches: Callable[[str], bool]
    what: str
    needs: str | None


@cache
def credential_files() -> tuple[tuple[CredentialFile, ...], frozenset[str], Callable[[str], bool]]:
    """The entries of `secret_files.yaml`, the template names, and a test for "any entry"."""
    from docklint.rules._data import load

    data = load("secret_files.yaml")
    entries = tuple(CredentialFile(glob_matcher([e["glob"]]), e["what"], e.get("needs")) for e in data["files"])
    return entries, frozenset(data.get("not_files") or ()), glob_matcher(tuple(e["glob"] for e in data["files"]))


def credential_kind(image: Image, path: str, layer: int, kind: str) -> str | None:
    """What credential file `path` (as `layer` stored it) is, by name and, where needed, content."""
    if kind not in ("file", "hardlink"):
        return None
    entries, exceptions, any_entry = credential_files()
    if not any_entry(path) or path.rsplit("/", 1)[-1] in exceptions or path.startswith("/etc/ssh/ssh_host_"):
        return None  # templates; SSH host keys are IM211's
    for entry in entries:
        if not entry.matches(path):
            continue
        if entry.needs is None:
            return entry.what
        hits = image.secrets(path, layer)
        if entry.needs == "private-key" and any(hit.kind == "private key" for hit in hits):
            return entry.what
        if entry.needs == "secret":
            text = image.scans[layer].texts.get(path, "")
            if hits or NPM_SECRET.search(text):
                return entry.what
    return None


def _allow(ctx: Context) -> Callable[[str], bool]:
    patterns = ctx.option("allow-paths")
    return glob_matcher(tuple(patterns))


ALLOW_OPTION = Option(
    "allow-paths",
    list,
    list(DEFAULT_SECRET_ALLOW),
    "Path globs never reported (the default skips documentation, test folders and public certificates)",
)


@rule(
    code="IM201",
    name="secret-file-in-image",
    severity=Severity.ERROR,
    summary="The image holds a credential file (SSH key, .env, cloud credentials, key store, ...)",
    message="`{path}` is {what}, and everyone who can pull the image can copy it; remove it from "
    "the image and mount it at run time instead",
    rationale=(
        "Private keys, `.env` files, cloud credential files and key stores are meant for one "
        "machine or one person. Baked into an image they travel to every registry, cache and host "
        "the image reaches, and `docker cp` or a layer download hands them out. Keep them out of "
        "the build context (`.dockerignore`) and provide them at run time."
    ),
    bad="FROM alpine:3.20\nCOPY id_rsa /root/.ssh/id_rsa",
    good="FROM alpine:3.20\nRUN --mount=type=ssh git clone git@github.com:org/repo.git",
    kind="image",
    options=(Option("allow-paths", list, [], "Path globs never reported"),),
    tags=("secret",),
)
def secret_file_in_image(image: Image, ctx: Context) -> Iterator[Finding]:
    allowed = _allow(ctx)
    for node in image.walk():
        what = credential_kind(image, node.path, node.layer, node.kind)
        if what is not None and not allowed(node.path):
            yield image_finding(ctx, image, path=node.path, layer=node.layer, what=what)


@rule(
    code="IM202",
    name="secret-content-in-image",
    severity=Severity.ERROR,
    summary="A file in the image contains a private key, a token or a password",
    message="`{path}` line {line} holds {secret}, readable by anyone with the image; revoke it, "
    "remove it from the image and supply it at run time",
    rationale=(
        "Text files are scanned (up to a size limit) with detect-secrets' detectors and dlint's "
        "own: private key blocks, cloud and VCS token formats, passwords in URLs, and credential "
        "settings in configuration files. A secret in any layer of a pushed image must be "
        "treated as leaked. Values are shown masked."
    ),
    bad="FROM alpine:3.20\nCOPY .env /app/.env",
    good="FROM alpine:3.20\nCOPY .env.example /app/.env.example",
    kind="image",
    options=(ALLOW_OPTION,),
    tags=("secret",),
)
def secret_content_in_image(image: Image, ctx: Context) -> Iterator[Finding]:
    allowed = _allow(ctx)
    for node in image.walk():
        if node.kind != "file" or allowed(node.path):
            continue
        for hit in _unique(image.secrets(node.path, node.layer)):
            yield image_finding(ctx, image, path=node.path, layer=node.layer, line=hit.line + 1, secret=hit.masked)


@rule(
    code="IM203",
    name="secret-in-deleted-layer-file",
    severity=Severity.ERROR,
    summary="A secret file was deleted or replaced by a later layer but is still in its layer",
    message="`{path}` ({secret}) was added in layer {layer} and {how} in layer {later}, but layer "
    "{layer} still holds it for anyone to extract; revoke it and keep it out of every layer "
    "(`RUN --mount=type=secret`)",
    rationale=(
        "Layers are stacked, not merged: deleting a file in a later step only hides it. The "
        "earlier layer still carries the bytes, and `docker save` or a registry download gives "
        "them to anyone with the image. Use secret mounts or a multi-stage build so the secret is "
        "never written to a layer of the final image."
    ),
    bad="FROM alpine:3.20\nCOPY deploy_key /build/\nRUN use-key /build/deploy_key && rm -rf /build",
    good="FROM alpine:3.20\nRUN --mount=type=secret,id=deploy_key use-key /run/secrets/deploy_key",
    kind="image",
    options=(ALLOW_OPTION,),
    tags=("secret",),
)
def secret_in_deleted_layer_file(image: Image, ctx: Context) -> Iterator[Finding]:
    from docklint.model.image import HOW

    allowed = _allow(ctx)
    for hidden in sorted(image.hidden, key=lambda h: (h.layer, h.path)):
        if hidden.kind != "file" or allowed(hidden.path):
            continue
        hits = _unique(image.secrets(hidden.path, hidden.layer))
        still = _still_visible(image, hidden)
        hits = [hit for hit in hits if hit.value not in still]
        if hits:
            secret = hits[0].masked + (f" and {len(hits) - 1} more" if len(hits) > 1 else "")
        else:
            what = credential_kind(image, hidden.path, hidden.layer, hidden.kind)
            if what is None or still:
                continue
            secret = what
        yield image_finding(
            ctx, image, path=hidden.path, layer=hidden.layer, secret=secret, how=HOW[hidden.how].split(" (")[0],
            later=hidden.hidden_by,
        )


def _still_visible(image: Image, hidden: Hidden) -> set[str]:
    """Secret values the final filesystem still shows at the same path (IM202 reports those)."""
    node: Node | None = image.files.get(hidden.path)
    if node is None:
        return set()
    return {hit.value for hit in image.secrets(node.path, node.layer)}


def _unique(hits: Sequence[SecretHit]) -> list[SecretHit]:
    seen: set[tuple[str, str]] = set()
    out = []
    for hit in hits:
        if (hit.kind, hit.value) not in seen:
            seen.add((hit.kind, hit.value))
            out.append(hit)
    return out

"""Rules about the files of an image: setuid programs, world-writable paths, account files and
files that should not ship. Caches, the OS release, services, sudo and unsafe members are in
`image_system.py`."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Option, Severity, rule
from docklint.rules.image_common import glob_matcher, image_finding

if TYPE_CHECKING:
    from docklint.model.image import Image


@cache
def setuid_allowed() -> frozenset[str]:
    from docklint.rules._data import load

    return frozenset(load("setuid_allow.yaml")["paths"])


@rule(
    code="IM204",
    name="setuid-setgid-file",
    severity=Severity.WARNING,
    summary="A file has the setuid or setgid bit and is not a standard distribution tool",
    message="`{path}` is {bits} (mode `{mode:04o}`, owner {uid}:{gid}), so it runs with its owner's "
    "privileges whoever starts it; drop the bit (`chmod u-s,g-s`) unless the image needs it",
    rationale=(
        "A setuid or setgid program is a ready-made privilege escalation if it has a bug or can be "
        "tricked into running other code. Distributions ship a few (`su`, `passwd`, `mount`, "
        "`ping`); the bundled allow-list (`rules/data/setuid_allow.yaml`) skips them. Anything "
        "else should have a reason; containers that never switch users need none."
    ),
    bad="FROM alpine:3.20\nCOPY tool /usr/local/bin/tool\nRUN chmod 4755 /usr/local/bin/tool",
    good="FROM alpine:3.20\nCOPY --chmod=0755 tool /usr/local/bin/tool",
    kind="image",
    options=(Option("allow", list, [], "More path globs to accept, added to the bundled allow-list"),),
    tags=("root",),
)
def setuid_setgid_file(image: Image, ctx: Context) -> Iterator[Finding]:
    extra = glob_matcher(tuple(ctx.option("allow")))
    allowed = setuid_allowed()
    for node in image.walk():
        if node.kind != "file" or not node.mode & 0o6000 or node.path in allowed or extra(node.path):
            continue
        bits = {0o4000: "setuid", 0o2000: "setgid", 0o6000: "setuid and setgid"}[node.mode & 0o6000]
        yield image_finding(ctx, image, path=node.path, layer=node.layer, bits=bits, mode=node.mode, uid=node.uid, gid=node.gid)


@rule(
    code="IM205",
    name="world-writable-path",
    severity=Severity.WARNING,
    summary="A file or folder is writable by every user (a folder without the sticky bit)",
    message="`{path}` is a {what} writable by every user (mode `{mode:04o}`), so any process in the "
    "container can {harm}; remove world write (`chmod o-w`){sticky}",
    rationale=(
        "World-writable files let any user of the container change them: configuration, scripts "
        "or programs another (more privileged) process later trusts. A world-writable folder "
        "without the sticky bit also lets anyone delete or replace other users' files in it. "
        "Temporary folders with the sticky bit (`/tmp`, mode 1777) are fine."
    ),
    bad="FROM alpine:3.20\nRUN mkdir /srv/shared && chmod 0777 /srv/shared",
    good="FROM alpine:3.20\nRUN mkdir /srv/shared && chmod 1777 /srv/shared",
    kind="image",
    options=(Option("allow", list, [], "Path globs to accept"),),
)
def world_writable_path(image: Image, ctx: Context) -> Iterator[Finding]:
    allowed = glob_matcher(tuple(ctx.option("allow")))
    for node in image.walk():
        if node.kind not in ("file", "dir") or not node.mode & 0o002 or allowed(node.path):
            continue
        if node.kind == "dir":
            if node.mode & 0o1000:
                continue
            what, harm, sticky = "folder", "replace or delete the files in it", ", or add the sticky bit (`chmod +t`)"
        else:
            what, harm, sticky = "file", "change what it holds", ""
        yield image_finding(ctx, image, path=node.path, layer=node.layer, what=what, mode=node.mode, harm=harm, sticky=sticky)


def _records(text: str | None, fields: int) -> Iterator[tuple[int, list[str]]]:
    for number, line in enumerate((text or "").split("\n"), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "+", "-")):
            parts = stripped.split(":")
            if len(parts) >= fields:
                yield number, parts


@rule(
    code="IM206",
    name="empty-password-account",
    severity=Severity.ERROR,
    summary="An account in /etc/shadow (or /etc/passwd) has an empty password",
    message="account `{user}` in `{path}` has an empty password field, so anyone can log in as it "
    "without one; lock it (`passwd -l {user}`, or `*` in the password field)",
    rationale=(
        "An empty password field means \"no password\": `su`, `login` and anything using PAM let "
        "the account in without asking. In `/etc/shadow` locked accounts have `!` or `*`; in "
        "`/etc/passwd` the field should be `x`, pointing at the shadow file."
    ),
    bad="FROM alpine:3.20\nRUN passwd -d root",
    good="FROM alpine:3.20\nRUN passwd -l root",
    kind="image",
    tags=("root",),
)
def empty_password_account(image: Image, ctx: Context) -> Iterator[Finding]:
    shadowed: set[str] = set()
    for path in ("/etc/shadow", "/etc/master.passwd"):
        node = image.file(path)
        for _number, parts in _records(image.text(path), 2):
            shadowed.add(parts[0])
            if parts[1] == "":
                yield image_finding(ctx, image, path=path, layer=node.layer if node else None, user=parts[0])
    node = image.file("/etc/passwd")
    for _number, parts in _records(image.text("/etc/passwd"), 7):
        if parts[1] == "" and parts[0] not in shadowed:
            yield image_finding(ctx, image, path="/etc/passwd", layer=node.layer if node else None, user=parts[0])


@rule(
    code="IM207",
    name="duplicate-uid-gid",
    severity=Severity.WARNING,
    summary="/etc/passwd or /etc/group lists an ID or a name twice",
    message="`{path}` gives {what} `{value}` to both `{first}` and `{second}`, so files and "
    "permissions of one belong to the other too; give each account its own",
    rationale=(
        "Two accounts with one UID are the same user to the kernel: whatever one owns, the other "
        "can change, and logs name the wrong account. Duplicate names make `useradd`, `chown` and "
        "`su` pick one of them unpredictably. Both usually come from build steps that add users "
        "without checking what the base already has."
    ),
    bad="FROM alpine:3.20\nRUN echo 'app:x:0:0::/app:/bin/sh' >> /etc/passwd",
    good="FROM alpine:3.20\nRUN adduser -D -u 10001 app",
    kind="image",
)
def duplicate_uid_gid(image: Image, ctx: Context) -> Iterator[Finding]:
    for path, id_what in (("/etc/passwd", "UID"), ("/etc/group", "GID")):
        node = image.file(path)
        names: dict[str, str] = {}
        ids: dict[str, str] = {}
        for _number, parts in _records(image.text(path), 3 if path == "/etc/group" else 4):
            name, number = parts[0], parts[2]
            for table, key, what in ((names, name, "the name"), (ids, number, id_what)):
                if key in table:
                    yield image_finding(
                        ctx, image, path=path, layer=node.layer if node else None, what=what, value=key, first=table[key], second=name
                    )
                else:
                    table[key] = name


UNNECESSARY = {
    ".git": "a git repository",
    ".svn": "a Subversion working copy",
    ".hg": "a Mercurial repository",
    ".idea": "IDE settings",
    ".vscode": "editor settings",
    ".DS_Store": "a macOS folder index",
    "Thumbs.db": "a Windows thumbnail cache",
    ".cache": "a cache folder",
    ".npm": "the npm cache",
    ".aws": "AWS CLI configuration",
    ".azure": "Azure CLI configuration",
    ".gcp": "Google Cloud configuration",
    "gcloud": "Google Cloud CLI configuration",
    "Dockerfile": "a Dockerfile",
    "Containerfile": "a Containerfile",
    "docker-compose.yml": "a compose file",
    "docker-compose.yaml": "a compose file",
    "compose.yml": "a compose file",
    "compose.yaml": "a compose file",
}
_SWAP = re.compile(r"^\..*\.sw[po]$")
DEFAULT_UNNECESSARY_ALLOW = ["/usr/share/**", "/usr/lib/**", "/usr/local/lib/**", "**/node_modules/**", "**/site-packages/**"]


@rule(
    code="IM208",
    name="unnecessary-files",
    severity=Severity.INFO,
    summary="The image ships files that belong to development, not to the image",
    message="`{path}` is {what}, which the running image does not need and may leak history or "
    "credentials; exclude it in `.dockerignore` or delete it in the same step that creates it",
    rationale=(
        "VCS folders keep the whole history (deleted secrets included), editor and OS leftovers "
        "say how the image was built, cloud CLI folders hold credentials, and build files "
        "(Dockerfile, compose files) describe the infrastructure. All of them grow the image. A "
        "`.dockerignore` keeps them out of `COPY . .`."
    ),
    bad="FROM node:22-alpine\nCOPY . /app/",
    good="FROM node:22-alpine\nCOPY package.json server.js /app/",
    kind="image",
    options=(Option("allow", list, DEFAULT_UNNECESSARY_ALLOW, "Path globs never reported (default: packaged software folders)"),),
    tags=("bloat", "secret"),
)
def unnecessary_files(image: Image, ctx: Context) -> Iterator[Finding]:
    allowed = glob_matcher(tuple(ctx.option("allow")))
    reported: str | None = None
    for node in image.walk():
        if reported is not None and node.path.startswith(reported):
            continue
        name = node.path.rsplit("/", 1)[-1]
        what = UNNECESSARY.get(name) or ("an editor swap file" if _SWAP.match(name) else None)
        if name == "gcloud" and "/.config/" not in node.path:
            what = None
        if what is None or allowed(node.path):
            continue
        if node.kind == "dir":
            reported = node.path + "/"
        yield image_finding(ctx, image, path=node.path, layer=node.layer, what=what)

"""Rules about the state of an image's system: package caches left behind, an end-of-life OS
release, SSH servers and host keys, passwordless sudo, and unsafe or damaged layer members."""

from __future__ import annotations

import datetime as _dt
import re
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Option, Severity, rule
from docklint.rules.image_common import image_finding, size_text

if TYPE_CHECKING:
    from docklint.model.image import Image


# (what, folder, names inside it that are not cache content)
CACHES = (
    ("apt package lists", "/var/lib/apt/lists", ("lock", "partial", "auxfiles")),
    ("the apt package cache", "/var/cache/apt", ("lock", "partial")),
    ("the apk package cache", "/var/cache/apk", ()),
    ("the apk package cache", "/etc/apk/cache", ()),
    ("the yum cache", "/var/cache/yum", ()),
    ("the dnf cache", "/var/cache/dnf", ()),
    ("the zypper cache", "/var/cache/zypp", ()),
    ("the pacman package cache", "/var/cache/pacman/pkg", ()),
    ("the pip cache", "/root/.cache/pip", ()),
    ("the npm cache", "/root/.npm/_cacache", ()),
    ("the yarn cache", "/usr/local/share/.cache/yarn", ()),
    ("the yarn cache", "/root/.cache/yarn", ()),
)
_HOME_CACHES = (("the pip cache", ".cache/pip"), ("the npm cache", ".npm/_cacache"), ("the yarn cache", ".cache/yarn"))


@rule(
    code="IM209",
    name="package-cache-in-image",
    severity=Severity.INFO,
    summary="Package-manager caches are left in the image",
    message="`{path}` holds {what} ({size} in {count}), which only the build needed; clean "
    "it in the same `RUN` that fills it or use a cache mount",
    rationale=(
        "Package indexes and downloaded packages are needed while installing, never at run time. "
        "Left in a layer they add megabytes to every pull, and stale indexes mislead later steps. "
        "Deleting them in a later `RUN` does not help (the bytes stay in the earlier layer); "
        "remove them in the step that creates them or mount a build cache there."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
    kind="image",
    options=(Option("min-size", int, 10240, "Bytes a cache may hold before it is reported"),),
    tags=("bloat",),
)
def package_cache_in_image(image: Image, ctx: Context) -> Iterator[Finding]:
    minimum = int(ctx.option("min-size"))
    folders = [*CACHES]
    for home in ["/root", *(n.path for n in image.under("/home") if n.kind == "dir" and n.path.count("/") == 2)]:
        folders.extend((what, f"{home}/{inner}", ()) for what, inner in _HOME_CACHES)
    seen: set[str] = set()
    for what, folder, skip in folders:
        if folder in seen:
            continue
        seen.add(folder)
        size, count = 0, 0
        by_layer: dict[int, int] = {}
        for node in image.under(folder):
            relative = node.path[len(folder) + 1 :]
            if node.kind != "file" or relative.split("/", 1)[0] in skip:
                continue
            size += node.size
            count += 1
            by_layer[node.layer] = by_layer.get(node.layer, 0) + node.size
        if size > minimum:
            layer = max(by_layer, key=lambda index: (by_layer[index], index))
            files = f"{count} file" if count == 1 else f"{count} files"
            yield image_finding(ctx, image, path=folder, layer=layer, what=what, size=size_text(size), count=files)


@rule(
    code="IM210",
    name="os-release-eol",
    severity=Severity.WARNING,
    summary="/etc/os-release names a distribution release past its end of life",
    message="the image runs {name} (`/etc/os-release`), which stopped getting security updates on "
    "{eol}; rebuild it on a supported release",
    rationale=(
        "After its end of life a release gets no security fixes: every new vulnerability in its "
        "packages stays open. The operating system inside the image counts, whatever the "
        "Dockerfile's FROM line says. Dates come from `rules/data/eol.yaml` (DF204's table)."
    ),
    bad="FROM debian:10",
    good="FROM debian:12",
    kind="image",
    tags=("base",),
)
def os_release_eol(image: Image, ctx: Context) -> Iterator[Finding]:
    release = image.os_release()
    entry = _eol_entry(release.get("ID", "").lower(), release.get("VERSION_ID", ""), release.get("VERSION_CODENAME", ""))
    if entry is not None and entry[1] < ctx.config.date:
        path = "/etc/os-release" if image.file("/etc/os-release") else "/usr/lib/os-release"
        node = image.file(path)
        yield image_finding(ctx, image, path=path, layer=node.layer if node else None, name=entry[0], eol=entry[1].isoformat())


def _eol_entry(distro: str, version: str, codename: str) -> tuple[str, _dt.date] | None:
    """The release name and end-of-life date DF204's table gives this os-release, if any."""
    from docklint.rules._data import load

    releases = load("eol.yaml")["images"].get(distro)
    if not distro or not releases:
        return None
    for entry in releases:
        pattern = re.compile(entry["tags"])
        if (version and pattern.fullmatch(version)) or (codename and pattern.fullmatch(codename)):
            return str(entry["name"]), entry["eol"]
    return None


SSH_SERVERS = ("/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd", "/usr/local/sbin/sshd", "/usr/sbin/dropbear",
               "/usr/bin/dropbear", "/usr/sbin/dropbearmulti", "/usr/bin/dropbearmulti")  # fmt: skip
HOST_KEY = re.compile(r"^/etc/(?:ssh/ssh_host_\w+_key|dropbear/dropbear_\w+_host_key)$")


@rule(
    code="IM211",
    name="ssh-server-in-image",
    severity=Severity.WARNING,
    summary="The image contains an SSH server or SSH host private keys",
    message="`{path}` is {what}; {advice}",
    rationale=(
        "An SSH daemon is a second service to patch, configure and expose; `docker exec` gives the "
        "same access through the runtime. Host keys generated at build time are shared by every "
        "container from the image, so one leaked image lets anyone impersonate all of them."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y openssh-server",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    kind="image",
    tags=("port",),
)
def ssh_server_in_image(image: Image, ctx: Context) -> Iterator[Finding]:
    for node in image.walk():
        if node.kind not in ("file", "hardlink", "symlink"):
            continue
        if node.path in SSH_SERVERS:
            what = "an SSH server"
            advice = "remove the package and use `docker exec` for shell access"
        elif HOST_KEY.match(node.path) and node.kind != "symlink":
            what = "an SSH host private key baked into the image, shared by every container"
            advice = "delete it and generate host keys when the container starts"
        else:
            continue
        yield image_finding(ctx, image, path=node.path, layer=node.layer, what=what, advice=advice)


@rule(
    code="IM212",
    name="passwordless-sudo-in-image",
    severity=Severity.WARNING,
    summary="A sudoers file grants NOPASSWD",
    message="`{path}` line {line} grants `sudo` without a password (`NOPASSWD`), so any process of "
    "that user becomes root at will; drop the rule and run as the user the program needs",
    rationale=(
        "With `NOPASSWD` the non-root user is root in all but name: a compromised process just "
        "calls `sudo`. Containers rarely need sudo at all; do privileged setup at build time as "
        "root, then switch to an unprivileged `USER`."
    ),
    bad="FROM debian:12\nRUN echo 'app ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/app",
    good="FROM debian:12\nUSER 10001",
    kind="image",
    tags=("root",),
)
def passwordless_sudo_in_image(image: Image, ctx: Context) -> Iterator[Finding]:
    paths = ["/etc/sudoers", *(n.path for n in image.under("/etc/sudoers.d") if n.kind == "file")]
    for path in paths:
        node = image.file(path)
        text = image.text(path)
        if node is None or text is None:
            continue
        for number, line in enumerate(text.split("\n"), 1):
            content = line.split("#", 1)[0] if not line.lstrip().startswith("#include") else ""
            if "NOPASSWD" in content:
                yield image_finding(ctx, image, path=path, layer=node.layer, line=number)
                break


ADVICE = {
    "digest-mismatch": "the archive was altered or damaged; get it again from a trusted source",
    "size-mismatch": "the archive was altered or damaged; get it again from a trusted source",
    "bomb": "only raise `--max-decompressed` for an archive you trust",
    "truncated": "findings for the rest of it are missing; get the archive again",
    "corrupt": "findings for the rest of it are missing; get the archive again",
}


@rule(
    code="IM213",
    name="layer-unsafe-entry",
    severity=Severity.ERROR,
    summary="A layer holds an unsafe member (absolute or `..` path, device, escaping link) or is a bomb, damaged or altered",
    message="{detail}; {advice}",
    rationale=(
        "Tools that unpack layers trust their members. Absolute names, `..` components and links "
        "pointing out of the root can make a careless extractor write anywhere on the host; device "
        "nodes and FIFOs have no place in an image; a decompression bomb exhausts disk or memory. "
        "dlint reads every archive as a stream and never extracts it, and reports what it met. "
        "Digest and size mismatches mean the archive is not what its manifest promises."
    ),
    bad="tar -cf layer.tar --absolute-names /etc/passwd ../../outside",
    good="tar -cf layer.tar -C rootfs .",
    kind="image",
)
def layer_unsafe_entry(image: Image, ctx: Context) -> Iterator[Finding]:
    for problem in image.problems:
        advice = ADVICE.get(problem.kind, "a careless extractor could be tricked by it; rebuild the layer from trusted sources")
        yield image_finding(ctx, image, path=problem.path, layer=problem.layer, detail=problem.message, advice=advice)


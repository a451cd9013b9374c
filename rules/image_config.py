"""Rules about an image's config and history: root user, healthcheck, secrets in Env, Labels,
commands and history, sensitive volumes and ports, the archive's tag, signatures, attestations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.image_common import image_finding

if TYPE_CHECKING:
    from docklint.model.image import Image

ROOT_USERS = re.compile(r"^(?:|root|0)(?::.*)?$")
NOT_A_SECRET = re.compile(r"^(?:/[^\s]*|true|false|yes|no|on|off|\d{1,6}|\$\{?\w+\}?)$", re.IGNORECASE)


@rule(
    code="IM101",
    name="image-user-root",
    severity=Severity.WARNING,
    summary="The image config runs containers as root",
    message="the image runs as {who}, so whoever compromises its process is root inside the "
    "container; set `USER` to a non-root UID in the final stage",
    rationale=(
        "A container's processes start as the config's `User`. Without one (or with `root`/`0`) "
        "they run as UID 0: a compromised service can then change anything in the container, and "
        "a kernel or runtime flaw becomes a host compromise far more easily. The config is what "
        "runs, whatever the Dockerfile says, so base images that end as root count too."
    ),
    bad="FROM alpine:3.20\nCMD [\"httpd\", \"-f\"]",
    good="FROM alpine:3.20\nUSER 10001:10001\nCMD [\"httpd\", \"-f\"]",
    kind="image",
    tags=("root",),
)
def image_user_root(image: Image, ctx: Context) -> Iterator[Finding]:
    user = (image.config.user or "").strip()
    if not ROOT_USERS.match(user):
        return
    who = "root (the config sets no `User`)" if not user else f"root (`User` is `{user}`)"
    history = _last_instruction(image, "USER") if user else None
    yield image_finding(ctx, image, history=history, who=who)


@rule(
    code="IM102",
    name="image-healthcheck-missing",
    severity=Severity.INFO,
    summary="The image config has no healthcheck",
    message="the image defines no `Healthcheck`, so the runtime cannot tell a hung service from a "
    "working one; add a `HEALTHCHECK` instruction",
    rationale=(
        "Docker and Swarm restart or reroute unhealthy containers only when the image (or the "
        "deployment) says how to check health. Kubernetes ignores the image healthcheck and uses "
        "probes, which is why this rule is off by default."
    ),
    bad="FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/",
    good="FROM nginx:1.27\nCOPY site/ /usr/share/nginx/html/\nHEALTHCHECK CMD curl -fs http://localhost/ || exit 1",
    kind="image",
    enabled=False,
)
def image_healthcheck_missing(image: Image, ctx: Context) -> Iterator[Finding]:
    test = image.config.healthcheck.get("Test") if image.config.healthcheck else None
    if not test or (isinstance(test, list) and test[:1] == ["NONE"]):
        yield image_finding(ctx, image)


@rule(
    code="IM103",
    name="secret-in-image-config",
    severity=Severity.ERROR,
    summary="The image config's Env, Labels or command carries a secret",
    message="`{key}` in the image config's `{field}` holds {secret}, which anyone who pulls the "
    "image reads with `docker inspect`; revoke it and pass it at run time instead",
    rationale=(
        "Environment variables, labels and the command line are stored in the image config in "
        "clear text and travel with every copy of the image. A credential there is leaked as soon "
        "as the image is pushed. Supply secrets when the container starts (orchestrator secrets, "
        "mounted files) so the image carries none."
    ),
    bad="FROM alpine:3.20\nENV DB_PASSWORD=Example-Passw0rd-2024",
    good="FROM alpine:3.20\nENV DB_PASSWORD_FILE=/run/secrets/db_password",
    kind="image",
    tags=("secret",),
)
def secret_in_image_config(image: Image, ctx: Context) -> Iterator[Finding]:
    for key, value in image.config.env_pairs:
        secret = _pair_secret(key, value)
        if secret is not None:
            yield image_finding(ctx, image, history=_env_history(image, key), key=key, field="Env", secret=secret)
    for key, value in sorted(image.config.labels.items()):
        secret = _pair_secret(key.rsplit(".", 1)[-1], value)
        if secret is not None:
            yield image_finding(ctx, image, history=_last_instruction(image, "LABEL", key), key=key, field="Labels", secret=secret)
    for field, words in (("Entrypoint", image.config.entrypoint), ("Cmd", image.config.cmd)):
        if words:
            hit = _strong_hit(" ".join(words))
            if hit is not None:
                yield image_finding(ctx, image, history=_last_instruction(image, field.upper()), key=words[0], field=field, secret=hit)


def _pair_secret(key: str, value: str) -> str | None:
    """The masked secret in one `KEY=value`, by a credential-like name or a known value format."""
    from docklint.rules.secrets import is_secret_name
    from docklint.secrets import mask

    value = value.strip()
    if not value or NOT_A_SECRET.match(value):
        return None
    strong = _strong_hit(f'{key}="{value}"', skip=len(key) + 2)
    if strong is not None:
        return strong
    if is_secret_name(key) and len(value) >= 4:
        return mask(value, "the value of a credential-named variable")
    return None


def _strong_hit(text: str, skip: int = 0) -> str | None:
    """A secret of a known format (not a guess from entropy or a keyword) in `text`, masked."""
    from docklint.secrets import scan_text

    for hit in scan_text(text):
        if hit.start >= skip and not hit.entropy_only and hit.detector != "KeywordDetector":
            return hit.masked
    return None


def _env_history(image: Image, key: str) -> int | None:
    return _last_instruction(image, "ENV", key)


def _last_instruction(image: Image, keyword: str, mentions: str | None = None) -> int | None:
    """The last history entry that ran `keyword` (and mentions `mentions`)."""
    from docklint.model.imagefs.history import replay

    for entry in reversed(image.history):
        step = replay(entry.created_by)
        if step is not None and step.keyword == keyword and (mentions is None or mentions in step.args):
            return entry.index
    return None


@rule(
    code="IM104",
    name="secret-in-image-history",
    severity=Severity.ERROR,
    summary="The image history records a secret",
    message="history entry {index} records {secret} in {where}, which `docker history` shows to "
    "anyone with the image; revoke it and pass it with `RUN --mount=type=secret`",
    rationale=(
        "For every RUN step, Docker and buildah write the build arguments in scope with their "
        "values into the history (`|2 TOKEN=... /bin/sh -c ...`), and comments carry whatever the "
        "builder put there. Deleting a file later does not touch the history. Secrets written in "
        "the instruction text itself are reported by DF102 on the replayed history."
    ),
    bad="FROM alpine:3.20\nARG GITHUB_TOKEN\nRUN git clone https://x-access-token:${GITHUB_TOKEN}@github.com/org/repo",
    good="FROM alpine:3.20\nRUN --mount=type=secret,id=github_token git clone https://github.com/org/repo",
    kind="image",
    tags=("secret",),
)
def secret_in_image_history(image: Image, ctx: Context) -> Iterator[Finding]:
    from docklint.model.imagefs.history import replay, split_build_args

    for entry in image.history:
        text = entry.created_by.strip()
        step = replay(text)
        pairs = step.build_args if step is not None else split_build_args(text.split(" ", 1)[-1])[1]
        for key, value in pairs:
            secret = _pair_secret(key, value)
            if secret is not None:
                where = f"build argument `{key}`"
                yield image_finding(ctx, image, history=entry.index, layer=entry.layer, index=entry.index, secret=secret, where=where)
        if entry.comment:
            secret = _strong_hit(entry.comment)
            if secret is not None:
                yield image_finding(ctx, image, history=entry.index, layer=entry.layer, index=entry.index, secret=secret, where="its comment")
        if step is None and text:
            secret = _strong_hit(text)
            if secret is not None:
                yield image_finding(ctx, image, history=entry.index, layer=entry.layer, index=entry.index, secret=secret, where="its command")


SENSITIVE_VOLUMES = {
    "/": "the host's root filesystem",
    "/proc": "host process information",
    "/sys": "kernel settings",
    "/dev": "host devices",
    "/var/run/docker.sock": "the Docker socket (root on the host)",
    "/run/docker.sock": "the Docker socket (root on the host)",
    "/var/run": "the host's runtime sockets",
    "/run/containerd/containerd.sock": "the containerd socket (root on the host)",
    "/run/podman/podman.sock": "the Podman socket (root on the host)",
}


@rule(
    code="IM105",
    name="image-sensitive-volume",
    severity=Severity.WARNING,
    summary="The image config declares a volume over a system path or the Docker socket",
    message="the image declares `VOLUME {volume}`, which invites mounting {what} into its "
    "containers; remove it from `VOLUME`",
    rationale=(
        "A volume declared in the image suggests what to mount there. Mounting `/`, `/proc`, "
        "`/sys`, `/dev` or a container-engine socket hands the container control of the host; no "
        "image should ask for that by default."
    ),
    bad="FROM alpine:3.20\nVOLUME /var/run/docker.sock",
    good="FROM alpine:3.20\nVOLUME /data",
    kind="image",
)
def image_sensitive_volume(image: Image, ctx: Context) -> Iterator[Finding]:
    for volume in image.config.volumes:
        clean = "/" + volume.strip().strip("/")
        what = SENSITIVE_VOLUMES.get(clean)
        if what is not None:
            yield image_finding(ctx, image, history=_last_instruction(image, "VOLUME"), volume=volume, what=what)


@rule(
    code="IM106",
    name="image-exposed-sensitive-port",
    severity=Severity.WARNING,
    summary="The image config exposes SSH or another sensitive port",
    message="the image exposes port `{port}` ({what}), a service attackers scan for; remove it "
    "from `EXPOSE` and reach the service through `docker exec` or a private network",
    rationale=(
        "Exposed ports are published by `docker run -P` and read by orchestrators. SSH, remote "
        "desktops, container-engine APIs and data stores should not face the outside. The list "
        "is DF119's (`rules/data/ports.yaml`) plus 22; a port is left alone when the image's "
        "command runs that service itself (a database image exposing its port)."
    ),
    bad="FROM alpine:3.20\nEXPOSE 22 8080",
    good="FROM alpine:3.20\nEXPOSE 8080",
    kind="image",
    tags=("port",),
)
def image_exposed_sensitive_port(image: Image, ctx: Context) -> Iterator[Finding]:
    from docklint.rules.ports import port_table

    table = port_table()
    command = " ".join((*(image.config.entrypoint or ()), *(image.config.cmd or ()))).lower()
    for spec in sorted(image.config.exposed_ports, key=_port_number):
        number = _port_number(spec)
        if number == 22:
            what = "SSH"
        elif number in table:
            entry = table[number]
            if any(service in command for service in entry.get("services") or ()):
                continue
            what = entry.get("what", f"port {number}")
        else:
            continue
        yield image_finding(ctx, image, history=_last_instruction(image, "EXPOSE"), port=spec, what=what)


def _port_number(spec: str) -> int:
    digits = spec.split("/", 1)[0].split("-", 1)[0]
    return int(digits) if digits.isdigit() else -1


@rule(
    code="IM107",
    name="image-reference-latest",
    severity=Severity.WARNING,
    summary="The archive names the image `latest`, or not at all",
    message="{what}, so whoever deploys it cannot tell which build they run; tag it with a "
    "version (or refer to it by digest)",
    rationale=(
        "`latest` is whatever was pushed last: two hosts pulling it an hour apart can run "
        "different code, and a rollback has nothing to go back to. The tag an archive was saved "
        "with is what `docker load` restores. Version tags (or digests) make every deployment "
        "traceable to a build."
    ),
    bad="docker save -o app.tar registry.example.com/app:latest",
    good="docker save -o app.tar registry.example.com/app:1.4.2",
    kind="image",
    tags=("base",),
)
def image_reference_latest(image: Image, ctx: Context) -> Iterator[Finding]:
    from docklint.model.imagefs.layout import normalise_reference

    refs = image.references
    if not refs:
        yield image_finding(ctx, image, what="The archive stores the image without a name or tag")
        return
    tagged = [ref for ref in refs if ref == "latest" or normalise_reference(ref).endswith(":latest")]
    if len(tagged) == len(refs):
        yield image_finding(ctx, image, what=f"The archive names the image `{refs[0]}`, the moving `latest` tag")


@rule(
    code="IM108",
    name="image-not-signed",
    severity=Severity.INFO,
    summary="The archive carries no image signature",
    message="the archive carries no signature (cosign or Notation), so nobody can check offline "
    "who built the image; sign it and export the signature with it",
    rationale=(
        "A signature ties an image digest to a key or identity, so a registry mirror or a copied "
        "archive can be trusted only after checking it. An OCI layout can hold cosign signatures "
        "(`sha256-<digest>.sig` tags or referrers) and Notation signatures; a docker-archive cannot "
        "hold any. Off by default: many pipelines sign in the registry instead."
    ),
    bad="skopeo copy docker://registry.example.com/app:1.4.2 oci-archive:app.tar",
    good="cosign save registry.example.com/app:1.4.2 --dir app-oci",
    kind="image",
    enabled=False,
    tags=("base",),
)
def image_not_signed(image: Image, ctx: Context) -> Iterator[Finding]:
    if not any(artifact.kind == "signature" for artifact in image.artifacts):
        yield image_finding(ctx, image)


@rule(
    code="IM109",
    name="image-provenance-missing",
    severity=Severity.INFO,
    summary="The archive carries no provenance or SBOM attestation",
    message="the archive carries no provenance or SBOM attestation, so nobody can check how the "
    "image was built or what it contains; build with `--provenance=true --sbom=true` and keep the "
    "attestations with the image",
    rationale=(
        "BuildKit can attach SLSA provenance (which sources, which build steps) and an SBOM (which "
        "packages) to an image as attestation manifests in its OCI index; cosign stores them as "
        "`.att`/`.sbom` tags. Without them, supply-chain checks have nothing to verify. Off by "
        "default."
    ),
    bad="docker buildx build --provenance=false -o type=oci,dest=app.tar .",
    good="docker buildx build --provenance=true --sbom=true -o type=oci,dest=app.tar .",
    kind="image",
    enabled=False,
    tags=("base",),
)
def image_provenance_missing(image: Image, ctx: Context) -> Iterator[Finding]:
    if not any(artifact.kind == "attestation" for artifact in image.artifacts):
        yield image_finding(ctx, image)

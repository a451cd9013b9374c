"""Which images an archive holds, and choosing one (`--image`, `--platform`).

OCI layouts (`index.json`, possibly nesting indexes) and docker-archives (`manifest.json`) are
read into `Candidate`s. Manifests that are not images (BuildKit attestation manifests, cosign
signatures and attestations, referrers such as SBOMs) are set aside as `artifacts`: IM108 and
IM109 read them. Docker 25 and later write both files; the OCI index decides, and
`manifest.json` adds its `RepoTags`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docklint.errors import InputError
from docklint.model.imagefs.archive import BlobRef, Store, _digest_from_name, check_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
IMAGE_CONFIGS = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")
INDEXES = (OCI_INDEX, DOCKER_LIST)
MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
MAX_DEPTH = 4
SIGNATURE_TYPES = ("cosign.artifact.sig", "cosign.simplesigning", "notary.signature", "sigstore.bundle")
ATTESTATION_TYPES = ("in-toto", "spdx", "cyclonedx", "syft", "provenance", "sbom", "attestation", "vex")


@dataclass(frozen=True)
class Candidate:
    """One image in the archive: its manifest (OCI), config, layers and the names it goes by."""

    config: BlobRef
    layers: tuple[BlobRef, ...]
    references: tuple[str, ...] = ()
    platform: str | None = None  # from the index descriptor; the config may say more
    manifest: BlobRef | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        name = self.references[0] if self.references else (self.manifest.label if self.manifest else self.config.label)
        return f"{name} ({self.platform})" if self.platform else name


@dataclass
class Artifact:
    kind: str  # signature, attestation
    detail: str


@dataclass
class Layout:
    format: str  # oci-layout, oci-archive, docker-archive
    candidates: list[Candidate]
    artifacts: list[Artifact]


def read_layout(store: Store) -> Layout:
    if store.has("index.json"):
        return _oci(store)
    return _docker(store)


# -- docker-archive ----------------------------------------------------------------------------


def _docker(store: Store) -> Layout:
    entries = store.read_file_json("manifest.json")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{store.display}: `manifest.json` lists no images")
    candidates = [_docker_candidate(store, entry, i) for i, entry in enumerate(entries)]
    return Layout("docker-archive", candidates, [])


def _docker_candidate(store: Store, entry: Any, index: int) -> Candidate:
    where = f"{store.display}: `manifest.json` entry {index}"
    if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
        raise InputError(f"{where} has no `Config`")
    layers = entry.get("Layers")
    if not isinstance(layers, list) or not all(isinstance(layer, str) for layer in layers):
        raise InputError(f"{where} has no `Layers` list")
    tags = entry.get("RepoTags") or []
    if not isinstance(tags, list):
        tags = []
    config = _named(entry["Config"])
    if config.digest is None:
        config = BlobRef(digest=_digest_from_name(config.name), name=config.name)
    return Candidate(
        config=config,
        layers=tuple(_named(name) for name in layers),
        references=tuple(str(tag) for tag in tags),
    )


def _named(name: str) -> BlobRef:
    """A member name; Docker 25+ names blobs `blobs/sha256/<hex>`, which is also their digest."""
    parts = name.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "blobs" and parts[1] in ("sha256", "sha512"):
        return BlobRef(digest=f"{parts[1]}:{parts[2]}", name=name)
    return BlobRef(name=name)


# -- OCI layouts -------------------------------------------------------------------------------


def _oci(store: Store) -> Layout:
    index = store.read_file_json("index.json")
    if store.kind == "oci-layout":
        kind = "oci-layout"
    else:
        kind = "docker-archive" if store.has("manifest.json") else "oci-archive"
    layout = Layout(kind, [], [])
    _walk_index(store, index, layout, "index.json", {}, 0, set())
    if store.has("manifest.json"):
        _add_repo_tags(store, layout)
    return layout


def _walk_index(
    store: Store, index: Any, layout: Layout, where: str, inherited: dict[str, str], depth: int, seen: set[str]
) -> None:
    if depth > MAX_DEPTH:
        raise InputError(f"{store.display}: indexes nest more than {MAX_DEPTH} deep")
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list):
        raise InputError(f"{store.display}: `{where}` has no `manifests` list")
    for position, descriptor in enumerate(manifests):
        place = f"`{where}` manifest {position}"
        if not isinstance(descriptor, dict):
            raise InputError(f"{store.display}: {place} is not an object")
        digest = check_digest(descriptor.get("digest"), f"{store.display}: {place}")
        if digest in seen:
            continue
        seen.add(digest)
        annotations = {**inherited, **_strings(descriptor.get("annotations"))}
        ref = BlobRef(digest=digest, size=_int(descriptor.get("size")), media_type=descriptor.get("mediaType"))
        if _artifact_by_descriptor(descriptor, annotations, layout):
            continue
        own = _strings(descriptor.get("annotations"))
        names = [own.get(CONTAINERD_NAME), own.get(REF_NAME), inherited.get(CONTAINERD_NAME), inherited.get(REF_NAME)]
        document = store.read_json(ref, "manifest")
        media_type = descriptor.get("mediaType") or (document.get("mediaType") if isinstance(document, dict) else None)
        if media_type in INDEXES or (isinstance(document, dict) and "manifests" in document and "layers" not in document):
            _walk_index(store, document, layout, digest, annotations, depth + 1, seen)
            continue
        candidate = _oci_candidate(store, document, ref, descriptor, annotations, place, [n for n in names if n])
        if candidate is not None:
            layout.candidates.append(candidate)
        elif isinstance(document, dict):
            layout.artifacts.append(Artifact(_artifact_kind(document), _artifact_detail(document)))


def _artifact_by_descriptor(descriptor: dict[str, Any], annotations: dict[str, str], layout: Layout) -> bool:
    """Attestation manifests and cosign tags are recognisable from the index alone."""
    if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
        layout.artifacts.append(Artifact("attestation", "BuildKit attestation manifest"))
        return True
    ref_name = annotations.get(REF_NAME, "")
    if ref_name.startswith("sha256-") and ref_name.endswith((".sig", ".att", ".sbom")):
        kind = "signature" if ref_name.endswith(".sig") else "attestation"
        layout.artifacts.append(Artifact(kind, f"cosign tag `{ref_name}`"))
        return True
    artifact_type = str(descriptor.get("artifactType") or "")
    if artifact_type:
        layout.artifacts.append(Artifact(_kind_of_type(artifact_type), artifact_type))
        return True
    return False


def _oci_candidate(
    store: Store,
    document: Any,
    ref: BlobRef,
    descriptor: dict[str, Any],
    annotations: dict[str, str],
    place: str,
    names: list[str],
) -> Candidate | None:
    if not isinstance(document, dict) or not isinstance(document.get("config"), dict):
        raise InputError(f"{store.display}: {place} is not an image manifest")
    config = document["config"]
    if document.get("subject") is not None or document.get("artifactType") or config.get("mediaType") not in IMAGE_CONFIGS:
        return None
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise InputError(f"{store.display}: {place} has no `layers` list")
    layer_refs = []
    for number, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise InputError(f"{store.display}: {place} layer {number} is not an object")
        digest = check_digest(layer.get("digest"), f"{store.display}: {place} layer {number}")
        layer_refs.append(BlobRef(digest=digest, size=_int(layer.get("size")), media_type=layer.get("mediaType")))
    config_ref = BlobRef(
        digest=check_digest(config.get("digest"), f"{store.display}: {place} config"),
        size=_int(config.get("size")),
        media_type=config.get("mediaType"),
    )
    platform = descriptor.get("platform")
    return Candidate(
        config=config_ref,
        layers=tuple(layer_refs),
        references=tuple(dict.fromkeys(names)),
        platform=_platform_text(platform) if isinstance(platform, dict) else None,
        manifest=ref,
        annotations={**_strings(document.get("annotations")), **annotations},
    )


def _artifact_kind(document: dict[str, Any]) -> str:
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    text = " ".join(str(x) for x in (document.get("artifactType"), config.get("mediaType")) if x)  # type: ignore[union-attr]
    for layer in document.get("layers") or []:
        if isinstance(layer, dict):
            text += " " + str(layer.get("mediaType", "")) + " " + " ".join(_strings(layer.get("annotations")).values())
    return _kind_of_type(text)


def _artifact_detail(document: dict[str, Any]) -> str:
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    return str(document.get("artifactType") or config.get("mediaType") or "artifact")  # type: ignore[union-attr]


def _kind_of_type(text: str) -> str:
    lowered = text.lower()
    if any(word in lowered for word in SIGNATURE_TYPES):
        return "signature"
    if any(word in lowered for word in ATTESTATION_TYPES):
        return "attestation"
    return "artifact"


def _add_repo_tags(store: Store, layout: Layout) -> None:
    try:
        entries = store.read_file_json("manifest.json")
    except InputError:
        return
    if not isinstance(entries, list):
        return
    for position, candidate in enumerate(layout.candidates):
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
                continue
            if _named(entry["Config"]).digest == candidate.config.digest:
                tags = tuple(str(t) for t in entry.get("RepoTags") or [] if isinstance(t, str))
                merged = tuple(dict.fromkeys((*tags, *candidate.references)))
                layout.candidates[position] = Candidate(
                    candidate.config, candidate.layers, merged, candidate.platform, candidate.manifest, candidate.annotations
                )


# -- choosing ----------------------------------------------------------------------------------


def choose(layout: Layout, store: Store, image: str | None, platform: str | None) -> Candidate:
    """The one image `--image`/`--platform` pick; an InputError lists the choices otherwise."""
    candidates = layout.candidates
    if not candidates:
        raise InputError(f"{store.display}: the archive holds no image manifest")
    if image:
        candidates = [c for c in candidates if _matches(image, c)]
    if platform:
        wanted = _platform_parts(platform)
        candidates = [c for c in candidates if _platform_matches(wanted, _platform_of(store, c))]
    unique = {(c.manifest.digest if c.manifest else None, c.config.label): c for c in candidates}
    if len(unique) == 1:
        return next(iter(unique.values()))
    choices = ", ".join(sorted({c.describe() for c in layout.candidates}))
    if not unique:
        asked = " and ".join(f"{flag} {value}" for flag, value in (("--image", image), ("--platform", platform)) if value)
        raise InputError(f"{store.display}: no image matches {asked} (choices: {choices})")
    raise InputError(
        f"{store.display}: the archive holds {len(unique)} images; choose one with --image or --platform "
        f"(choices: {', '.join(sorted({c.describe() for c in unique.values()}))})"
    )


def _platform_of(store: Store, candidate: Candidate) -> str:
    if candidate.platform:
        return candidate.platform
    config = store.read_json(candidate.config, "image config")
    return _platform_text(config) if isinstance(config, dict) else "unknown"


def _platform_text(data: dict[str, Any]) -> str:
    parts = [str(data.get("os") or "unknown"), str(data.get("architecture") or "unknown")]
    if data.get("variant"):
        parts.append(str(data["variant"]))
    return "/".join(parts)


def _platform_parts(text: str) -> tuple[str, ...]:
    parts = tuple(p for p in text.lower().split("/") if p)
    if len(parts) not in (2, 3):
        raise InputError(f"--platform {text!r}: use os/arch or os/arch/variant (e.g. linux/arm64/v8)")
    return parts


def _platform_matches(wanted: tuple[str, ...], have: str) -> bool:
    parts = tuple(have.lower().split("/"))
    if parts[:2] != wanted[:2]:
        return False
    return len(wanted) == 2 or (len(parts) > 2 and parts[2] == wanted[2])


def _matches(wanted: str, candidate: Candidate) -> bool:
    if wanted.startswith(("sha256:", "sha512:")):
        digests = {candidate.config.digest, candidate.manifest.digest if candidate.manifest else None}
        return wanted in digests
    target = normalise_reference(wanted)
    for ref in candidate.references:
        if ref == wanted or normalise_reference(ref) == target:
            return True
        if ":" not in ref and "/" not in ref and wanted.endswith(f":{ref}"):
            return True  # an OCI ref name is often just the tag
    return False


def normalise_reference(ref: str) -> str:
    """`nginx` -> `docker.io/library/nginx:latest`, as Docker reads image names."""
    name, _, digest = ref.partition("@")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    if not tag and not digest:
        tag = "latest"
    first, _, rest = name.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        name = f"docker.io/{name}" if rest else f"docker.io/library/{name}"
    if name.startswith("docker.io/") and name.count("/") == 1:
        name = name.replace("docker.io/", "docker.io/library/", 1)
    return f"{name}:{tag}" + (f"@{digest}" if digest else "")


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

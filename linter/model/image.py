"""The image model: an archive read once into config, history, layers and the merged file index.

`load_image(path)` reads a docker-archive, an OCI layout folder, an oci-archive or a tar stream
(`-`), picks one image, scans each layer blob once (`imagefs.layer`) and stacks the layers
(`imagefs.merge`). Rules then query this model; none of them touches the archive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Mapping

from docklint.errors import InputError
from docklint.model.imagefs.archive import open_store
from docklint.model.imagefs.layer import LayerScan, Problem, ScanOptions
from docklint.model.imagefs.layout import Artifact, Candidate, choose, read_layout
from docklint.model.imagefs.merge import HOW, Hidden, Merger, Node, resolve
from docklint.model.imagefs.stream import Budget
from docklint.rule import LayerRef

if TYPE_CHECKING:
    from docklint.secrets import SecretHit

__all__ = ["Image", "ImageConfig", "HistoryEntry", "Layer", "LoadOptions", "Node", "Hidden", "Problem", "load_image", "HOW"]

DEFAULT_MAX_DECOMPRESSED = 32 << 30
_IMAGE_ID = re.compile(r"^[0-9a-f]{12,64}$")
BASE_NAME = "org.opencontainers.image.base.name"


@dataclass(frozen=True)
class LoadOptions:
    """How to read: which image, how much to decompress, what contents to look at."""

    image: str | None = None
    platform: str | None = None
    max_decompressed: int | None = None  # None: DEFAULT_MAX_DECOMPRESSED, with the ratio guard
    secrets: bool = True
    secret_max_size: int = 1 << 20
    secret_skip: Callable[[str], bool] | None = None
    content_digests: bool = False


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    index: int
    created_by: str
    comment: str
    created: str
    empty_layer: bool
    layer: int | None  # the layer this entry made, if any


@dataclass(frozen=True, slots=True)
class Layer:
    index: int
    digest: str  # the blob digest (uncompressed tars: equal to diff_id)
    diff_id: str | None
    media_type: str | None
    compression: str
    stored_size: int  # bytes in the archive
    size: int  # bytes of regular-file data (what `docker history` shows)
    history_index: int | None
    created_by: str
    scanned_files: int


@dataclass(frozen=True)
class ImageConfig:
    """The runtime fields of the image config (`config` object of the OCI config JSON)."""

    user: str | None
    env: tuple[str, ...]
    exposed_ports: tuple[str, ...]
    volumes: tuple[str, ...]
    healthcheck: Mapping[str, Any] | None
    labels: Mapping[str, str]
    cmd: tuple[str, ...] | None
    entrypoint: tuple[str, ...] | None
    workdir: str
    os: str
    architecture: str
    variant: str

    @property
    def env_pairs(self) -> list[tuple[str, str]]:
        return [(item.partition("=")[0], item.partition("=")[2]) for item in self.env]


@dataclass
class Image:
    """One image of an archive, as rules see it."""

    path: str  # the archive as the user named it
    format: str  # docker-archive, oci-layout, oci-archive
    references: tuple[str, ...]
    platform: str
    manifest_digest: str | None
    config_digest: str | None
    config: ImageConfig
    raw_config: Mapping[str, Any]
    history: tuple[HistoryEntry, ...]
    layers: tuple[Layer, ...]
    files: dict[str, Node]
    hidden: tuple[Hidden, ...]
    problems: tuple[Problem, ...]
    artifacts: tuple[Artifact, ...]
    annotations: Mapping[str, str]
    base_layers: int  # how many bottom layers belong to the base image
    base_source: str  # how base_layers was found: buildah-history, history-timestamps, dockerfile, first-layer
    layer_hidden: tuple[int, ...]  # per layer: stored bytes that later layers hide
    efficiency: float  # dive's score, whiteouts counted file by file
    repeated_bytes: int  # dive's "wasted bytes": all bytes of paths written more than once
    written_bytes: int  # all file bytes written across layers
    scans: list[LayerScan] = field(repr=False, default_factory=list)
    _sorted: list[str] | None = field(default=None, repr=False)

    # -- files ---------------------------------------------------------------------------------

    def file(self, path: str, follow: bool = True) -> Node | None:
        """The node at `path` of the final filesystem (symbolic links followed if `follow`)."""
        if follow:
            target = resolve(self.files, path)
            return None if target is None else self.files.get(target)
        return self.files.get(path)

    def text(self, path: str) -> str | None:
        """The contents of an account, os-release, sudoers or npmrc file, if present."""
        node = self.file(path)
        if node is None:
            return None
        return self.scans[node.layer].texts.get(node.path)

    def secrets(self, path: str, layer: int) -> tuple[SecretHit, ...]:
        """Secrets found in the version of `path` that `layer` stored."""
        return self.scans[layer].secrets.get(path, ())

    def digest_of(self, node: Node) -> str | None:
        return self.scans[node.layer].digests.get(node.path)

    def walk(self) -> Iterator[Node]:
        """Every node of the final filesystem, sorted by path."""
        for path in self.sorted_paths:
            yield self.files[path]

    def under(self, folder: str) -> Iterator[Node]:
        """Nodes inside `folder` (not the folder itself), sorted by path."""
        import bisect

        prefix = folder.rstrip("/") + "/"
        paths = self.sorted_paths
        for position in range(bisect.bisect_left(paths, prefix), len(paths)):
            path = paths[position]
            if not path.startswith(prefix):
                break
            yield self.files[path]

    @property
    def sorted_paths(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.files)
        return self._sorted

    # -- layers and history ----------------------------------------------------------------------

    def layer_ref(self, index: int) -> LayerRef:
        return LayerRef(index, self.layers[index].digest)

    def history_of(self, layer: int) -> int | None:
        return self.layers[layer].history_index if 0 <= layer < len(self.layers) else None

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.layers)

    @property
    def base_size(self) -> int:
        return sum(layer.size for layer in self.layers[: self.base_layers])

    @property
    def user_size(self) -> int:
        """Bytes the layers on top of the base add (dive: every layer after the first)."""
        return self.size - self.base_size

    @property
    def wasted_bytes(self) -> int:
        """Bytes stored in layers that the final filesystem does not show."""
        return sum(self.layer_hidden)

    @property
    def user_wasted_percent(self) -> float:
        """dive's ratio: bytes of paths written more than once over the user layers' bytes."""
        return self.repeated_bytes / self.user_size if self.user_size else 0.0

    def os_release(self) -> dict[str, str]:
        """`/etc/os-release` (or `/usr/lib/os-release`) as key-value pairs; empty if absent."""
        text = self.text("/etc/os-release") or self.text("/usr/lib/os-release")
        if text is None:
            return {}
        values: dict[str, str] = {}
        for line in text.split("\n"):
            key, sep, value = line.strip().partition("=")
            if sep and re.fullmatch(r"[A-Z0-9_]+", key):
                values[key] = value.strip().strip("\"'")
        return values


def load_image(path: str, options: LoadOptions = LoadOptions(), stdin: BinaryIO | None = None) -> Image:
    """Read the image at `path` (`-`: stdin); raises InputError when it cannot be read."""
    scan_options = ScanOptions(
        Budget(options.max_decompressed or DEFAULT_MAX_DECOMPRESSED, explicit=options.max_decompressed is not None),
        secrets=options.secrets,
        secret_max_size=options.secret_max_size,
        secret_skip=options.secret_skip,
        content_digests=options.content_digests,
    )
    store = open_store(path, scan_options, stdin)
    try:
        layout = read_layout(store)
        chosen = choose(layout, store, options.image, options.platform)
        config = store.read_json(chosen.config, "image config")
        if not isinstance(config, dict):
            raise InputError(f"{store.display}: the image config is not a JSON object")
        scans = [store.scan(ref, scan_options) for ref in chosen.layers]
    finally:
        store.close()
    return _assemble(path, layout.format, chosen, config, scans, [*store.problems], layout.artifacts)


def _assemble(
    path: str,
    fmt: str,
    chosen: Candidate,
    config: dict[str, Any],
    scans: list[LayerScan],
    problems: list[Problem],
    artifacts: list[Artifact],
) -> Image:
    _check_diff_ids(config, scans, problems)
    merger = Merger()
    last_use = {id(scan): index for index, scan in enumerate(scans)}  # a blob may be listed twice
    for index, scan in enumerate(scans):
        merger.apply(index, scan.entries)
        problems.extend(replace(problem, layer=index) for problem in scan.problems)
        if last_use[id(scan)] == index:
            scan.entries = []  # the merged index holds what rules need
    merger.check_links()
    problems.extend(merger.problems)
    history = _history(config, len(scans))
    labels = config.get("config", {}).get("Labels") if isinstance(config.get("config"), dict) else None
    has_base = BASE_NAME in chosen.annotations or (isinstance(labels, dict) and BASE_NAME in labels)
    base_layers, base_source = _base_layers(history, len(scans), has_base)
    efficiency, repeated, written = merger.efficiency()
    layers = tuple(_layer(index, ref.media_type, scan, history) for index, (ref, scan) in enumerate(zip(chosen.layers, scans)))
    return Image(
        path=path,
        format=fmt,
        references=chosen.references,
        platform=chosen.platform or _platform(config),
        manifest_digest=chosen.manifest.digest if chosen.manifest else None,
        config_digest=chosen.config.digest,
        config=_config(config),
        raw_config=config,
        history=history,
        layers=layers,
        files=merger.files,
        hidden=tuple(merger.hidden),
        problems=tuple(problems),
        artifacts=tuple(artifacts),
        annotations=chosen.annotations,
        base_layers=base_layers,
        base_source=base_source,
        layer_hidden=tuple(merger.layer_hidden) + (0,) * (len(scans) - len(merger.layer_hidden)),
        efficiency=efficiency,
        repeated_bytes=repeated,
        written_bytes=written,
        scans=scans,
    )


def _check_diff_ids(config: dict[str, Any], scans: list[LayerScan], problems: list[Problem]) -> None:
    rootfs = config.get("rootfs") if isinstance(config.get("rootfs"), dict) else {}
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    if not isinstance(diff_ids, list):
        return
    if len(diff_ids) != len(scans):
        problems.append(Problem("digest-mismatch", f"the config lists {len(diff_ids)} layers but the manifest {len(scans)}"))
    for index, (expected, scan) in enumerate(zip(diff_ids, scans)):
        if scan.diff_id is not None and scan.diff_id != expected:
            problems.append(
                Problem(
                    "digest-mismatch",
                    f"layer {index} unpacks to `{scan.diff_id}`, but the config's diff_id is `{str(expected)[:80]}`: "
                    "it was altered or damaged",
                    layer=index,
                )
            )


def _history(config: dict[str, Any], layer_count: int) -> tuple[HistoryEntry, ...]:
    raw = config.get("history")
    if not isinstance(raw, list):
        return ()
    entries = []
    layer = 0
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        empty = bool(item.get("empty_layer"))
        made = None
        if not empty and layer < layer_count:
            made = layer
            layer += 1
        entries.append(
            HistoryEntry(index, str(item.get("created_by") or ""), str(item.get("comment") or ""), str(item.get("created") or ""), empty, made)
        )
    return tuple(entries)


def _base_layers(history: tuple[HistoryEntry, ...], layer_count: int, has_base: bool) -> tuple[int, str]:
    """How many layers the base image brought.

    buildah and podman mark the first step of each build with a `FROM <image>` comment. Without
    one, but with `org.opencontainers.image.base.name` saying there is a base, the history's
    timestamps tell: the base was built long before the steps on top of it, so the last jump of
    more than an hour between entries starts the build. Otherwise: the first layer, as dive.
    """
    start = None
    for entry in history:
        comment = entry.comment.strip()
        if comment.startswith("FROM ") and not _IMAGE_ID.match(comment[5:].strip()):
            start = entry.index
    source = "buildah-history"
    if start is None and has_base:
        start, source = _time_gap(history), "history-timestamps"
    if start is not None:
        count = sum(1 for entry in history[:start] if entry.layer is not None)
        if 0 < count < layer_count:
            return count, source
    return min(1, layer_count), "first-layer"


def _time_gap(history: tuple[HistoryEntry, ...]) -> int | None:
    import datetime as dt

    times = []
    for entry in history:
        try:
            times.append(dt.datetime.fromisoformat(entry.created.replace("Z", "+00:00")))
        except ValueError:
            return None
    start = None
    for index in range(1, len(times)):
        if (times[index] - times[index - 1]).total_seconds() > 3600:
            start = index
    return start


def _layer(index: int, media_type: str | None, scan: LayerScan, history: tuple[HistoryEntry, ...]) -> Layer:
    entry = next((h for h in history if h.layer == index), None)
    return Layer(
        index=index,
        digest=scan.blob_digest,
        diff_id=scan.diff_id,
        media_type=media_type,
        compression=scan.compression,
        stored_size=scan.stored_size,
        size=scan.files_size,
        history_index=entry.index if entry else None,
        created_by=entry.created_by if entry else "",
        scanned_files=scan.scanned_files,
    )


def _config(data: dict[str, Any]) -> ImageConfig:
    inner = data.get("config") if isinstance(data.get("config"), dict) else {}
    assert isinstance(inner, dict)

    def strings(value: Any) -> tuple[str, ...] | None:
        if isinstance(value, list):
            return tuple(str(v) for v in value)
        if isinstance(value, str):
            return (value,)
        return None

    labels = inner.get("Labels") if isinstance(inner.get("Labels"), dict) else {}
    health = inner.get("Healthcheck")
    return ImageConfig(
        user=str(inner["User"]) if isinstance(inner.get("User"), (str, int)) else None,
        env=strings(inner.get("Env")) or (),
        exposed_ports=tuple(inner["ExposedPorts"]) if isinstance(inner.get("ExposedPorts"), dict) else (),
        volumes=tuple(inner["Volumes"]) if isinstance(inner.get("Volumes"), dict) else (),
        healthcheck=health if isinstance(health, dict) else None,
        labels={str(k): str(v) for k, v in labels.items()},  # type: ignore[union-attr]
        cmd=strings(inner.get("Cmd")),
        entrypoint=strings(inner.get("Entrypoint")),
        workdir=str(inner.get("WorkingDir") or ""),
        os=str(data.get("os") or ""),
        architecture=str(data.get("architecture") or ""),
        variant=str(data.get("variant") or ""),
    )


def _platform(config: dict[str, Any]) -> str:
    parts = [str(config.get("os") or "unknown"), str(config.get("architecture") or "unknown")]
    if config.get("variant"):
        parts.append(str(config["variant"]))
    return "/".join(parts)

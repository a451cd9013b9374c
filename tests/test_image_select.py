"""Archive layouts the fixtures do not cover, and picking one image out of several."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from docklint.errors import InputError
from docklint.model.image import LoadOptions, load_image
from tests.image.build import (
    E,
    Spec,
    _tar_of,
    docker_archive,
    layer_tar,
    oci_archive,
    oci_blobs,
    oci_layout,
    sha256,
    write,
)
from tests.test_image_reader import _Pipe

APP = Spec(layers=[[E("app/one", "1")]], tags=("example.com/one:1.0",))
OTHER = Spec(layers=[[E("app/two", "22")]], tags=("example.com/two:2.0",))
AMD = Spec(layers=[[E("arch", "amd64")]], tags=("example.com/app:1.0",), architecture="amd64")
ARM = Spec(layers=[[E("arch", "arm64")]], tags=("example.com/app:1.0",), architecture="arm64", variant="v8")


def test_multi_image_docker_archive_needs_a_choice(tmp_path: Path) -> None:
    path = write(tmp_path / "two.tar", docker_archive(APP, OTHER))
    with pytest.raises(InputError, match=r"holds 2 images; choose one with --image or --platform \(choices: example.com/one:1.0, example.com/two:2.0\)"):
        load_image(path)
    chosen = load_image(path, LoadOptions(image="example.com/two:2.0"))
    assert "/app/two" in chosen.files and chosen.references == ("example.com/two:2.0",)
    with pytest.raises(InputError, match=r"no image matches --image example.com/three \(choices: example.com/one:1.0, example.com/two:2.0\)"):
        load_image(path, LoadOptions(image="example.com/three"))


def test_image_names_are_normalised() -> None:
    data = docker_archive(Spec(layers=[[]], tags=("docker.io/library/nginx:latest",)), OTHER)
    assert load_image("-", LoadOptions(image="nginx"), stdin=_Pipe(data)).references == ("docker.io/library/nginx:latest",)
    image = load_image("-", LoadOptions(image="example.com/two:2.0"), stdin=_Pipe(data))
    by_digest = load_image("-", LoadOptions(image=image.config_digest), stdin=_Pipe(data))
    assert by_digest.config_digest == image.config_digest


def test_platforms_of_an_index(tmp_path: Path) -> None:
    path = write(tmp_path / "multi.tar", oci_archive(AMD, ARM, platforms=True))
    with pytest.raises(InputError, match=r"choices: example.com/app:1.0 \(linux/amd64\), example.com/app:1.0 \(linux/arm64/v8\)"):
        load_image(path)
    arm = load_image(path, LoadOptions(platform="linux/arm64"))
    assert arm.platform == "linux/arm64/v8" and arm.text("/arch") is None and "/arch" in arm.files
    assert load_image(path, LoadOptions(platform="linux/arm64/v8")).config_digest == arm.config_digest
    amd = load_image(path, LoadOptions(platform="linux/amd64"))
    assert amd.files["/arch"].size == 5
    with pytest.raises(InputError, match="use os/arch or os/arch/variant"):
        load_image(path, LoadOptions(platform="arm64"))
    with pytest.raises(InputError, match=r"no image matches --platform linux/s390x"):
        load_image(path, LoadOptions(platform="linux/s390x"))


def test_platform_from_configs_of_a_docker_archive() -> None:
    data = docker_archive(AMD, Spec(layers=ARM.layers, tags=("example.com/app:arm",), architecture="arm64"))
    image = load_image("-", LoadOptions(platform="linux/arm64"), stdin=_Pipe(data))
    assert image.references == ("example.com/app:arm",)


def test_nested_index_and_attestations_are_skipped(tmp_path: Path) -> None:
    """index.json -> image index -> (amd64 image, BuildKit attestation manifest)."""
    blobs, inner = oci_blobs([AMD], "gzip", platforms=True)
    attestation = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"{}"), "size": 2},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": sha256(b"[]"), "size": 2}],
    }).encode()
    blobs[sha256(attestation)] = attestation
    inner["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(attestation), "size": len(attestation),
        "platform": {"os": "unknown", "architecture": "unknown"},
        "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
    })
    nested = json.dumps(inner).encode()
    blobs[sha256(nested)] = nested
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha256(nested), "size": len(nested),
        "annotations": {"org.opencontainers.image.ref.name": "1.0"},
    }]}
    members = [("oci-layout", b"{}", "")] + [(f"blobs/sha256/{d[7:]}", b, "") for d, b in sorted(blobs.items())]
    members.append(("index.json", json.dumps(index).encode(), ""))
    image = load_image(write(tmp_path / "nested.tar", _tar_of(members)))
    assert image.platform == "linux/amd64" and image.references == ("example.com/app:1.0", "1.0")
    assert [artifact.kind for artifact in image.artifacts] == ["attestation"]


def test_docker_25_layout_with_manifest_json(tmp_path: Path) -> None:
    """`docker save` from Docker 25+: an OCI layout with a manifest.json beside it."""
    blobs, index = oci_blobs([APP], None)
    manifest = json.loads(blobs[index["manifests"][0]["digest"]])
    entry = {
        "Config": f"blobs/sha256/{manifest['config']['digest'][7:]}",
        "RepoTags": ["example.com/one:1.0"],
        "Layers": [f"blobs/sha256/{layer['digest'][7:]}" for layer in manifest["layers"]],
    }
    index["manifests"][0]["annotations"] = {"io.containerd.image.name": "docker.io/library/one:1.0", "org.opencontainers.image.ref.name": "1.0"}
    members = [("oci-layout", b"{}", "")] + [(f"blobs/sha256/{d[7:]}", b, "") for d, b in sorted(blobs.items())]
    members += [("index.json", json.dumps(index).encode(), ""), ("manifest.json", json.dumps([entry]).encode(), "")]
    data = _tar_of(members)
    for image in (load_image(write(tmp_path / "d25.tar", data)), load_image("-", stdin=_Pipe(data))):
        assert image.format == "docker-archive"
        assert image.references == ("example.com/one:1.0", "docker.io/library/one:1.0", "1.0")
        assert image.files["/app/one"].size == 1 and image.problems == ()


def test_docker_archive_layouts(tmp_path: Path) -> None:
    """Legacy `<id>/layer.tar` symlinks (skopeo), gzip layer tars, and `docker save | gzip`."""
    linked = load_image(write(tmp_path / "links.tar", docker_archive(APP, legacy_links=True)))
    assert "/app/one" in linked.files and linked.problems == ()
    zipped_layers = load_image(write(tmp_path / "gz-layers.tar", docker_archive(APP, compression="gzip")))
    assert zipped_layers.layers[0].compression == "gzip" and zipped_layers.problems == ()
    whole = write(tmp_path / "image.tar.gz", gzip.compress(docker_archive(APP, OTHER)))
    image = load_image(whole, LoadOptions(image="example.com/one:1.0"))
    assert "/app/one" in image.files and image.problems == ()


def test_oci_layout_folder_with_zstd(tmp_path: Path) -> None:
    root = oci_layout(tmp_path / "layout", Spec(layers=[[E("etc/passwd", "root:x:0:0::/root:/bin/sh\n")], [E("app/x", "y")]]), compression="zstd")
    image = load_image(str(root))
    assert image.format == "oci-layout" and [layer.compression for layer in image.layers] == ["zstd", "zstd"]
    assert image.text("/etc/passwd") == "root:x:0:0::/root:/bin/sh\n"


def test_folder_without_an_index(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not an image folder"):
        load_image(str(tmp_path / "empty"))


def test_unknown_history_and_base_guess() -> None:
    data = docker_archive(Spec(layers=[layer_tar([E("a", "1")]), layer_tar([E("b", "2")])], history=[]))
    image = load_image("-", stdin=_Pipe(data))
    assert image.history == () and image.base_layers == 1 and image.base_source == "first-layer"
    assert [layer.history_index for layer in image.layers] == [None, None]


def test_base_layers_from_timestamps_when_a_base_is_named() -> None:
    history = [
        {"created": "2024-02-01T08:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:" + "a" * 64 + " in / "},
        {"created": "2024-02-01T08:00:01Z", "created_by": "/bin/sh -c apt-get update && apt-get install -y ca-certificates"},
        {"created": "2024-02-01T08:00:02Z", "created_by": '/bin/sh -c #(nop)  CMD ["bash"]', "empty_layer": True},
        {"created": "2024-06-30T12:00:00Z", "created_by": "COPY app /app # buildkit", "comment": "buildkit.dockerfile.v0"},
        {"created": "2024-06-30T12:05:00Z", "created_by": "RUN /bin/sh -c make # buildkit", "comment": "buildkit.dockerfile.v0"},
    ]
    layers = [[E("base", "x")], [E("certs", "x")], [E("app/a", "x")], [E("app/b", "x")]]
    named = Spec(layers=layers, history=history, labels={"org.opencontainers.image.base.name": "docker.io/library/debian:12"})
    image = load_image("-", stdin=_Pipe(docker_archive(named)))
    assert (image.base_layers, image.base_source) == (2, "history-timestamps")
    unnamed = load_image("-", stdin=_Pipe(docker_archive(Spec(layers=layers, history=history))))
    assert (unnamed.base_layers, unnamed.base_source) == (1, "first-layer")


def test_a_layer_listed_twice(tmp_path: Path) -> None:
    """Identical layers (an empty WORKDIR layer, a repeated COPY) share one blob."""
    layer = layer_tar([E("app/x", "abc")])
    spec = Spec(layers=[layer, layer_tar([E("app/y", "1")]), layer])
    data = docker_archive(spec)
    for image in (load_image(write(tmp_path / "dup.tar", data)), load_image("-", stdin=_Pipe(data))):
        assert image.files["/app/x"].layer == 2 and image.problems == ()
        assert [(h.path, h.layer, h.hidden_by) for h in image.hidden] == [("/app/x", 0, 2)]

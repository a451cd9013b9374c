"""The image reader on the shared fixtures: every archive form gives the same image."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docklint.model.image import Image, load_image
from tests.conftest import IMAGES

FORMS = {
    "clean": ["clean.docker.tar", "clean.oci.tar", "clean.oci-raw"],
    "root-and-ports": ["root-and-ports.docker.tar", "root-and-ports.oci.tar"],
    "secrets-in-files": ["secrets-in-files.docker.tar", "secrets-in-files.oci.tar", "secrets-in-files.oci-zstd"],
    "waste": ["waste.docker.tar", "waste.oci.tar", "waste.oci-zstd.tar"],
}
ALL_FORMS = [pytest.param(name, form, id=form) for name, forms in FORMS.items() for form in forms]
BASE_DIFF_ID = "sha256:9e624f7cad4d60d27de13c098c0328b0c6e2241ecdfb1c47d111a2d85b1c8ce9"


def _load(form: str) -> Image:
    return load_image(str(IMAGES / form))


@pytest.mark.parametrize(("name", "form"), ALL_FORMS)
def test_every_form_reads_cleanly(name: str, form: str) -> None:
    image = _load(form)
    assert image.problems == ()
    assert image.layers[0].diff_id == BASE_DIFF_ID
    assert all(layer.diff_id for layer in image.layers)
    assert image.base_layers == 1 and image.base_source == "buildah-history"
    node = image.file("/bin/busybox")
    assert node is not None and node.size == 1982256 and node.layer == 0
    assert image.text("/etc/passwd") is not None and "app:x:10001" in (image.text("/etc/passwd") or "")


@pytest.mark.parametrize("name", list(FORMS))
def test_forms_agree(name: str) -> None:
    """Same diff_ids, history, files and waste whatever the archive form or compression."""
    images = [_load(form) for form in FORMS[name]]
    first = images[0]
    for other in images[1:]:
        assert [layer.diff_id for layer in other.layers] == [layer.diff_id for layer in first.layers]
        assert other.history == first.history
        assert {p: (n.kind, n.mode, n.size, n.layer) for p, n in other.files.items()} == {
            p: (n.kind, n.mode, n.size, n.layer) for p, n in first.files.items()
        }
        assert other.hidden == first.hidden
        assert (other.efficiency, other.repeated_bytes, other.wasted_bytes) == (
            first.efficiency,
            first.repeated_bytes,
            first.wasted_bytes,
        )


def test_layer_compression_is_detected() -> None:
    assert {layer.compression for layer in _load("clean.oci-raw").layers} == {"none"}
    assert {layer.compression for layer in _load("clean.oci.tar").layers} == {"gzip"}
    assert {layer.compression for layer in _load("waste.oci-zstd.tar").layers} == {"zstd"}
    assert {layer.compression for layer in _load("secrets-in-files.oci-zstd").layers} == {"zstd"}


def test_history_is_aligned_with_layers() -> None:
    image = _load("root-and-ports.docker.tar")
    assert [entry.layer for entry in image.history] == [0, None, None, None, 1, None, None, None]
    assert image.layers[1].history_index == 4
    assert image.layers[1].created_by.startswith("|2 APP_VERSION=1.4.2 GITHUB_TOKEN=")


def test_config_facts() -> None:
    image = _load("root-and-ports.oci.tar")
    assert image.config.user is None
    assert image.config.exposed_ports == ("22/tcp", "80/tcp")
    assert image.config.cmd == ("httpd", "-f", "-v", "-p", "80", "-h", "/srv/www")
    assert image.config.labels == {"io.buildah.version": "1.28.2"}
    assert image.references == ("latest",)
    assert _load("root-and-ports.docker.tar").references == ("docker.io/dlint-fixtures/root-and-ports:latest",)
    assert _load("secrets-in-files.docker.tar").config.user == "root"
    assert _load("waste.oci.tar").config.user == "10001:10001"


def test_whiteouts_hide_only_lower_layers() -> None:
    """waste: a file whiteout, a rewrite, an opaque folder and copy-ups, as the README plants them."""
    image = _load("waste.docker.tar")
    hidden = {(h.path, h.layer, h.hidden_by, h.how, h.size) for h in image.hidden if h.kind == "file" and h.size}
    assert hidden == {
        ("/opt/data/blob.bin", 1, 2, "deleted", 3 << 20),
        ("/opt/data/model.bin", 1, 2, "replaced", 256 << 10),
        ("/var/cache/apk/APKINDEX.5022a8a2.tar.gz", 3, 4, "opaque", 64 << 10),
        ("/usr/local/bin/pingx", 5, 6, "replaced", 8632),
        ("/usr/local/bin/mailq-helper", 5, 6, "replaced", 8632),
    }
    assert image.file("/opt/data/blob.bin") is None
    assert image.file("/opt/data/model.bin").layer == 2  # type: ignore[union-attr]
    assert image.file("/var/cache/apk") is not None  # re-created by the same step
    assert list(image.under("/var/cache/apk")) == []
    assert image.wasted_bytes == (3 << 20) + (256 << 10) + (64 << 10) + 2 * 8632
    assert image.layer_hidden[1] == (3 << 20) + (256 << 10)


def test_folder_whiteout_keeps_the_files_in_their_layer() -> None:
    image = _load("secrets-in-files.oci-zstd")
    gone = {(h.path, h.layer, h.hidden_by, h.how) for h in image.hidden if h.kind == "file"}
    assert ("/build/deploy_key", 2, 3, "folder-deleted") in gone
    assert ("/build/build.env", 2, 3, "folder-deleted") in gone
    assert image.file("/build") is None and image.file("/build/deploy_key") is None
    kinds = {hit.kind for hit in image.secrets("/build/build.env", 2)}
    assert kinds == {"Slack token"}


def test_symlinks_resolve_inside_the_image() -> None:
    image = _load("clean.docker.tar")
    link = image.file("/bin/sh", follow=False)
    assert link is not None and link.kind == "symlink" and link.link == "/bin/busybox"
    target = image.file("/bin/sh")
    assert target is not None and target.path == "/bin/busybox"


def test_stdin_stream_reads_every_form(tmp_path: Path) -> None:
    """A pipe cannot seek: every member is read once, in archive order (manifest.json last)."""
    for form in ("waste.docker.tar", "waste.oci.tar", "waste.oci-zstd.tar"):
        data = (IMAGES / form).read_bytes()
        streamed = load_image("-", stdin=_Pipe(data))
        direct = _load(form)
        assert [layer.diff_id for layer in streamed.layers] == [layer.diff_id for layer in direct.layers]
        assert streamed.hidden == direct.hidden
        assert streamed.format == direct.format


class _Pipe(io.RawIOBase):
    """A non-seekable byte stream without a file descriptor, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), len(self._data), 65536)
        buffer[:count] = self._data[:count]
        self._data = self._data[count:]
        return count

    def fileno(self) -> int:
        raise OSError("not a file")

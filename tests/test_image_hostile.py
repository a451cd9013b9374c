"""Hostile and broken archives, built here: each gives a clear error or an IM213 finding, in
bounded time and memory, and nothing is written to disk.

Archives are fed through a pipe-like stream (no file at all) or from a temporary file; the
`quiet_disk` fixture points TMPDIR and the working directory at empty folders and checks they
stay empty.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Iterator

import pytest

from docklint.config import Config
from docklint.errors import InputError
from docklint.image_engine import lint_image
from docklint.model.image import LoadOptions, load_image
from docklint.rule import Finding
from tests.image.build import E, Spec, docker_archive, layer_tar, oci_archive, sha256
from tests.test_image_reader import _Pipe

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def quiet_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Empty TMPDIR and working folder that must still be empty afterwards."""
    scratch = tmp_path / "scratch"
    work = tmp_path / "work"
    scratch.mkdir()
    work.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(work)
    yield tmp_path
    assert list(scratch.iterdir()) == [] and list(work.iterdir()) == []


def _stream(data: bytes, **options: object) -> list[Finding]:
    lint = lint_image("-", Config(select=("IM213",)), stdin=_Pipe(data), **options)  # type: ignore[arg-type]
    return lint.results[0].findings


def _unsafe(data: bytes, **options: object) -> list[tuple[str | None, str]]:
    return [(f.image_path, f.message) for f in _stream(data, **options)]


def test_absolute_and_dot_dot_names(quiet_disk: Path) -> None:
    data = docker_archive(Spec(layers=[[E("/etc/cron.d/evil", "x"), E("../../../tmp/outside", "x"), E("a/b/../../c", "x")]]))
    found = _unsafe(data)
    assert found[0][0] == "/etc/cron.d/evil"
    assert found[0][1].startswith("member name `/etc/cron.d/evil` is an absolute path (applied as `/etc/cron.d/evil`); ")
    assert found[1][0] == "../../../tmp/outside" and "climbs out of the image root" in found[1][1]
    assert found[2][0] == "/c" and "uses `..`" in found[2][1]
    image = load_image("-", stdin=_Pipe(data))
    assert "/tmp/outside" not in image.files and "/etc/cron.d/evil" in image.files


def test_links_out_of_the_root_and_in_loops(quiet_disk: Path) -> None:
    layer = [
        E("app/escape", kind="symlink", link="../../../../etc/shadow"),
        E("app/inside", kind="symlink", link="../etc/hostname"),
        E("app/hard", kind="hardlink", link="../../etc/passwd"),
        E("app/dangling", kind="hardlink", link="app/nothing"),
        E("loop/a", kind="symlink", link="b"),
        E("loop/b", kind="symlink", link="a"),
        E("loop/self", kind="hardlink", link="loop/self"),
    ]
    found = dict(_unsafe(docker_archive(Spec(layers=[layer]))))
    assert "symbolic link `/app/escape` points outside the image root" in found["/app/escape"]
    assert "hard link `/app/hard` points outside the image root" in found["/app/hard"]
    assert "`app/nothing`" not in found and "which no layer holds" in found["/app/dangling"]
    assert "which no layer holds" in found["/loop/self"]
    assert "never resolves" in found["/loop/a"] and "never resolves" in found["/loop/b"]
    assert "/app/inside" not in found


def test_device_nodes_and_fifos(quiet_disk: Path) -> None:
    data = oci_archive(Spec(layers=[[E("dev/mem", kind="char"), E("dev/sda", kind="block"), E("run/ctl", kind="fifo")]]))
    found = _unsafe(data)
    assert [path for path, _ in found] == ["/dev/mem", "/dev/sda", "/run/ctl"]
    assert "character device node" in found[0][1] and "named pipe" in found[2][1]


def _lying_layer(declared: int) -> bytes:
    """A layer tar whose one member declares `declared` bytes but 100 follow, then the end."""
    info = tarfile.TarInfo("data/big.bin")
    info.size = declared
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    return header + bytes(100)


def test_member_larger_than_the_layer(quiet_disk: Path) -> None:
    for data in (docker_archive(Spec(layers=[_lying_layer(10 << 30)])), oci_archive(Spec(layers=[_lying_layer(10 << 30)]))):
        found = _unsafe(data)
        assert any("`data/big.bin` declares 10737418240 bytes but the layer ends after 100" in m for _, m in found), found


def test_outer_member_past_the_end(tmp_path: Path) -> None:
    data = bytearray(docker_archive(Spec(layers=[[E("a", "x")]])))
    info = tarfile.TarInfo.frombuf(bytes(data[:512]), "utf-8", "surrogateescape")
    info.size = 1 << 40
    data[:512] = info.tobuf(format=tarfile.GNU_FORMAT)[:512]
    path = tmp_path / "image.tar"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="runs past the end of the archive"):
        load_image(str(path))


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95, 0.999])
def test_truncated_archives(quiet_disk: Path, tmp_path: Path, cut: float) -> None:
    for data in (docker_archive(Spec(layers=[[E("a", size=5000)], [E("b", size=7000)]])), oci_archive(Spec(layers=[[E("a", size=9000)]]))):
        content = len(data.rstrip(b"\0"))  # tar pads the end with zero blocks; cut into the members
        short = data[: int(content * cut)]
        with pytest.raises(InputError, match="truncated|missing|damaged|not an image archive"):
            load_image("-", stdin=_Pipe(short))
        path = tmp_path / "short.tar"
        path.write_bytes(short)
        with pytest.raises(InputError, match="truncated|missing|damaged|not an image archive"):
            load_image(str(path))
        path.unlink()


def test_truncated_layer_blob_with_intact_index(quiet_disk: Path) -> None:
    tar = layer_tar([E("data/file", os.urandom(20000))])
    stored = zlib.compressobj(6, zlib.DEFLATED, 31)
    blob = stored.compress(tar) + stored.flush()
    data = _oci_with_layer_bytes(tar, blob, blob[: len(blob) // 2])
    found = _unsafe(data)
    messages = " | ".join(m for _, m in found)
    assert "the gzip stream ends early" in messages
    assert "hashes to" in messages and "its descriptor says" in messages


def _oci_with_layer_bytes(tar: bytes, declared: bytes, actual: bytes) -> bytes:
    """An oci-archive whose manifest describes `declared` but whose blob holds `actual`."""
    config = json.dumps(Spec(layers=[tar]).config([tar])).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(declared), "size": len(declared)}],
    }).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256(manifest), "size": len(manifest)}]}).encode()
    return _outer([
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
        (f"blobs/sha256/{sha256(config)[7:]}", config),
        (f"blobs/sha256/{sha256(manifest)[7:]}", manifest),
        (f"blobs/sha256/{sha256(declared)[7:]}", actual),
        ("index.json", index),
    ])


def _outer(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _bomb_layer(size: int, how: str) -> bytes:
    """A gzip or zstd layer holding one file of `size` zero bytes, compressed as it is built."""
    info = tarfile.TarInfo("bomb.bin")
    info.size = size
    head = info.tobuf(format=tarfile.GNU_FORMAT)
    chunk = bytes(1 << 20)
    if how == "zstd":
        import zstandard

        compressor = zstandard.ZstdCompressor(level=1).compressobj()
        parts = [compressor.compress(head)]
        for _ in range(size >> 20):
            parts.append(compressor.compress(chunk))
        parts.append(compressor.compress(bytes(1024)))
        parts.append(compressor.flush())
        return b"".join(parts)
    deflate = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [deflate.compress(head)]
    for _ in range(size >> 20):
        parts.append(deflate.compress(chunk))
    parts.append(deflate.compress(bytes(1024)))
    parts.append(deflate.flush())
    return b"".join(parts)


@pytest.mark.parametrize("how", ["gzip", "zstd"])
def test_decompression_bomb_stops_at_the_cap(quiet_disk: Path, how: str) -> None:
    blob = _bomb_layer(256 << 20, how)
    assert len(blob) < 2 << 20
    data = _oci_with_layer_bytes(b"", blob, blob) if how == "gzip" else _zstd_oci(blob)
    tracemalloc.start()
    started = time.perf_counter()
    found = _unsafe(data, max_decompressed=32 << 20)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert any("decompressed layers exceed 32.0 MiB (`--max-decompressed`)" in m for _, m in found), found
    assert seconds < 10
    assert peak < 40 << 20


def _zstd_oci(blob: bytes) -> bytes:
    data = _oci_with_layer_bytes(b"", blob, blob)
    return data.replace(b"tar+gzip", b"tar+zstd")


def test_ratio_guard_without_a_cap(quiet_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docklint.model.imagefs import stream

    monkeypatch.setattr(stream, "RATIO_CHECK_AFTER", 8 << 20)
    blob = _bomb_layer(64 << 20, "zstd")
    found = _unsafe(_zstd_oci(blob))
    assert any("a decompression bomb" in m for _, m in found), found
    # a cap the user chose replaces the ratio guard
    found = _unsafe(_zstd_oci(blob), max_decompressed=1 << 30)
    assert not any("decompress" in m for _, m in found), found


def test_zstd_window_too_large(quiet_disk: Path) -> None:
    import zstandard

    params = zstandard.ZstdCompressionParameters.from_level(1, window_log=28, write_content_size=False)
    stream = zstandard.ZstdCompressor(compression_params=params).compressobj()
    blob = stream.compress(layer_tar([E("a", "x")])) + stream.flush()  # no size known: the 256 MiB window stays
    found = _unsafe(_zstd_oci(blob))
    assert any("needs a window above 32.0 MiB" in m for _, m in found), found


def test_manifest_naming_a_missing_blob(quiet_disk: Path) -> None:
    tar = layer_tar([E("a", "x")])
    data = _oci_with_layer_bytes(tar, b"\x1f\x8b" + b"other", b"\x1f\x8b" + b"other")
    members = [(name, blob) for name, blob in _members(data) if not name.endswith(sha256(b"\x1f\x8b" + b"other")[7:])]
    with pytest.raises(InputError, match=r"layer blob `sha256:[0-9a-f]{64}` is missing from the archive"):
        load_image("-", stdin=_Pipe(_outer(members)))
    spec = Spec(layers=[[E("a", "x")]])
    docker = [(name, blob) for name, blob in _members(docker_archive(spec)) if not name.endswith(".tar")]
    with pytest.raises(InputError, match=r"layer blob `[0-9a-f]{64}\.tar` is missing"):
        load_image("-", stdin=_Pipe(_outer(docker)))


def _members(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]  # type: ignore[union-attr]


def test_digest_mismatch_is_a_finding(quiet_disk: Path) -> None:
    spec = Spec(layers=[[E("etc/motd", "hello, world\n")]])
    members = _members(docker_archive(spec))
    altered = [(name, blob.replace(b"hello, world", b"HELLO, WORLD") if name.endswith(".tar") else blob) for name, blob in members]
    found = _unsafe(_outer(altered))
    assert len(found) == 1 and found[0][0] is None
    assert "layer 0 unpacks to `sha256:" in found[0][1] and "but the config's diff_id is" in found[0][1]
    blobs = _members(oci_archive(spec, compression=None))
    layer_name = next(name for name, blob in blobs if b"hello, world" in blob)
    altered = [(n, b.replace(b"hello, world", b"HELLO, WORLD") if n == layer_name else b) for n, b in blobs]
    messages = " | ".join(m for _, m in _unsafe(_outer(altered)))
    assert "layer blob `sha256:" in messages and "it was altered or damaged" in messages


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(b"{not json", "is not valid JSON", id="malformed"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "is not valid JSON", id="deeply-nested"),
        pytest.param(b'{"manifests": "nope"}', "has no `manifests` list", id="wrong-shape"),
        pytest.param(b'{"manifests": [{"digest": "sha256:../../etc/passwd"}]}', "invalid digest", id="digest-path"),
        pytest.param(b" " * (17 << 20) + b"{}", "too large to be real", id="huge"),
    ],
)
def test_malformed_or_huge_json(quiet_disk: Path, tmp_path: Path, document: bytes, message: str) -> None:
    data = _outer([("oci-layout", b"{}"), ("index.json", document)])
    with pytest.raises(InputError, match=message):
        load_image("-", stdin=_Pipe(data))
    path = tmp_path / "bad.tar"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message):
        load_image(str(path))


def test_manifest_json_malformed(quiet_disk: Path) -> None:
    with pytest.raises(InputError, match="`manifest.json` lists no images"):
        load_image("-", stdin=_Pipe(_outer([("manifest.json", b"[]")])))
    with pytest.raises(InputError, match="has no `Layers` list"):
        load_image("-", stdin=_Pipe(_outer([("manifest.json", b'[{"Config": "c.json", "Layers": 3}]')])))


def test_not_an_archive(quiet_disk: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just text\n" * 100)
    with pytest.raises(InputError, match="not a readable tar archive|not an image archive"):
        load_image(str(path))
    with pytest.raises(InputError, match="no such file"):
        load_image(str(tmp_path / "missing.tar"))


MEMBERS = 200_000  # a million takes ~20 s here; the time per member is what must stay flat


def _many_members_layer(count: int) -> bytes:
    """A layer of `count` empty files, headers written directly (tarfile would take longer)."""
    template = bytearray(tarfile.TarInfo("x").tobuf(format=tarfile.USTAR_FORMAT))
    out = bytearray()
    for number in range(count):
        block = bytearray(template)
        name = f"d{number // 1000:04d}/f{number:07d}".encode()
        block[0:100] = name.ljust(100, b"\0")
        block[148:156] = b" " * 8
        block[148:156] = b"%06o\0 " % sum(block)
        out += block
    return bytes(out) + bytes(1024)


def test_many_tiny_members_in_linear_time(quiet_disk: Path) -> None:
    small, large = _many_members_layer(MEMBERS // 4), _many_members_layer(MEMBERS)
    times = []
    for layer in (small, large):
        data = docker_archive(Spec(layers=[layer]))
        started = time.perf_counter()
        image = load_image("-", LoadOptions(secrets=False), stdin=_Pipe(data))
        times.append(time.perf_counter() - started)
        assert image.problems == ()
    assert len(image.files) == MEMBERS
    assert times[1] < 20
    assert times[1] / times[0] < 8  # 4x the members: linear, not quadratic (with slack for a busy machine)


def test_outer_archive_with_too_many_members(quiet_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docklint.model.imagefs import archive, streamstore

    monkeypatch.setattr(archive, "MAX_OUTER_MEMBERS", 50)
    monkeypatch.setattr(streamstore, "MAX_OUTER_MEMBERS", 50)
    data = _outer([(f"junk/{n}", b"x") for n in range(60)] + [("manifest.json", b"[]")])
    with pytest.raises(InputError, match="more than 50 members"):
        load_image("-", stdin=_Pipe(data))
    path = quiet_disk / "many.tar"
    path.write_bytes(data)
    with pytest.raises(InputError, match="more than 50 members"):
        load_image(str(path))


def test_header_checksum_damage(quiet_disk: Path) -> None:
    tar = bytearray(layer_tar([E("a", "x"), E("b", "y")]))
    tar[1024 + 100] ^= 0xFF  # the second member's mode field
    found = _unsafe(docker_archive(Spec(layers=[bytes(tar)])))
    assert any("bad checksum" in m for _, m in found)


def test_struct_sanity() -> None:
    """The lean tar reader reads what tarfile writes, in every format."""
    from docklint.model.imagefs.layer import ScanOptions, scan_layer
    from docklint.model.imagefs.stream import Budget

    long_name = "deep/" * 40 + "file.txt"
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
            for name in ("short.txt", "x" * 99 + "/y" if fmt != tarfile.USTAR_FORMAT else "u/" * 60 + "z", long_name if fmt != tarfile.USTAR_FORMAT else "v.txt"):
                info = tarfile.TarInfo(name)
                info.size = 3
                info.uid = 3_000_000 if fmt != tarfile.USTAR_FORMAT else 7
                tar.addfile(info, io.BytesIO(b"abc"))
        scan = scan_layer(io.BytesIO(out.getvalue()), None, ScanOptions(Budget(1 << 30)))
        assert scan.problems == [] and len(scan.entries) == 3
        names = [entry.path for entry in scan.entries]
        assert names[0] == "/short.txt"
        if fmt != tarfile.USTAR_FORMAT:
            assert names[2] == "/" + long_name and scan.entries[2].uid == 3_000_000
    assert struct.calcsize("<I") == 4

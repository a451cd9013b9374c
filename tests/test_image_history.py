"""History replay (H-scope rules on `created_by`) and `--dockerfile` mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from docklint.config import Config
from docklint.image_engine import history_dockerfile, lint_image, map_history
from docklint.model.dockerfile import parse
from docklint.model.image import load_image
from docklint.model.imagefs.history import replay
from tests.conftest import IMAGES
from tests.image.build import E, Spec, docker_archive, write

CONTAINERFILES = IMAGES / "containerfiles"


@pytest.mark.parametrize(
    ("created_by", "line", "build_args"),
    [
        ("/bin/sh -c #(nop) ENV A=1 B=two", "ENV A=1 B=two", ()),
        ("/bin/sh -c apt-get update && apt-get install -y curl", "RUN apt-get update && apt-get install -y curl", ()),
        ("|2 A=1 TOKEN=x /bin/sh -c make", "RUN make", (("A", "1"), ("TOKEN", "x"))),
        ("RUN /bin/sh -c apk add curl # buildkit", "RUN apk add curl", ()),
        ("RUN |1 NPM=abc /bin/sh -c npm ci # buildkit", "RUN npm ci", (("NPM", "abc"),)),
        ("COPY app/ /app/ # buildkit", "COPY app/ /app/", ()),
        ("/bin/sh -c #(nop) COPY dir:" + "a" * 64 + " in /app/ ", "COPY dir-aaaaaaaaaaaa/ /app/", ()),
        ("/bin/sh -c #(nop) ADD file:" + "b" * 64 + " in / ", "ADD " + "b" * 64 + ".tar /", ()),
        ("EXPOSE map[443/tcp:{} 80/tcp:{}]", "EXPOSE 443/tcp 80/tcp", ()),
        ("/bin/sh -c #(nop) VOLUME [/data /cache]", "VOLUME /data /cache", ()),
        ('HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "30s" "3s" "0s" "0s" \'\\x03\'}',
         "HEALTHCHECK CMD curl -f http://localhost/ || exit 1", ()),
        ('/bin/sh -c #(nop)  CMD ["/bin/sh"]', 'CMD ["/bin/sh"]', ()),
        ("cmd /S /C #(nop) WORKDIR C:\\app", "WORKDIR C:\\app", ()),
        ("apt-get install -y curl", "RUN apt-get install -y curl", ()),
        ("USER 10001", "USER 10001", ()),
    ],
)
def test_replay_forms(created_by: str, line: str, build_args: tuple[tuple[str, str], ...]) -> None:
    step = replay(created_by)
    assert step is not None and step.line == line and step.build_args == build_args


@pytest.mark.parametrize("created_by", ["", "   ", "/bin/sh -c #(nop) ", "/bin/sh -c #(nop) # just a comment"])
def test_replay_of_nothing(created_by: str) -> None:
    assert replay(created_by) is None


def _history_image(tmp_path: Path, steps: list[str]) -> str:
    history = [{"created_by": step, **({} if step.startswith(("RUN", "/bin/sh -c apk", "/bin/sh -c sudo", "ADD", "/bin/sh -c #(nop) ADD")) else {"empty_layer": True})} for step in steps]
    layers = [[E(f"layer{n}", "x")] for n, h in enumerate(history) if not h.get("empty_layer")]
    return write(tmp_path / "image.tar", docker_archive(Spec(layers=layers, history=history, user="10001")))


def test_history_rules_report_at_their_entry(tmp_path: Path) -> None:
    source = _history_image(tmp_path, [
        "/bin/sh -c #(nop) ADD file:" + "c" * 64 + " in / ",
        "/bin/sh -c #(nop) ENV PATH=/usr/bin",
        "/bin/sh -c sudo apt-get install -y curl",
        "RUN /bin/sh -c apk add --no-cache ca-certificates && apk add git # buildkit",
        "/bin/sh -c #(nop) ADD dir:" + "d" * 64 + " in /srv/ ",
    ])
    findings = lint_image(source, Config(select=("DL3004", "DL3019", "DL3020"))).results[0].findings
    placed = [(f.code, f.history_index, f.layer.index if f.layer else None) for f in findings]
    assert placed == [("DL3004", 2, 1), ("DL3019", 3, 2), ("DL3020", 4, 3)]  # ADD of a context archive is not DL3020's
    assert all(f.range.start.line == 0 and f.fix is None for f in findings)


def test_history_dockerfile_keeps_multiline_runs(tmp_path: Path) -> None:
    source = _history_image(tmp_path, ["RUN /bin/sh -c set -e\necho one\necho two # buildkit", "USER 1000"])
    text, owners = history_dockerfile(load_image(source))
    assert text.splitlines()[1].startswith("RUN <<'DLINT_HISTORY_EOF'")
    assert set(owners.values()) == {0, 1} and owners[len(text.splitlines()) - 1] == 1
    assert parse(text).problems == []


def test_dockerfile_mapping_of_the_fixture() -> None:
    image = load_image(str(IMAGES / "root-and-ports.docker.tar"))
    df = parse((CONTAINERFILES / "root-and-ports.Containerfile").read_text())
    mapping = map_history(image, df)
    assert {index: inst.range.start.line + 1 for index, inst in mapping.items()} == {2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7}


def test_dockerfile_mapping_in_findings() -> None:
    path = str(CONTAINERFILES / "waste.Containerfile")
    lint = lint_image(str(IMAGES / "waste.docker.tar"), Config(), dockerfile=path)
    image_result = next(r for r in lint.results if r.path.endswith(".tar"))
    assert lint.image.base_source == "dockerfile" and lint.image.base_layers == 1
    lines = {(f.code, f.image_path): f.dockerfile_range.start.line + 1 for f in image_result.findings if f.dockerfile_range}  # type: ignore[union-attr]
    assert lines[("IM304", "/opt/data/blob.bin")] == 2
    assert lines[("IM304", "/usr/local/bin/pingx")] == 12  # COPY bin/ stored the copy that chmod replaced
    assert lines[("IM204", "/usr/local/bin/pingx")] == 13
    assert lines[("IM209", "/var/lib/apt/lists")] == 4
    assert all(f.dockerfile_path == path for f in image_result.findings if f.dockerfile_range)
    assert any(r.path == path for r in lint.results)  # the Dockerfile itself is linted too


def test_replayed_findings_the_dockerfile_reports_are_dropped() -> None:
    path = str(CONTAINERFILES / "root-and-ports.Containerfile")
    lint = lint_image(str(IMAGES / "root-and-ports.docker.tar"), Config(), dockerfile=path)
    image_codes = [f.code for r in lint.results if r.path.endswith(".tar") for f in r.findings]
    dockerfile_codes = [f.code for r in lint.results if r.path == path for f in r.findings]
    assert "DF102" in dockerfile_codes and "DF102" not in image_codes
    assert image_codes.count("IM103") == 3 and "IM104" in image_codes


def test_multi_stage_mapping_follows_the_final_stage(tmp_path: Path) -> None:
    dockerfile = (
        "FROM golang:1.22 AS build\nRUN go build -o /out/app ./cmd/app\n"
        "FROM alpine:3.20 AS base\nRUN apk add --no-cache ca-certificates\n"
        "FROM base\nCOPY --from=build /out/app /usr/local/bin/app\nUSER 10001\n"
    )
    history = [
        {"created_by": "/bin/sh -c #(nop) ADD file:" + "e" * 64 + " in / "},
        {"created_by": '/bin/sh -c #(nop)  CMD ["/bin/sh"]', "empty_layer": True},
        {"created_by": "RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit"},
        {"created_by": "COPY /out/app /usr/local/bin/app # buildkit"},
        {"created_by": "USER 10001", "empty_layer": True},
    ]
    layers = [[E("base", "x")], [E("etc/ssl/certs/ca.pem", "x")], [E("usr/local/bin/app", "x")]]
    image = load_image(write(tmp_path / "app.tar", docker_archive(Spec(layers=layers, history=history))))
    mapping = map_history(image, parse(dockerfile))
    assert {index: inst.range.start.line + 1 for index, inst in mapping.items()} == {2: 4, 3: 6, 4: 7}

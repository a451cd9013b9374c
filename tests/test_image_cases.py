"""Image rule cases: every `image:` case of `tests/rules/cases/*.yaml` runs its one rule.

`image:` is either `{fixture: NAME}` (an archive or OCI folder under `shared/images`) or an
inline image the builder in `tests/image/build.py` writes to a temporary file:

    image:
      format: docker            # docker (default), oci (oci-archive) or oci-dir
      compression: gzip         # for OCI: gzip (default), zstd or none
      user: "0"                 # config fields: user, env, exposed_ports, volumes, labels,
      exposed_ports: [22/tcp]   #   cmd, entrypoint, healthcheck, history, tags
      layers:                   # one list of entries per layer:
        - - {path: etc/shadow, data: "root::19000:0:99999:7:::\\n", mode: "0640"}
          - {path: tmp/x, kind: whiteout}       # kinds as in build.E
      artifacts: [signature]    # OCI index extras: signature, attestation

`expect` lists the rule's findings in order; each entry may check `path` (the file inside the
image, null for none), `layer` (index, null for none), `history` (entry index) and `message`
(a substring). Only the rule under test runs, even when it is opt-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from docklint.config import Config
from docklint.config_files import config_from_mapping
from docklint.image_engine import lint_image
from docklint.registry import registry
from tests.conftest import IMAGES
from tests.image.build import Spec, docker_archive, entry, oci_archive, oci_layout, write

CASES = Path(__file__).parent / "rules" / "cases"
COSIGN_SIGNATURE = {
    "descriptor": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "annotations": {"org.opencontainers.image.ref.name": "sha256-" + "ab" * 32 + ".sig"},
    },
    "manifest": {
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "0" * 64, "size": 2},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": "sha256:" + "1" * 64, "size": 3}],
    },
}
BUILDKIT_ATTESTATION = {
    "descriptor": {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": "sha256:" + "cd" * 32},
        "platform": {"os": "unknown", "architecture": "unknown"},
    },
    "manifest": {
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "2" * 64, "size": 2},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": "sha256:" + "3" * 64, "size": 4,
                    "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
    },
}
ARTIFACTS = {"signature": COSIGN_SIGNATURE, "attestation": BUILDKIT_ATTESTATION}
SPEC_FIELDS = ("user", "env", "exposed_ports", "volumes", "labels", "cmd", "entrypoint", "healthcheck", "history", "tags", "os", "architecture", "variant")


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            if "image" not in case:
                continue
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
            params.append(pytest.param(data["rule"], case, id=f"{data['rule']}::{case['name']}", marks=marks))
    return params


def build_image(spec: dict[str, Any], folder: Path) -> str:
    """The archive (or OCI folder) an `image:` mapping describes, written under `folder`."""
    if "fixture" in spec:
        return str(IMAGES / spec["fixture"])
    layers = [[entry(item) for item in layer or []] for layer in spec.get("layers") or [[]]]
    image = Spec(layers=layers, **{key: spec[key] for key in SPEC_FIELDS if key in spec})
    form = spec.get("format", "oci" if spec.get("artifacts") else "docker")
    compression = spec.get("compression", "gzip")
    compression = None if compression == "none" else compression
    extras = [ARTIFACTS[name] for name in spec.get("artifacts") or []]
    if form == "docker":
        return write(folder / "image.tar", docker_archive(image))
    if form == "oci-dir":
        return str(oci_layout(folder / "layout", image, compression=compression, extra_manifests=extras))
    return write(folder / "image.tar", oci_archive(image, compression=compression, extra_manifests=extras))


def _config(case: dict[str, Any], code: str) -> Config:
    config = config_from_mapping(dict(case.get("config") or {}), source=f"case {case['name']}")
    return Config(**{**config.__dict__, "extend_select": (*config.extend_select, code)})


@pytest.mark.parametrize(("code", "case"), _load())
def test_image_case(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    rule = registry().by_code[code]
    source = build_image(case["image"], tmp_path)
    lint = lint_image(source, _config(case, code), rules=[rule])
    got = [f for f in lint.results[0].findings if f.code == code]
    expected = case["expect"]
    assert len(got) == len(expected), [f"{f.image_path} layer {f.layer}: {f.message}" for f in got]
    for finding, want in zip(got, expected):
        if "path" in want:
            assert finding.image_path == want["path"], finding.message
        if "layer" in want:
            assert (finding.layer.index if finding.layer else None) == want["layer"], finding.message
        if "history" in want:
            assert finding.history_index == want["history"], finding.message
        if "message" in want:
            assert want["message"] in finding.message
        assert finding.fix is None


def test_every_image_rule_has_image_cases() -> None:
    for rule in registry().of_kind("image"):
        data = yaml.safe_load((CASES / f"{rule.code}.yaml").read_text(encoding="utf-8"))
        cases = [c for c in data["cases"] if "image" in c]
        assert any(c["expect"] for c in cases) and any(not c["expect"] for c in cases), rule.code


def test_glob_matcher() -> None:
    from docklint.rules.image_common import glob_matcher

    matches = glob_matcher(("/usr/share/doc/**", "**/site-packages/**/tests/**", "*.key", "id_rsa", "/usr/lib/python3*/test/**"))
    for path, expected in [
        ("/usr/share/doc/x/y", True), ("/usr/share/doc", True), ("/usr/share/docs", False),
        ("/usr/lib/site-packages/a/b/tests/x.py", True), ("/a/site-packages/tests", True), ("/a/site-packages/testsuite", False),
        ("/etc/ssl/server.key", True), ("/etc/ssl/server.keys", False), ("/root/.ssh/id_rsa", True), ("/root/.ssh/id_rsa.pub", False),
        ("/usr/lib/python3.12/test/a.py", True), ("/usr/lib/python3.12/tests", False), ("/", False),
    ]:
        assert matches(path) == expected, path

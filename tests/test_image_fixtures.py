"""The planted problems of `shared/images` (see its README), found in every archive form.

Each expectation is `(code, image path, layer)`; `None` where a finding has no file or layer.
`clean` must give nothing but IM107: the fixtures are tagged `latest`, which IM107 reports as the
catalogue defines it. IM findings must match exactly; Dockerfile rules replayed on the history
(more are being written) must sit at a history entry, and the ones listed must be among them.
"""

from __future__ import annotations

from collections import Counter

import pytest

from docklint.config import Config
from docklint.image_engine import lint_image
from docklint.rule import Finding
from tests.conftest import IMAGES
from tests.test_image_reader import FORMS

Expect = tuple[str, str | None, int | None]

PLANTED: dict[str, list[Expect]] = {
    "clean": [("IM107", None, None)],
    "root-and-ports": [
        ("IM101", None, None),
        ("IM103", None, None),  # AWS_ACCESS_KEY_ID
        ("IM103", None, None),  # AWS_SECRET_ACCESS_KEY
        ("IM103", None, None),  # DB_PASSWORD
        ("IM104", None, 1),  # GITHUB_TOKEN build argument, history entry 4
        ("IM106", None, None),  # 22/tcp
        ("IM107", None, None),
    ],
    "secrets-in-files": [
        ("IM101", None, None),
        ("IM107", None, None),
        ("IM201", "/app/.env", 2),
        ("IM201", "/app/.npmrc", 2),
        ("IM201", "/etc/ssl/private/server.key", 2),
        ("IM201", "/root/.aws/credentials", 2),
        ("IM201", "/root/.ssh/id_rsa", 2),
        ("IM202", "/app/.env", 2),  # password in DATABASE_URL
        ("IM202", "/app/.env", 2),  # STRIPE_SECRET_KEY
        ("IM202", "/app/.git/config", 2),  # ci-bot:ghp_...@ remote
        ("IM202", "/app/.npmrc", 2),
        ("IM202", "/etc/ssl/private/server.key", 2),
        ("IM202", "/root/.aws/credentials", 2),  # access key id
        ("IM202", "/root/.aws/credentials", 2),  # secret access key
        ("IM202", "/root/.ssh/id_rsa", 2),
        ("IM203", "/build/build.env", 2),
        ("IM203", "/build/deploy_key", 2),
        ("IM208", "/app/.git", 2),
        ("IM208", "/root/.aws", 2),
    ],
    "waste": [
        ("IM107", None, None),
        ("IM204", "/usr/local/bin/mailq-helper", 6),
        ("IM204", "/usr/local/bin/pingx", 6),
        ("IM205", "/etc/app.conf", 6),
        ("IM205", "/srv/shared", 6),
        ("IM208", "/root/.cache", 3),
        ("IM209", "/var/lib/apt/lists", 3),
        ("IM209", "/var/cache/apt", 3),
        ("IM209", "/root/.cache/pip", 3),
        ("IM301", None, None),
        ("IM303", None, None),
        ("IM304", "/opt/data/blob.bin", 1),
        ("IM304", "/opt/data/model.bin", 1),
        ("IM304", "/var/cache/apk/APKINDEX.5022a8a2.tar.gz", 3),
        ("IM304", "/usr/local/bin/mailq-helper", 5),
        ("IM304", "/usr/local/bin/pingx", 5),
    ],
}
# Replayed history findings that must be there (at least): (code, history entry).
REPLAYED: dict[str, list[tuple[str, int]]] = {
    "root-and-ports": [("DF102", 5), ("DF102", 5), ("DF102", 5)],  # the ENV step's three secret values
    "waste": [],
    "secrets-in-files": [],
    "clean": [],
}
PARAMS = [pytest.param(name, form, id=form) for name, forms in FORMS.items() for form in forms]


def _key(finding: Finding) -> Expect:
    return (finding.code, finding.image_path, finding.layer.index if finding.layer else None)


@pytest.mark.parametrize(("name", "form"), PARAMS)
def test_planted_findings(name: str, form: str) -> None:
    lint = lint_image(str(IMAGES / form), Config())
    findings = lint.results[0].findings
    assert not [f for f in findings if f.code == "DF000"], [f.message for f in findings if f.code == "DF000"]
    assert Counter(_key(f) for f in findings if f.code.startswith("IM")) == Counter(PLANTED[name])
    replayed = [f for f in findings if not f.code.startswith("IM")]
    assert all(f.history_index is not None and f.image_path is None for f in replayed)
    assert not Counter(REPLAYED[name]) - Counter((f.code, f.history_index) for f in replayed)
    if name == "clean":
        assert replayed == []


def test_history_findings_point_at_their_entry() -> None:
    lint = lint_image(str(IMAGES / "root-and-ports.docker.tar"), Config())
    by_code = {}
    for finding in lint.results[0].findings:
        by_code.setdefault(finding.code, []).append(finding)
    assert [f.history_index for f in by_code["IM104"]] == [4]
    assert {f.history_index for f in by_code["DF102"]} == {5}
    assert {f.history_index for f in by_code["IM103"]} == {5}  # the ENV step that set them
    assert [f.history_index for f in by_code["IM106"]] == [6]
    assert "GitHub token `ghp_…`" in by_code["IM104"][0].message
    assert all(f.fix is None for f in by_code["DF102"])


def test_deleted_secret_names_its_layers() -> None:
    lint = lint_image(str(IMAGES / "secrets-in-files.docker.tar"), Config())
    messages = {f.image_path: f.message for f in lint.results[0].findings if f.code == "IM203"}
    assert "added in layer 2 and deleted with its folder in layer 3" in messages["/build/deploy_key"]
    assert "Slack token `xoxb…`" in messages["/build/build.env"]


def test_ignore_and_select_apply_to_image_rules() -> None:
    form = str(IMAGES / "waste.docker.tar")
    ignored = lint_image(form, Config(ignore=("IM3", "image-reference-latest"))).results[0].findings
    assert not [f for f in ignored if f.code.startswith("IM3") or f.code == "IM107"]
    selected = lint_image(form, Config(select=("IM204",))).results[0].findings
    assert {f.code for f in selected} == {"IM204"}


def test_thresholds_are_rule_options() -> None:
    form = str(IMAGES / "waste.docker.tar")
    config = Config(rule_options={"IM301": {"min-efficiency": 0.3}, "IM304": {"min-size": 100_000}, "IM209": {"min-size": 100_000}})
    findings = lint_image(form, config).results[0].findings
    assert not [f for f in findings if f.code == "IM301"]
    assert {f.image_path for f in findings if f.code == "IM304"} == {"/opt/data/blob.bin", "/opt/data/model.bin"}
    assert {f.image_path for f in findings if f.code == "IM209"} == {"/var/lib/apt/lists"}


def test_allow_lists_are_rule_options() -> None:
    form = str(IMAGES / "waste.docker.tar")
    config = Config(rule_options={"IM204": {"allow": ["/usr/local/bin/pingx"]}, "IM205": {"allow": ["/srv/**"]}})
    findings = lint_image(form, config).results[0].findings
    assert {f.image_path for f in findings if f.code == "IM204"} == {"/usr/local/bin/mailq-helper"}
    assert {f.image_path for f in findings if f.code == "IM205"} == {"/etc/app.conf"}
    secrets = str(IMAGES / "secrets-in-files.docker.tar")
    config = Config(rule_options={"IM202": {"allow-paths": ["/root/**", "**/.git/**"]}, "IM201": {"allow-paths": ["*.key"]}})
    findings = lint_image(secrets, config).results[0].findings
    assert {f.image_path for f in findings if f.code == "IM202"} == {"/app/.env", "/app/.npmrc", "/etc/ssl/private/server.key"}
    assert "/etc/ssl/private/server.key" not in {f.image_path for f in findings if f.code == "IM201"}

"""The build-context resolver and `.dockerignore` matching."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docklint import context as context_module
from docklint.context import BuildContext
from docklint.dockerignore import Matcher, clean


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        ("*.md", "README.md", True),
        ("*.md", "docs/a.md", False),  # anchored at the root
        ("**/*.md", "docs/deep/a.md", True),
        ("**/*.md", "a.md", True),
        ("/build", "build/out/x", True),  # a parent folder matching ignores everything below
        ("build", "src/build", False),
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md\nREADME*", "README.md", True),  # the last match decides
        ("docs/**\n!docs/keep", "docs/keep", False),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "bx", False),
        ("\\*x", "*x", True),
        ("./src/../secret", "secret", True),
        ("# comment\n\n  .git  ", ".git/HEAD", True),
        ("[unterminated", "[unterminated", False),
    ],
)
def test_dockerignore_matching(patterns: str, path: str, ignored: bool) -> None:
    assert Matcher.from_text(patterns).matches(path) is ignored


def test_clean() -> None:
    assert clean("/a/./b/../c/") == "a/c"
    assert clean("../../etc/passwd") == "etc/passwd"  # never above the root
    assert clean("") == "."


def make(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)


def test_resolve_folder_respects_ignore_and_exclude(tmp_path: Path) -> None:
    make(tmp_path, {".dockerignore": "*.log\n", "a.txt": "", "b.log": "", "sub/c.txt": "", "sub/d.tmp": ""})
    context = BuildContext(tmp_path)
    copied = [e.path for e in context.resolve(".", excludes=["**/*.tmp"]).copied if not e.is_dir]
    assert copied == [".dockerignore", "a.txt", "sub/c.txt"]
    assert context.resolve("b.log").ignored
    assert not context.resolve("missing.txt").exists
    assert [e.path for e in context.glob("sub/*.txt")] == ["sub/c.txt"]


def test_symlinks_are_never_followed_out_of_the_context(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make(outside, {"id_rsa": "-----BEGIN RSA PRIVATE KEY-----\n"})
    root = tmp_path / "ctx"
    root.mkdir()
    os.symlink(outside, root / "linked")
    os.symlink(outside / "id_rsa", root / "key")
    context = BuildContext(root)
    assert context.read_text("key") is None
    assert context.read_text("linked/id_rsa") is None
    assert context.stat("linked/id_rsa") is None
    copied = context.resolve(".").copied
    assert {e.path for e in copied} == {"linked", "key"}
    assert all(e.is_link for e in copied)
    assert context.read_text("../outside/id_rsa") is None


def test_reads_and_walks_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, {"big.env": "x" * (context_module.MAX_READ + 1), **{f"d/f{i}": "" for i in range(50)}})
    context = BuildContext(tmp_path)
    assert context.read_text("big.env") is None
    monkeypatch.setattr(context, "_budget", 10)
    files, truncated = context.walk(".")
    assert truncated and len(files) <= 10


def test_dockerfile_specific_ignore_file_takes_precedence(tmp_path: Path) -> None:
    make(tmp_path, {".dockerignore": "a\n", "api.Dockerfile.dockerignore": "b\n"})
    assert BuildContext(tmp_path, "api.Dockerfile").ignore_file == "api.Dockerfile.dockerignore"
    assert BuildContext(tmp_path, "Dockerfile").ignore_file == ".dockerignore"


def test_a_context_reads_each_file_once_within_a_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "id_rsa").write_text("first")
    context = BuildContext(tmp_path)
    assert context.read_text("id_rsa") == "first"
    (tmp_path / "id_rsa").write_text("second")
    assert context.read_text("id_rsa") == "first"  # a context is one reading of the folder
    assert BuildContext(tmp_path).read_text("id_rsa") == "second"
    monkeypatch.setattr(context_module, "MAX_KEPT_TEXT", 3)
    small = BuildContext(tmp_path)
    assert small.read_text("id_rsa") == "second"
    (tmp_path / "id_rsa").write_text("third")
    assert small.read_text("id_rsa") == "third"  # too big to keep: read again

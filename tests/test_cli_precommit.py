"""The pre-commit hook, run by real pre-commit: `pre-commit try-repo` on a throwaway repository.

pre-commit builds its own environment for the hook (`pip install` of a clone of this repository's
committed tree), so this test takes a minute; it is skipped only where git is missing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.timeout(900)
def test_hook_fails_on_a_bad_dockerfile(tmp_path: Path) -> None:
    if importlib.util.find_spec("pre_commit") is None:  # in the test extras; install if missing
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pre-commit>=3"], check=True, timeout=600)
    repo = tmp_path / "project"
    (repo / "services").mkdir(parents=True)
    (repo / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nCMD [\"/bin/true\"]\n")
    (repo / "services" / "api.Dockerfile").write_text("FROM python:latest\nADD app.py /app.py\n")
    (repo / "README.md").write_text("FROM not-a-dockerfile\n")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "NO_COLOR": "1",
    }
    # A clone holds the committed tree only, as a user's pre-commit would fetch it (in a work
    # tree, other uncommitted edits would leak into pre-commit's shadow copy).
    hook_repo = tmp_path / "dlint"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(hook_repo)], check=True, timeout=120)
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "dlint", "--all-files", "--color", "never"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=840,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "dlint" in output and "Failed" in output, output
    assert "services/api.Dockerfile:1:6: DL3007" in output, output
    assert "services/api.Dockerfile:2:5: DL3020" in output, output
    assert "README.md" not in output.split("Failed", 1)[1], output

"""Planted secrets never appear in anything `dlint` prints, in any format or in `--debug` output.

The Dockerfile holds an AWS key pair, a GitHub token, a private key block and a password in a URL
(in ENV, ARG, RUN and a heredoc), and its build context holds a `.env` and a config file with
more. Every format is run through the real command; no output may contain more than four
characters of any secret.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FORMATS = ("tty", "json", "sarif", "checkstyle", "gitlab", "github", "junit")
FORMAT_MODULES = {"json": "json_"}

# Built from pieces so the file itself does not trip secret scanners as a real key would.
AWS_ID = "AKIA" + "Q3XWZ7R2KD5VN8TB"
AWS_SECRET = "Wq8vT2pLx9" + "Rk4mZ7nB1cY6hJ3sD5fG0aE8uI2oP"
GITHUB = "ghp_" + "Xq7Rv2LkP9wZ3mN8bT4yH6jD1sF5gK0cA2eU"
URL_PASSWORD = "Zx81kPq2vBnM"
KEY_BODY = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9OiZ1BjP5CEWmRr500PRKLh9x5eJPo5CAZ3ANBE0sTK0ZsDG"
CONTEXT_TOKEN = "ghp_" + "Mv3Qz8RtW1xY6kP2nL9bJ4hG7dS0fC5aE3uZ"
CONTEXT_PASSWORD = "Qh7vX2" + "mK9pLw4Tz"
ENV_SECRET = "sk_live_" + "51Hq8ZvT3xR7mW2kP9nY4bL6"

SECRETS = (AWS_ID, AWS_SECRET, GITHUB, URL_PASSWORD, KEY_BODY, CONTEXT_TOKEN, CONTEXT_PASSWORD, ENV_SECRET)

DOCKERFILE = f"""\
FROM python:3.12-slim
ARG DEPLOY_TOKEN={GITHUB}
ENV AWS_ACCESS_KEY_ID={AWS_ID} \\
    AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"
RUN pip install --index-url https://deploy:{URL_PASSWORD}@pypi.example.com/simple app
RUN <<EOF
mkdir -p /root/.ssh
cat > /root/.ssh/id_rsa <<KEY
-----BEGIN RSA PRIVATE KEY-----
{KEY_BODY}
{KEY_BODY}
-----END RSA PRIVATE KEY-----
KEY
EOF
COPY . /app
"""


def _module_present(fmt: str) -> bool:
    name = FORMAT_MODULES.get(fmt, fmt)
    return importlib.util.find_spec(f"docklint.formats.{name}") is not None


def _leaks(output: str) -> list[str]:
    """Secrets that show up with more than four of their characters."""
    leaked = []
    for secret in SECRETS:
        windows = {secret[i : i + 5] for i in range(len(secret) - 4)}
        if any(window in output for window in windows):
            leaked.append(secret[:4] + "…")
    return leaked


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (root / ".env").write_text(f"STRIPE_KEY={ENV_SECRET}\n", encoding="utf-8")
    (root / "settings.ini").write_text(f"[github]\ntoken = {CONTEXT_TOKEN}\npassword = {CONTEXT_PASSWORD}\n")
    (root / "app.py").write_text("print('hello')\n", encoding="utf-8")
    return root


def _dlint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [shutil.which("dlint") or "", *args] if shutil.which("dlint") else [sys.executable, "-m", "docklint", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_prints_a_secret(project: Path, fmt: str) -> None:
    if not _module_present(fmt):
        pytest.skip(f"format `{fmt}` is not written yet (docklint/formats/{FORMAT_MODULES.get(fmt, fmt)}.py missing)")
    result = _dlint("--format", fmt, "--no-color", "--select", "all", "Dockerfile", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    assert _leaks(result.stdout + result.stderr) == []
    # The run really found the planted secrets, so the check above is not vacuous.
    assert "DF102" in result.stdout and "DF105" in result.stdout


def test_debug_output_prints_no_secret(project: Path) -> None:
    result = _dlint("--debug", "--format", "json", "--select", "all", "Dockerfile", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    assert _leaks(result.stdout + result.stderr) == []
    assert "DF102" in result.stdout


def test_leak_check_itself_detects_a_leak() -> None:
    assert _leaks(f"found {GITHUB[:6]}") == [GITHUB[:4] + "…"]
    assert _leaks(f"found {GITHUB[:4]}…") == []

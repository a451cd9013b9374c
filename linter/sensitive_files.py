"""Files that hold credentials, recognised by name and, when the content is at hand, confirmed by
what is inside. Shared by the build-context rules and the image-file rules."""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sensitive:
    """What a sensitive file is and what to do about it."""

    what: str  # "SSH private key", "environment file", ...
    advice: str  # the fix, in a message clause
    ignore_entry: str  # the `.dockerignore` line that keeps it out of the context
    secret_mount: bool = True  # the file's purpose at build time is best served by a secret mount
    name_is_enough: bool = True  # False: the name alone is weak evidence; report only on content


_SSH = Sensitive(
    "SSH private key",
    "use `RUN --mount=type=ssh` for the steps that need it",
    "**/id_*",
)
PRIVATE_KEY = Sensitive(
    "private key or keystore",
    "mount it for the step that needs it with `RUN --mount=type=secret`",
    "**/*.key",
)
_ENV = Sensitive(
    "environment file",
    "pass settings at run time (`docker run --env-file`) instead",
    "**/.env*",
    secret_mount=False,
)
_CREDENTIALS = Sensitive(
    "credentials file",
    "mount it for the step that needs it with `RUN --mount=type=secret,target=...`",
    "",
)
_GIT = Sensitive(
    "Git repository",
    "keep history out of the image",
    ".git",
    secret_mount=False,
)
_SSH_DIR = Sensitive("SSH folder", "use `RUN --mount=type=ssh` for the steps that need a key", "**/.ssh")

_SSH_KEY_NAME = re.compile(r"^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?:[._-](?!pub$)[\w.-]*)?$")
# `.key` files that hold public material: repository signing keys, keyrings.
_PUBLIC_KEY_NAME = re.compile(r"pub|gpg|pgp|keyring|signing|release|archive|repo|\.asc")
_KEY_SUFFIXES = (".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".p8")
_ENV_SAFE = re.compile(r"^\.env\.(?:example|sample|template|dist|defaults?|tpl|schema|test)$", re.IGNORECASE)
_CREDENTIAL_NAMES = {
    ".npmrc": "npm",
    ".pypirc": "PyPI",
    ".netrc": "netrc",
    "_netrc": "netrc",
    ".git-credentials": "Git",
    ".yarnrc.yml": "Yarn",  # usually registry settings only: content decides
    "kubeconfig": "Kubernetes",
}


def classify_name(path: str, is_dir: bool = False) -> Sensitive | None:
    """What a file or folder is by its path alone (slash-separated), or None when unremarkable."""
    path = path.rstrip("/")
    name = posixpath.basename(path)
    lowered = name.lower()
    parent = posixpath.basename(posixpath.dirname(path)).lower()
    if is_dir or name in (".git", ".ssh", ".aws", ".kube", ".gnupg"):
        return _dir_kind(lowered)
    if _SSH_KEY_NAME.match(name):
        return _SSH
    if lowered.endswith(_KEY_SUFFIXES) and not _PUBLIC_KEY_NAME.search(lowered):
        return PRIVATE_KEY
    if lowered.endswith(".pem") and ("key" in lowered or lowered.startswith("priv")):
        return PRIVATE_KEY
    if lowered == ".env" or (lowered.startswith(".env.") and not _ENV_SAFE.match(lowered)):
        return _ENV
    if lowered in _CREDENTIAL_NAMES:
        found = _credentials(f"{_CREDENTIAL_NAMES[lowered]} credentials file", name)
        return found if lowered != ".yarnrc.yml" else Sensitive(found.what, found.advice, found.ignore_entry, True, False)
    if parent == ".aws" and lowered in ("credentials", "config"):
        return _credentials("AWS credentials file", ".aws")
    if parent == ".docker" and lowered == "config.json":
        return _credentials("Docker registry credentials", ".docker")
    if parent == ".kube" and lowered == "config":
        return _credentials("Kubernetes credentials", ".kube")
    if lowered.endswith(".json") and re.search(r"service[-_]?account|gcp[-_]?key|credentials", lowered):
        return _credentials("cloud service-account key", name)
    return None


def _dir_kind(name: str) -> Sensitive | None:
    if name == ".git":
        return _GIT
    if name == ".ssh":
        return _SSH_DIR
    if name == ".aws":
        return _credentials("AWS credentials folder", ".aws")
    if name == ".kube":
        return _credentials("Kubernetes credentials folder", ".kube")
    if name == ".gnupg":
        return _credentials("GnuPG keyring", ".gnupg")
    return None


def _credentials(what: str, entry: str) -> Sensitive:
    return Sensitive(what, _CREDENTIALS.advice, f"**/{entry}" if not entry.startswith("*") else entry)


_LITERAL_NPM = re.compile(r"(?m)^[^#;\n]*(?:_authToken|_auth|_password|npmAuthToken)\s*[=:]\s*[\"']?(?!\$\{)[^\s\"'$]{6,}")
_LITERAL_PASSWORD = re.compile(r"(?mi)^\s*(?:password|passwd)\s*[=:]?\s*(?!\$)\S{3,}")
_NETRC_PASSWORD = re.compile(r"(?i)\bpassword\s+(?!\$)\S+")
_URL_PASSWORD = re.compile(r"://[^\s:/@]+:(?!\$)[^\s/@]+@")


def confirm(sensitive: Sensitive, path: str, text: str | None) -> bool:
    """Whether the content (when readable) bears the name out; unreadable content keeps the name's word.

    Certificates named `*.pem`, `.npmrc` files that only reference `${NPM_TOKEN}` and empty
    `.env` files are not secrets.
    """
    if text is None:
        return True
    what = sensitive.what
    lowered = posixpath.basename(path).lower()
    if sensitive is PRIVATE_KEY or sensitive is _SSH:
        if "PRIVATE KEY" in text:
            return True
        # A text file that is a public key or certificate, not a key.
        return not ("-----BEGIN" in text or text.startswith(("ssh-", "ecdsa-")))
    if sensitive is _ENV:
        return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())
    if what.startswith(("npm", "Yarn")):
        return bool(_LITERAL_NPM.search(text))
    if what.startswith("PyPI"):
        return bool(_LITERAL_PASSWORD.search(text))
    if what.startswith("netrc"):
        return bool(_NETRC_PASSWORD.search(text))
    if what.startswith("Git"):
        return bool(_URL_PASSWORD.search(text))
    if what.startswith("Docker"):
        return '"auth"' in text or '"identitytoken"' in text
    if what.startswith("AWS"):
        return "aws_secret_access_key" in text.lower() or lowered == "config" and "aws_secret" in text.lower()
    if what.startswith("cloud"):
        return _is_service_account(text)
    return True


def _is_service_account(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and ("private_key" in data or data.get("type") == "service_account")

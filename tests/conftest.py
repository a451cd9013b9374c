"""Shared test helpers: where the shared corpus and fixtures live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DLINT_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
IMAGES = SHARED / "images"
SCHEMAS = SHARED / "schemas"


def corpus_files() -> list[Path]:
    """Every Dockerfile of the shared corpus (from its manifest), in a stable order."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    return [CORPUS / row.split("\t", 1)[0] for row in rows if row]


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return files

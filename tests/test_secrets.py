"""The shared secret scanner: detectors, hash filtering, masking."""

from __future__ import annotations

import pytest

from docklint.secrets import looks_like_hash, mask, redact, scan_text

AWS_ID = "AKIA" + "IOSFODNN7EXAMPLQ"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKQQ"
GITHUB = "ghp_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
KEY_BODY = "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9OiZ1BjP5CEWmRr500PRKLh9x5eJPo5CAZ3ANBE0sTK0ZsDGMak2m1g7"


def kinds(text: str) -> list[tuple[str, str]]:
    return [(h.kind, h.value) for h in scan_text(text)]


def test_known_formats_and_offsets() -> None:
    text = f"ENV A={AWS_ID} AWS_SECRET_ACCESS_KEY={AWS_SECRET}\nRUN echo {GITHUB}\n"
    hits = scan_text(text)
    assert [(h.kind, h.value) for h in hits] == [
        ("AWS access key", AWS_ID),
        ("AWS secret access key", AWS_SECRET),
        ("GitHub token", GITHUB),
    ]
    for hit in hits:
        assert text[hit.start : hit.end] == hit.value
    assert hits[2].line == 1


def test_private_key_block_needs_a_body() -> None:
    block = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n"
    hits = scan_text("RUN cat <<EOF\n" + block)
    assert [h.kind for h in hits] == ["private key"]
    assert hits[0].value.startswith("-----BEGIN") and hits[0].value.endswith("KEY-----")
    # A grep for the header is not a key.
    assert not scan_text('RUN grep -q "BEGIN RSA PRIVATE KEY" /etc/ssl/key.pem')


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://bob:s3cr3tP4ss@example.com/x", True),
        ("postgres://app:Zx81kPq2@db:5432/app", True),
        ("https://bob:${TOKEN}@example.com", False),
        ("https://bob:$TOKEN@example.com", False),
        ("https://user:<password>@example.com", False),
        ("https://{{user}}:{{pass}}@example.com", False),
        ("https://example.com:8443/x@y", False),
    ],
)
def test_credentials_in_urls(url: str, found: bool) -> None:
    got = [h for h in scan_text(f'RUN curl "{url}"') if h.kind == "password in URL"]
    assert bool(got) == found


@pytest.mark.parametrize(
    "text",
    [
        "ENV NODE_SHA256=3b1c2d9f0a5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
        "RUN gpg --batch --recv-keys B42F6819007F00F88E364FD4036A9C25BF357DD4",
        "FROM python@sha256:3b1c2d9f0a5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
        'RUN echo "8b1c2d9f0a5e6b7c8d9e0f1a2b3c4d5e  go.tar.gz" | md5sum -c -',
        "ENV GOLANG_COMMIT=5e6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b",
        "RUN npm i --integrity sha512-Zk3l0pWd7Yq2rM9tFvXh1bC6nGs8uAe4oJiKyLxQwRz0TcB5VmNp3SgHdEaUfIlK==",
    ],
)
def test_hashes_fingerprints_digests_are_not_secrets(text: str) -> None:
    assert scan_text(text) == []


def test_looks_like_hash() -> None:
    assert looks_like_hash("a" * 7 + "b" * 33)
    assert looks_like_hash("Zk3l0pWd7Yq2rM9tFvXh1bC6", before="sha384-")
    assert not looks_like_hash("Zk3l0pWd7Yq2rM9tFvXh1bC6")


def test_mask_shows_at_most_four_characters() -> None:
    assert mask(AWS_ID, "AWS access key") == "AWS access key `AKIA…`"
    assert mask("hunter22", "password") == "password `hu…`"
    assert mask("abc", "password") == "password"
    assert AWS_ID not in mask(AWS_ID, "x") and AWS_ID[:5] not in mask(AWS_ID, "x")


def test_results_are_cached_by_content() -> None:
    from docklint.secrets import scan_line_cached

    from docklint.secrets import _scan_memo

    line = f"ENV TOKEN={GITHUB}"
    first = scan_text(line)
    before = _scan_memo.cache_info().hits
    assert scan_text(line) == first and first
    assert _scan_memo.cache_info().hits == before + 1
    # a line already seen, inside a new text: detect-secrets' answer comes from the line cache
    lines_before = scan_line_cached.cache_info()
    scan_text(line + "\nRUN true")
    lines_after = scan_line_cached.cache_info()
    assert lines_after.misses == lines_before.misses and lines_after.hits > lines_before.hits


def test_redact_keeps_length_and_hides_secrets() -> None:
    line = f'ENV AWS_ACCESS_KEY_ID={AWS_ID} URL="https://bob:Zx81kPq2vB@example.com"'
    redacted = redact(line, deep=True)
    assert len(redacted) == len(line)
    assert AWS_ID not in redacted and "AKIA" in redacted
    assert "Zx81kPq2vB" not in redacted
    assert redact("RUN apt-get install -y curl") == "RUN apt-get install -y curl"

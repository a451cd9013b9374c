"""Package installs read from RUN commands, per manager."""

from __future__ import annotations

from pathlib import Path

import pytest

from docklint.model.dockerfile import parse
from docklint.model.packages import Install, installs, iter_installs, split_rpm


def install_of(run: str) -> Install:
    df = parse(f"FROM x\nRUN {run}\n")
    found = list(iter_installs(df))
    assert len(found) == 1, found
    return found[0]


def specs(run: str) -> list[tuple[str, str | None, str | None, str]]:
    return [(p.name, p.operator, p.version, p.kind) for p in install_of(run).packages]


def test_apt_get() -> None:
    found = install_of("DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends curl=7.88.1-10 git/bookworm-backports ./x.deb")
    assert (found.manager, found.family, found.action) == ("apt-get", "apt", "install")
    assert found.has_flag("-y") and found.has_flag("--no-install-recommends")
    assert found.subcommand is not None and found.subcommand.value == "install"
    assert [(p.name, p.version, p.release, p.kind, p.pinned) for p in found.packages] == [
        ("curl", "7.88.1-10", None, "package", True),
        ("git", None, "bookworm-backports", "package", False),
        ("./x.deb", None, None, "path", False),
    ]


def test_package_word_ranges() -> None:
    df = parse("FROM x\nRUN apt-get update \\\n && apt-get install -y \\\n      curl \\\n      wget=1.21\n")
    (found,) = iter_installs(df, "apt")
    curl, wget = found.packages
    assert (curl.range.start.line, curl.range.start.col, curl.range.end.col) == (3, 6, 10)
    assert df.source.slice(wget.range) == "wget=1.21"


def test_whole_expansions_are_variables() -> None:
    found = install_of('apt-get install -y $PKGS "${DEPS}" $(cat /list) python${PY}-dev lib-$V=1.2')
    assert [(p.name, p.kind, p.version) for p in found.packages] == [
        ("$PKGS", "variable", None),
        ("${DEPS}", "variable", None),
        ("$(cat /list)", "variable", None),
        ("python${PY}-dev", "package", None),
        ("lib-$V", "package", "1.2"),
    ]


def test_not_an_install() -> None:
    df = parse("FROM x\nRUN apt-get update && apt-get remove -y x && pip download y && npm run build\n")
    assert list(iter_installs(df)) == []
    assert installs(next(df.commands("apt-get"))) is None


def test_apk() -> None:
    assert specs("apk add --no-cache --virtual .build-deps curl=8.5.0-r0 bash~5.2 'py3-pip>=23' tini@community") == [
        ("curl", "=", "8.5.0-r0", "package"),
        ("bash", "~", "5.2", "package"),
        ("py3-pip", ">=", "23", "package"),
        ("tini", None, None, "package"),
    ]
    assert install_of("apk add tini@community").packages[0].release == "community"


@pytest.mark.parametrize(
    "word, expected",
    [
        ("nodejs-16.14.0", ("nodejs", "16.14.0")),
        ("httpd-2.4.57-5.el9", ("httpd", "2.4.57-5.el9")),
        ("java-1.8.0-openjdk", ("java-1.8.0-openjdk", None)),
        ("java-1.8.0-openjdk-1.8.0.312", ("java-1.8.0-openjdk", "1.8.0.312")),
        ("python3-pip", ("python3-pip", None)),
        ("gcc-c++", ("gcc-c++", None)),
        ("kernel-devel-$(uname -r)", ("kernel-devel", "$(uname -r)")),
        ("epel-release-7-14.noarch", ("epel-release", "7-14.noarch")),
        ("tzdata-2023c", ("tzdata", "2023c")),
    ],
)
def test_rpm_version_heuristic(word: str, expected: tuple[str, str | None]) -> None:
    assert split_rpm(word) == expected


def test_yum_dnf_microdnf() -> None:
    assert specs("yum install -y httpd-2.4.6 @development /tmp/x.rpm https://e.com/y.rpm") == [
        ("httpd", "-", "2.4.6", "package"),
        ("development", None, None, "group"),
        ("/tmp/x.rpm", None, None, "path"),
        ("https://e.com/y.rpm", None, None, "url"),
    ]
    found = install_of("microdnf install -y --nodocs --setopt=install_weak_deps=0 shadow-utils")
    assert found.manager == "microdnf" and found.family == "rpm"
    assert [(p.name, p.version) for p in found.packages] == [("shadow-utils", None)]
    assert install_of("dnf -y in vim").action == "install"


def test_zypper() -> None:
    found = install_of("zypper --non-interactive in -y curl=8.0 'vim>=9' git")
    assert found.action == "install"
    assert [(p.name, p.operator, p.version) for p in found.packages] == [("curl", "=", "8.0"), ("vim", ">=", "9"), ("git", None, None)]
    assert [p.kind for p in install_of("zypper in -t pattern devel_basis").packages] == ["pattern"]


def test_pip() -> None:
    found = install_of("pip3 install --no-cache-dir -r requirements.txt 'requests[socks]==2.31.0' \"flask>=2\" numpy . ./pkg git+https://g/x.git six~=1.16 -e ./src")
    assert found.manager == "pip" and found.has_flag("--no-cache-dir")
    assert [(p.name, p.operator, p.version, p.kind) for p in found.packages] == [
        ("requirements.txt", None, None, "requirements"),
        ("requests", "==", "2.31.0", "package"),
        ("flask", ">=", "2", "package"),
        ("numpy", None, None, "package"),
        (".", None, None, "path"),
        ("./pkg", None, None, "path"),
        ("git+https://g/x.git", None, None, "vcs"),
        ("six", "~=", "1.16", "package"),
        ("./src", None, None, "editable"),
    ]
    assert [p.name for p in found.named] == ["requests", "flask", "numpy", "six"]


def test_unquoted_pip_specifier_is_a_redirect() -> None:
    found = install_of("pip install flask>=2")
    assert [(p.name, p.version) for p in found.packages] == [("flask", None)]
    assert [(r.op, r.target.value if r.target else None) for r in found.command.redirects] == [(">", "=2")]


def test_python_m_pip_and_versioned_pip() -> None:
    assert install_of("python3 -m pip install --upgrade pip==23.0").packages[0].version == "23.0"
    assert install_of("/usr/bin/pip3.11 install x").manager == "pip"
    assert install_of("pip install --requirement=req.txt").packages[0].kind == "requirements"


def test_npm_yarn_pnpm() -> None:
    assert specs("npm install -g @angular/cli@17.0.1 typescript@latest lodash user/repo#v1 ./local https://x.com/a.tgz") == [
        ("@angular/cli", "@", "17.0.1", "package"),
        ("typescript", "@", "latest", "package"),
        ("lodash", None, None, "package"),
        ("user/repo", "#", "v1", "vcs"),
        ("./local", None, None, "path"),
        ("https://x.com/a.tgz", None, None, "url"),
    ]
    found = install_of("npm i -g @scope/x")
    assert found.action == "install" and found.global_ and not found.packages[0].pinned
    assert install_of("npm ci --omit=dev").action == "ci"
    found = install_of("yarn global add nodemon@3.0.1")
    assert found.global_ and found.action == "add" and found.packages[0].version == "3.0.1"
    assert install_of("yarn install --frozen-lockfile").packages == ()
    assert install_of("pnpm add -D vite@5").packages[0].version == "5"


def test_gem() -> None:
    found = install_of("gem install bundler -v 2.4.22 --no-document")
    (spec,) = found.packages
    assert (spec.name, spec.version, spec.operator) == ("bundler", "2.4.22", "-v")
    assert spec.version_word is not None and spec.version_word.value == "2.4.22"
    assert specs("gem install rails:7.1.2 ./x.gem") == [("rails", ":", "7.1.2", "package"), ("./x.gem", None, None, "path")]
    assert specs("gem install nokogiri --version 1.18 -- --use-system-libraries") == [("nokogiri", "--version", "1.18", "package")]


def test_go_and_cargo() -> None:
    assert specs("go install golang.org/x/tools/gopls@v0.14.2 example.com/y@latest ./cmd/...") == [
        ("golang.org/x/tools/gopls", "@", "v0.14.2", "package"),
        ("example.com/y", "@", "latest", "package"),
        ("./cmd/...", None, None, "path"),
    ]
    assert not install_of("go install example.com/y@latest").packages[0].pinned
    assert specs("go run example.com/gen@v1.0.0 -out x") == [("example.com/gen", "@", "v1.0.0", "package")]
    assert specs("cargo install ripgrep --version 14.0.3 --locked") == [("ripgrep", "--version", "14.0.3", "package")]
    assert specs("cargo install cargo-watch@8.4.0") == [("cargo-watch", "@", "8.4.0", "package")]
    assert specs("cargo install --git https://github.com/x/y") == [("https://github.com/x/y", None, None, "vcs")]


def test_conda_and_pipx() -> None:
    assert specs("conda install -y -c conda-forge numpy=1.26 conda-forge::pandas scipy") == [
        ("numpy", "=", "1.26", "package"),
        ("pandas", None, None, "package"),
        ("scipy", None, None, "package"),
    ]
    assert specs("pipx install black==23.1") == [("black", "==", "23.1", "package")]


def test_nested_installs_are_found() -> None:
    df = parse("FROM x\nRUN sudo -E apt-get install -y a && sh -c 'pip install b' && xargs apk add < list\n")
    assert [(i.manager, [p.name for p in i.packages]) for i in iter_installs(df)] == [
        ("apt-get", ["a"]), ("pip", ["b"]), ("apk", []),
    ]


def test_corpus_installs(corpus: list[Path]) -> None:
    """Every command of the corpus is read without error; package words keep exact ranges."""
    managers: set[str] = set()
    for path in corpus:
        df = parse(path.read_text(encoding="utf-8", errors="replace"), str(path))
        for command in df.commands():
            found = installs(command)
            if found is None:
                continue
            managers.add(found.manager)
            for spec in found.packages:
                if spec.word.exact:
                    assert df.source.slice(spec.range) == spec.word.raw
    assert {"apt-get", "apk", "pip", "npm", "yum", "gem", "go"} <= managers

"""Shell analysis of RUN: commands, words and their exact ranges in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from docklint.model.dockerfile import Dockerfile, iter_with_onbuild, parse
from docklint.model.shell import Command, ShellWord


def commands(text: str, name: str | None = None) -> list[Command]:
    return list(parse(text).commands(name))


def at(df: Dockerfile, word: ShellWord) -> str:
    """The file text under a word's range."""
    return df.source.slice(word.range)


def spot(word: ShellWord) -> tuple[int, int, int, int]:
    """1-based line/col and end line/col (exclusive), as people read them."""
    r = word.range
    return (r.start.line + 1, r.start.col + 1, r.end.line + 1, r.end.col + 1)


def test_chain_with_env_prefix_and_continuations() -> None:
    text = (
        "FROM debian:12\n"
        "RUN set -eux; \\\n"
        "    DEBIAN_FRONTEND=noninteractive apt-get install -y \\\n"
        '       curl "ca-certificates" && rm -rf /var/lib/apt/lists/*\n'
    )
    df = parse(text)
    found = list(df.commands())
    assert [c.name for c in found] == ["set", "apt-get", "rm"]
    apt = found[1]
    assert [a.value for a in apt.assignments] == ["DEBIAN_FRONTEND=noninteractive"]
    assert [w.value for w in apt.args] == ["install", "-y", "curl", "ca-certificates"]
    assert spot(apt.argv[0]) == (3, 36, 3, 43)
    assert spot(apt.args[3]) == (4, 13, 4, 30)
    assert at(df, apt.args[3]) == '"ca-certificates"'
    assert apt.args[3].quoted and apt.args[3].exact
    assert apt.range.start.line == 2 and apt.range.end == apt.args[3].range.end
    assert found[0].script is not None and "errexit" in found[0].script.set_options


def test_word_split_by_continuation_is_not_exact() -> None:
    df = parse("RUN echo foo\\\nbar\n")
    word = next(df.commands("echo")).args[0]
    assert word.value == "foobar"
    assert not word.exact
    assert spot(word) == (1, 10, 2, 4)


def test_pipe_to_shell() -> None:
    df = parse("FROM alpine\nRUN curl -fsSL https://example.com/install.sh | sh -s -- --yes\n")
    curl, sh = list(df.commands())
    assert curl.piped_to is sh and sh.piped_from is curl
    assert sh.script is not None and sh.script.has_pipe and not sh.script.uses_pipefail


def test_pipefail_from_shell_and_set() -> None:
    text = (
        'FROM debian\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN curl x | tar -x\n'
        "FROM debian\nRUN set -o pipefail && wget -O- x | sh\n"
    )
    df = parse(text)
    first, second = (df.scripts(i)[0] for i in df.of("RUN"))
    assert first.uses_pipefail and first.shell_options == {"errexit", "pipefail"}
    assert second.uses_pipefail and not second.shell_options
    wget = next(c for c in second.commands if c.name == "wget")
    assert "pipefail" in second.options_at(wget)
    assert "pipefail" not in second.options_at(second.commands[0])


def test_options_of_nested_shells() -> None:
    df = parse("RUN set -o pipefail && bash -eo pipefail -c 'curl x | tar -x' && sh -c 'set -e; a | b'\n")
    found = {c.name: c for c in df.commands()}
    script = found["curl"].script
    assert script is not None and script.uses_pipefail
    assert script.options_at(found["curl"]) == {"errexit", "pipefail"}
    assert script.options_at(found["a"]) == {"errexit"}  # a new shell: the outer `set` does not reach it
    df = parse('RUN ["/bin/bash", "-c", "set -o pipefail && curl x | sh"]\n')
    (script,) = df.scripts(df.instructions[0])
    curl = next(c for c in script.commands if c.name == "curl")
    assert script.uses_pipefail and "pipefail" in script.options_at(curl)
    df = parse('RUN ["bash", "-o", "pipefail", "-c", "curl x | sh"]\n')
    (script,) = df.scripts(df.instructions[0])
    assert script.shell_options == {"pipefail"} and script.uses_pipefail


def test_sh_c_nested_words_map_into_the_string() -> None:
    df = parse("RUN sh -c 'apt-get update && apt-get install -y vim'\n")
    inner = list(df.commands("apt-get"))
    assert [c.nested for c in inner] == ["sh -c", "sh -c"]
    assert inner[1].parent is not None and inner[1].parent.name == "sh"
    vim = inner[1].args[-1]
    assert at(df, vim) == "vim" and vim.exact
    assert spot(vim) == (1, 49, 1, 52)


def test_bash_c_double_quoted_with_escapes() -> None:
    df = parse('RUN bash -c "echo \\"hi there\\" && pip install x"\n')
    echo = next(df.commands("echo"))
    word = echo.args[0]
    assert word.value == "hi there" and not word.exact
    assert at(df, word) == '"hi there\\"'
    pip = next(df.commands("pip"))
    assert at(df, pip.args[-1]) == "x" and pip.args[-1].exact


def test_exec_form_with_sh_c() -> None:
    df = parse('RUN ["/bin/sh", "-c", "apk add --no-cache curl"]\n')
    (script,) = df.scripts(df.instructions[0])
    assert script.kind == "exec" and script.shell == "posix"
    apk = next(df.commands("apk"))
    assert apk.nested == "sh -c" and apk.subcommand_name == "add"
    assert at(df, apk.args[-1]) == "curl"


def test_exec_form_plain() -> None:
    df = parse('RUN ["apt-get", "install", "-y", "curl"]\n')
    apt = next(df.commands("apt-get"))
    assert apt.script is not None and apt.script.shell == "none"
    assert [w.value for w in apt.argv] == ["apt-get", "install", "-y", "curl"]
    assert at(df, apt.args[-1]) == '"curl"'


def test_wrappers() -> None:
    text = (
        "RUN sudo -u app env FOO=1 nice -n 5 /usr/local/bin/pip3 install x "
        "&& find / -name '*.pyc' -exec rm -f {} + "
        "&& ls | xargs -r -n1 chmod 644 && python3.11 -m pip install y && timeout 10 gosu app npm ci\n"
    )
    found = commands(text)
    names = [(c.name, c.nested) for c in found]
    assert names == [
        ("sudo", None), ("env", "sudo"), ("nice", "env"), ("pip3", "nice"), ("find", None), ("rm", "find -exec"),
        ("ls", None), ("xargs", None), ("chmod", "xargs"), ("python3.11", None), ("pip", "python -m"),
        ("timeout", None), ("gosu", "timeout"), ("npm", "gosu"),
    ]
    env = found[1]
    nice = found[2]
    assert [a.value for a in nice.assignments] == ["FOO=1"] and env.name == "env"
    assert found[3].tool == "pip" and found[3].subcommand_name == "install"
    assert found[6].piped_to is found[7]


def test_command_substitution_and_backquotes() -> None:
    df = parse('RUN echo "$(uname -m)" `id -u` && tar -xf "$(ls /tmp/*.tgz)"\n')
    found = list(df.commands())
    assert [(c.name, c.nested) for c in found] == [
        ("echo", None), ("uname", "$("), ("id", "$("), ("tar", None), ("ls", "$("),
    ]
    assert found[1].parent is found[0]
    assert at(df, found[1].args[0]) == "-m"
    assert found[0].args[0].has_expansion and found[0].args[0].value == "$(uname -m)"


def test_process_substitution() -> None:
    found = commands("RUN bash <(curl -fsSL https://x/i.sh) > >(tee /log)\n")
    assert [(c.name, c.nested, c.parent.name if c.parent else None) for c in found] == [
        ("bash", None, None), ("curl", "<(", "bash"), ("tee", ">(", "bash"),
    ]


def test_conditions_negation_and_subshells() -> None:
    found = commands(
        "RUN if [ -f /x ]; then rm /x; fi; ! grep -q a /f || (cd /tmp && make); while read l; do echo $l; done < f\n"
    )
    by_name = {c.name: c for c in found}
    assert by_name["["].in_condition and not by_name["rm"].in_condition
    assert by_name["grep"].negated and by_name["grep"].in_condition
    assert not by_name["make"].in_condition
    assert by_name["read"].in_condition and not by_name["echo"].in_condition


def test_redirects() -> None:
    df = parse("RUN echo 'deb x' > /etc/apt/sources.list.d/x.list 2>&1 && cat <<< 'hi' >> /f\n")
    echo, cat = list(df.commands())
    assert [(r.op, r.fd) for r in echo.redirects] == [(">", None), (">&", 2)]
    assert echo.redirects[0].target is not None and at(df, echo.redirects[0].target) == "/etc/apt/sources.list.d/x.list"
    assert [w.value for w in echo.argv] == ["echo", "deb x"]
    assert [r.op for r in cat.redirects] == ["<<<", ">>"]


def test_flags() -> None:
    (apt,) = commands("RUN apt-get -qq -o Dpkg::Options::=--force-confold install -qy --no-install-recommends=true x y\n")
    assert apt.has_flag("-y") and apt.has_flag("-q") and not apt.has_flag("--yes")
    assert apt.flag_value("-o") == "Dpkg::Options::=--force-confold"
    assert apt.flag_value("--no-install-recommends") == "true"
    assert apt.subcommand is not None and apt.subcommand.value == "install"
    assert [w.value for w in apt.operands()] == ["x", "y"]
    (pip,) = commands("RUN pip install --no-cache -r req.txt --index-url https://i pkg\n")
    assert pip.has_flag("--no-cache-dir")  # pip accepts unambiguous prefixes
    assert [w.value for w in pip.operands()] == ["pkg"]
    (apt2,) = commands("RUN apt-get install --no-install x\n")
    assert not apt2.has_flag("--no-install-recommends")  # apt-get does not
    (go,) = commands("RUN go install -ldflags '-s -w' example.com/x@v1\n")
    assert go.flag_value("-ldflags") == "-s -w" and [w.value for w in go.operands()] == ["example.com/x@v1"]
    (npm,) = commands("RUN npm i -g --registry http://r x@1\n")
    assert npm.subcommand_name == "install" and [w.value for w in npm.operands()] == ["x@1"]


def test_heredoc_body_is_the_script() -> None:
    text = "FROM debian\nRUN <<EOF\nset -e\napt-get install -y \\\n  curl\nEOF\n"
    df = parse(text)
    (script,) = df.scripts(df.instructions[1])
    assert script.kind == "heredoc" and "errexit" in script.set_options
    apt = next(df.commands("apt-get"))
    assert spot(apt.args[-1]) == (5, 3, 5, 7)


def test_heredoc_tab_stripped() -> None:
    text = "RUN <<-EOF\n\tapk add --no-cache git\n\t\tapk add bash\n\tEOF\n"
    df = parse(text)
    found = list(df.commands("apk"))
    assert [spot(c.argv[0]) for c in found] == [(2, 2, 2, 5), (3, 3, 3, 6)]
    assert at(df, found[1].args[-1]) == "bash"


def test_heredoc_fed_to_shell_and_to_python() -> None:
    text = "RUN bash -e <<EOF && python3 <<PY && cat <<CONF > /etc/x.conf\nyum install -y x\nEOF\nimport os\nPY\nkey=1\nCONF\n"
    df = parse(text)
    scripts = df.scripts(df.instructions[0])
    assert [(s.kind, s.interpreter) for s in scripts] == [("run", None), ("heredoc", None), ("heredoc", "python3")]
    yum = next(df.commands("yum"))
    assert spot(yum.argv[0]) == (2, 1, 2, 4) and yum.script is scripts[1]
    assert not scripts[2].commands


def test_crlf_file_with_two_heredocs() -> None:
    text = (
        "FROM x\r\nRUN cat <<EOF > /etc/x && bash <<-SH \\\r\n && echo done\r\n"
        "line $(id)\r\nEOF\r\n\tapt-get install -y a\r\n\tSH\r\n"
    )
    df = parse(text)
    run, fed = df.scripts(df.instructions[1])
    assert run.text.text.endswith("EOF\n\tapt-get install -y a \n\tSH\n")
    cat, bash, echo = run.commands
    assert [(r.op, r.target.value if r.target else None) for r in cat.redirects] == [("<<", "EOF"), (">", "/etc/x")]
    assert at(df, echo.args[0]) == "done" and spot(echo.args[0]) == (3, 10, 3, 14)
    (apt,) = fed.commands
    assert spot(apt.args[-1]) == (6, 21, 6, 22) and at(df, apt.args[-1]) == "a"


def test_heredoc_with_python_shebang_is_not_shell() -> None:
    df = parse("RUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n")
    (script,) = df.scripts(df.instructions[0])
    assert script.interpreter == "python3" and not script.commands and not script.analysed


def test_escape_backtick_file() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN echo a `\n  b\n"
    df = parse(text)
    (script,) = df.scripts(df.instructions[1])
    assert script.shell == "cmd" and not script.commands
    text = "# escape=`\nFROM debian\nRUN apt-get install -y `\n    curl `\n    wget && echo C:\\path\n"
    df = parse(text)
    apt, echo = df.commands()
    assert [w.value for w in apt.args] == ["install", "-y", "curl", "wget"]
    assert spot(apt.args[2]) == (4, 5, 4, 9) and spot(apt.args[3]) == (5, 5, 5, 9)
    # The backslash is no Dockerfile escape here, so the shell sees (and removes) it.
    assert echo.args[0].raw == "C:\\path" and echo.args[0].value == "C:path"


def test_powershell_shell_skipped() -> None:
    df = parse('FROM mcr.microsoft.com/powershell\nSHELL ["pwsh", "-Command"]\nRUN Install-Module x; apt-get install y\n')
    (script,) = df.scripts(df.instructions[2])
    assert script.shell == "powershell" and not script.commands
    assert list(df.commands()) == []


def test_shell_pragma() -> None:
    df = parse("FROM bats-jenkins\n# hadolint shell=powershell\nRUN & C:/x.ps1 --plugins a\nFROM x\nSHELL [\"bash\", \"-c\"]\nRUN echo hi\n")
    first, second = (df.scripts(i)[0] for i in df.of("RUN"))
    assert first.shell == "powershell" and not first.commands
    assert second.shell == "posix" and [c.name for c in second.commands] == ["echo"]


def test_backquoted_comments_are_not_arguments() -> None:
    df = parse("RUN apt-get install -y \\\n  `# tools` \\\n  curl \\\n  $(# more) \\\n  wget\n")
    (apt,) = df.commands()
    assert [w.value for w in apt.operands()] == ["curl", "wget"]


def test_fallback_skips_nested_heredoc_bodies() -> None:
    body = (
        "for a in x; do\n  if [[ $a = m ]]; then\n    cat <<'eot' > f.go\npackage main\nfunc main() {}\neot\n"
        "  fi\ndone\ncase $x in\n a) dnf install -y e\n  ;;\n *) yum install -y x\n  ;;\nesac\n"
    )
    df = parse(f"RUN <<EOF\n{body}EOF\n")
    assert [c.name for c in df.commands()] == ["[[", "cat", "dnf", "yum"]


def test_shell_inherited_from_earlier_stage() -> None:
    df = parse('FROM debian AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM base\nRUN a | b\n')
    (script,) = df.scripts(df.instructions[3])
    assert script.uses_pipefail and script.shell_argv[0] == "/bin/bash"


def test_mounts() -> None:
    df = parse(
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=secret,id=npmrc,dst=/root/.npmrc "
        "--mount=type=bind,from=build,source=/out,target=/in,ro apt-get update\n"
    )
    (script,) = df.scripts(df.instructions[0])
    cache, secret, bind = script.mounts
    assert (cache.type, cache.target, cache.id, cache.option("sharing")) == ("cache", "/var/cache/apt", "/var/cache/apt", "locked")
    assert (secret.type, secret.id, secret.target) == ("secret", "npmrc", "/root/.npmrc")
    assert (bind.type, bind.from_, bind.source, bind.readonly) == ("bind", "build", "/out", True)
    assert script.cache_mount("/var/cache/apt") is cache and script.cache_mount("/root/.npm") is None


def test_onbuild_run_and_stage_filter() -> None:
    df = parse("FROM a\nONBUILD RUN npm install\nFROM b\nRUN npm ci\n")
    assert [(c.subcommand_name, c.instruction.stage_index) for c in df.commands("npm")] == [("install", 0), ("ci", 1)]  # type: ignore[union-attr]
    assert [c.subcommand_name for c in df.commands("npm", stage=1)] == ["ci"]
    assert [c.subcommand_name for c in df.commands("npm", subcommand="install")] == ["install"]


def test_scripts_are_cached() -> None:
    df = parse("RUN true\n")
    assert df.scripts(df.instructions[0]) is df.scripts(df.instructions[0])
    assert df.scripts(parse("FROM x\n").instructions[0]) == []


@pytest.mark.parametrize(
    "script, names",
    [
        ('case "$(uname -m)" in x86_64) apt-get install -y a ;; aarch64) apk add b ;; esac', ["uname", "apt-get", "apk"]),
        ("[[ -f /x ]] && rm /x", ["[[", "rm"]),
        ("echo $((1 + 2)) && make -j$(( $(nproc) * 2 ))", ["echo", "make", "nproc"]),
        ("cat <<< \"$x\" | grep -q y && apt-get install -y z", ["cat", "grep", "apt-get"]),
        ("arr=(a b c); for p in ${arr[@]}; do pip install $p; done", ["pip"]),
        ("time make && make install", ["time", "make", "make"]),
        ('case "$a" in amd64 | arm64) apt-get update;; (x) :;; *) echo y;; esac', ["apt-get", ":", "echo"]),
        ("up() { dpkg-scanpackages . > P; }; [[ -n $x ]] && up", ["dpkg-scanpackages", "[[", "up"]),
        ("function up { make; }; (( n++ )) || true", ["make", "true"]),
    ],
)
def test_fallback_still_sees_commands(script: str, names: list[str]) -> None:
    df = parse(f"RUN {script}\n")
    found = list(df.commands())
    assert [c.name for c in found] == names
    for command in found:
        for word in command.argv:
            if word.exact:
                assert at(df, word) == word.raw


def test_fallback_flagged() -> None:
    df = parse("RUN [[ -f /x ]] && rm /x\n")
    (script,) = df.scripts(df.instructions[0])
    assert script.fallback
    assert all(c.fallback for c in script.commands if c.name == "[[")


def test_corpus_smoke(corpus: list[Path]) -> None:
    """Every RUN of the corpus is analysed, and every exact word slices back to its raw text."""
    checked = 0
    for path in corpus:
        df = parse(path.read_text(encoding="utf-8", errors="replace"), str(path))
        for inst in iter_with_onbuild(df.instructions):
            if inst.keyword != "RUN":
                continue
            scripts = df.scripts(inst)
            assert scripts, f"{path}:{inst.range.start}: RUN produced no script"
            for script in scripts:
                for command in script.commands:
                    assert command.instruction is inst
                    words = [*command.assignments, *command.argv, *(r.target for r in command.redirects if r.target)]
                    for word in words:
                        sliced = df.source.slice(word.range)
                        if word.exact:
                            assert sliced == word.raw, f"{path}:{word.range.start}: {sliced!r} != {word.raw!r}"
                        else:
                            assert word.range.start <= word.range.end
                        checked += 1
    assert checked > 10_000

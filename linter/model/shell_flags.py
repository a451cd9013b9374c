"""Command-line options per tool: which flags take a value, subcommands, aliases, prefix
matching, and the scanner that splits a command's arguments into flags and operands.

Only what rules need to tell flags, flag values, subcommands and operands apart. Flags not
listed are treated as switches (no value), which is right for nearly every flag rules look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docklint.model.shell import ShellWord

# Flags that consume the next word as their value (`-o file`, `--registry URL`). Short flags
# also take an attached value (`-ofile`), long flags `--flag=value`.
VALUE_FLAGS: dict[str, frozenset[str]] = {
    "apt-get": frozenset("-o --option -c --config-file -t --target-release --default-release -a --host-architecture".split()),
    "apk": frozenset(
        "-X --repository -p --root --keys-dir --repositories-file -t --virtual --arch --cache-dir "
        "--cache-max-age --wait --timeout".split()
    ),
    "pip": frozenset(
        "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url -f --find-links "
        "--trusted-host -t --target --prefix --root --src --upgrade-strategy --platform --python-version "
        "--implementation --abi --only-binary --no-binary --progress-bar --log --log-file --proxy --retries "
        "--timeout --exists-action --cert --client-cert --cache-dir --global-option --install-option "
        "-C --config-settings --report --python --root-user-action --keyring-provider --use-feature "
        "--use-deprecated -d --dest --build --build-dir".split()
    ),
    "npm": frozenset(
        "--registry --prefix --cache --loglevel -w --workspace --omit --include --tag --userconfig "
        "--globalconfig --location --save-prefix --only --scope --otp --fetch-retries --fetch-timeout "
        "--install-strategy --auth-type --script-shell --before".split()
    ),
    "yarn": frozenset(
        "--cache-folder --modules-folder --network-timeout --registry --mutex --global-folder --link-folder "
        "--cwd --network-concurrency --https-proxy --proxy".split()
    ),
    "pnpm": frozenset("-F --filter -C --dir --store-dir --registry --reporter --virtual-store-dir --network-concurrency".split()),
    "gem": frozenset(
        "-v --version -i --install-dir -n --bindir -s --source -P --trust-policy --platform -g --file "
        "--build-root --document --http-proxy -p".split()
    ),
    "yum": frozenset(
        "-c --config --installroot --enablerepo --disablerepo --releasever -d --debuglevel -e --errorlevel "
        "--setopt -x --exclude --repo --repoid --forcearch --disableplugin --enableplugin --downloaddir "
        "--destdir --rpmverbosity --color --setopt --advisory --advisories --cve --bz --sec-severity "
        "--comment --excludepkgs --includepkgs --repofrompath".split()
    ),
    "zypper": frozenset(
        "-R --root -c --config -r --repo --from -t --type -p --plus-repo --cache-dir --raw-cache-dir "
        "--solv-cache-dir --pkg-cache-dir --reposd-dir --download".split()
    ),
    "go": frozenset(
        "-o -C -p -tags -ldflags -gcflags -mod -modfile -overlay -pkgdir -asmflags -buildmode -compiler "
        "-gccgoflags -installsuffix -toolexec -exec -coverpkg -covermode -run -bench -timeout -count".split()
    ),
    "cargo": frozenset(
        "--version --vers --git --branch --tag --rev --path --root --index --registry -j --jobs --target "
        "-F --features --profile --bin --example --target-dir --config -Z --color".split()
    ),
    "curl": frozenset(
        "-o --output -H --header -d --data --data-raw --data-binary --data-urlencode -u --user -X --request "
        "-A --user-agent -e --referer -x --proxy -T --upload-file -w --write-out --retry --retry-delay "
        "--retry-max-time -m --max-time --connect-timeout -C --continue-at -b --cookie -c --cookie-jar -F "
        "--form --cacert --capath --cert -E --key --url -z --time-cond -r --range --output-dir --proto "
        "--proto-redir --resolve --limit-rate -K --config --tlsv1.2 --ciphers --dns-servers --interface "
        "--netrc-file --oauth2-bearer --pinnedpubkey --max-redirs --variable --expand-url".split()
    ),
    "wget": frozenset(
        "-O --output-document -o --output-file -a --append-output -P --directory-prefix -U --user-agent "
        "-e --execute --header -t --tries -T --timeout --user --password --http-user --http-password "
        "--ca-certificate --ca-directory --certificate --private-key -i --input-file -B --base "
        "--limit-rate -w --wait --waitretry -Q --quota --post-data --post-file --referer -l --level "
        "-A --accept -R --reject -D --domains --exclude-domains -I --include-directories "
        "-X --exclude-directories --cut-dirs --progress --save-cookies --load-cookies".split()
    ),
    "xargs": frozenset("-I -n -P -L -d -E -s -a --max-args --max-procs --max-lines --delimiter --arg-file --replace".split()),
    "sudo": frozenset("-u --user -g --group -U --other-user -C --close-from -h --host -p --prompt -r --role -t --type -D --chdir -T --command-timeout".split()),
    "env": frozenset("-u --unset -C --chdir -S --split-string".split()),
    "nice": frozenset("-n --adjustment".split()),
    "timeout": frozenset("-s --signal -k --kill-after".split()),
    "exec": frozenset({"-a"}),
    "stdbuf": frozenset("-i -o -e --input --output --error".split()),
    "ionice": frozenset("-c -n -p --class --classdata".split()),
    "su": frozenset("-c --command -s --shell -g --group -G --supp-group -w --whitelist-environment".split()),
    "runuser": frozenset("-u --user -c --command -s --shell -g --group -G --supp-group".split()),
    "setpriv": frozenset("--reuid --regid --groups --ruid --euid --rgid --egid --inh-caps --ambient-caps --bounding-set --securebits --selinux-label --apparmor-profile".split()),
    "chroot": frozenset("--userspec --groups".split()),
    "tar": frozenset("-f --file -C --directory -T --files-from -X --exclude-from --exclude --strip-components --transform --owner --group --mode -I --use-compress-program -b --blocking-factor".split()),
    "useradd": frozenset("-u --uid -g --gid -G --groups -d --home-dir -s --shell -c --comment -k --skel -e --expiredate -f --inactive -K --key -p --password -R --root -P --prefix -b --base-dir -Z --selinux-user".split()),
    "groupadd": frozenset("-g --gid -K --key -p --password -R --root -P --prefix".split()),
    "adduser": frozenset("-u --uid -G -g -h --home -s --shell --gecos --ingroup --gid --home --firstuid --lastuid -k --conf".split()),
    "git": frozenset(
        "-C -c --git-dir --work-tree --namespace -b --branch --depth -o --origin --reference --config -j --jobs "
        "--filter --shallow-since --shallow-exclude --template --separate-git-dir --upload-pack -u".split()
    ),
    "gpg": frozenset("--keyserver --homedir -o --output --keyring --keyserver-options --trust-model --default-key -u --local-user -r --recipient --passphrase --batch-size".split()),
    "apt-key": frozenset("--keyring --keyserver".split()),
    "conda": frozenset("-c --channel -n --name -p --prefix --file --override-channels-url".split()),
    "pipx": frozenset("--python --pip-args --index-url --spec --suffix".split()),
    "npx": frozenset("-p --package --registry --cache".split()),
    "composer": frozenset("-d --working-dir".split()),
    "dotnet": frozenset("--version --tool-path -a --arch --configfile --add-source --framework -f -c --configuration -o --output -r --runtime".split()),
    "bundle": frozenset("--path --without --with -j --jobs --retry --gemfile --binstubs --standalone".split()),
    "chmod": frozenset({"--reference"}),
    "chown": frozenset({"--reference", "--from"}),
    "find": frozenset(),
    "python": frozenset("-m -c -W -X".split()),
    "uv": frozenset(
        "-p --python -r --requirements --requirement -c --constraints --constraint -e --editable --overrides "
        "--override -i --index-url --extra-index-url --index --default-index -f --find-links --index-strategy "
        "--python-preference --python-version --python-platform -t --target --prefix --keyring-provider "
        "--resolution --prerelease --exclude-newer --link-mode -P --upgrade-package --reinstall-package "
        "--no-binary --only-binary -C --config-setting --cache-dir --with --from --directory --project "
        "--group --extra --torch-backend --color --config-file".split()
    ),
    "sh": frozenset("-o +o".split()),
}
for _alias, _tool in (
    ("apt", "apt-get"), ("aptitude", "apt-get"), ("dnf", "yum"), ("microdnf", "yum"), ("tdnf", "yum"),
    ("pip3", "pip"), ("mamba", "conda"), ("micromamba", "conda"), ("bash", "sh"), ("dash", "sh"),
    ("ash", "sh"), ("zsh", "sh"), ("ksh", "sh"), ("su-exec", "env"), ("gosu", "env"), ("python3", "python"),
):
    VALUE_FLAGS[_alias] = VALUE_FLAGS[_tool]

# Tools whose first operand is a subcommand (`apt-get install`, `go install`).
SUBCOMMAND_TOOLS = frozenset(
    "apt-get apt aptitude apt-cache apt-key apk pip pip3 npm yarn pnpm gem go cargo dnf yum microdnf tdnf "
    "zypper conda mamba micromamba pipx composer dotnet bundle git docker rustup poetry pipenv uv "
    "corepack helm kubectl bun deno systemctl update-alternatives dpkg-reconfigure".split()
)

# Subcommand aliases as the tools accept them, mapped to the canonical name.
SUBCOMMAND_ALIASES: dict[str, dict[str, str]] = {
    "npm": {
        "i": "install", "in": "install", "ins": "install", "inst": "install", "insta": "install",
        "instal": "install", "isnt": "install", "isnta": "install", "isntal": "install", "isntall": "install",
        "add": "install", "clean-install": "ci", "ic": "ci", "install-clean": "ci", "isntall-clean": "ci",
        "un": "uninstall", "unlink": "uninstall", "remove": "uninstall", "rm": "uninstall", "r": "uninstall",
        "up": "update", "upgrade": "update", "udpate": "update", "c": "config", "x": "exec",
        "it": "install-test", "cit": "install-ci-test",
    },
    "pnpm": {"i": "install", "rm": "remove", "un": "remove", "uninstall": "remove", "up": "update", "upgrade": "update"},
    "zypper": {
        "in": "install", "rm": "remove", "up": "update", "dup": "dist-upgrade", "ref": "refresh",
        "ar": "addrepo", "rr": "removerepo", "se": "search", "if": "info", "pch": "patch-check",
        "lu": "list-updates", "ve": "verify", "si": "source-install", "cc": "clean",
    },
    "dnf": {"in": "install", "rm": "remove", "up": "upgrade", "update": "upgrade", "mc": "makecache"},
    "yum": {"update": "update", "upgrade": "update"},
    "apt": {"full-upgrade": "full-upgrade"},
    "gem": {"i": "install"},
}
SUBCOMMAND_ALIASES["tdnf"] = SUBCOMMAND_ALIASES["dnf"]
SUBCOMMAND_ALIASES["microdnf"] = {"up": "upgrade", "update": "upgrade"}

# Tools that accept unambiguous prefixes of long options (`pip --no-cache` for
# `--no-cache-dir`): optparse/argparse (pip, dnf, yum), getopt_long (wget, apk, zypper, tar,
# GNU coreutils), nopt (npm), Ruby's OptionParser (gem). apt-get and curl do not.
PREFIX_TOOLS = frozenset(
    "pip pip3 wget apk zypper npm gem dnf yum tdnf tar chmod chown useradd groupadd xargs env sudo".split()
)
# Tools whose long options use a single dash (`go build -ldflags ...`), so `-abc` is one flag.
SINGLE_DASH_TOOLS = frozenset("go find java javac terraform".split())
# Minimum length of a long-option prefix accepted as an abbreviation (`--no-` is never enough).
MIN_PREFIX = 6


def value_flags(tool: str) -> frozenset[str]:
    return VALUE_FLAGS.get(tool, _EMPTY)


_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ShellFlag:
    """An option of a command as parsed for its tool: `-y`, `--no-cache-dir`, `-o value`."""

    name: str  # `-y`, `--registry` (without `=value`)
    value: str | None
    word: ShellWord
    value_word: ShellWord | None  # the separate value word, or None when attached or absent


def tool_name(name: str) -> str:
    """`pip3.11` -> `pip`, `python3.12` -> `python`, others unchanged."""
    base = name.rstrip("0123456789.")
    if base in ("pip", "python", "pypy") and base != name:
        return base
    return name


def flag_matches(tool: str, given: str, wanted: str) -> bool:
    if given == wanted:
        return True
    return (
        wanted.startswith("--")
        and given.startswith("--")
        and tool in PREFIX_TOOLS
        and len(given) >= MIN_PREFIX
        and wanted.startswith(given)
    )


def scan_flags(tool: str, args: tuple[ShellWord, ...]) -> tuple[list[ShellFlag], list[ShellWord]]:
    """Split `args` into flags (with values) and operands for `tool`."""
    takes_value = value_flags(tool)
    single_dash = tool in SINGLE_DASH_TOOLS
    flags: list[ShellFlag] = []
    operands: list[ShellWord] = []
    i = 0
    while i < len(args):
        word = args[i]
        text = word.value
        i += 1
        if text == "--":
            operands.extend(args[i:])
            break
        if len(text) < 2 or text[0] != "-":
            operands.append(word)
            continue
        if text.startswith("--") or single_dash:
            name, eq, value = text.partition("=")
            if not eq and name in takes_value and i < len(args):
                flags.append(ShellFlag(name, args[i].value, word, args[i]))
                i += 1
            else:
                flags.append(ShellFlag(name, value if eq else None, word, None))
            continue
        i = _short_cluster(text, word, args, i, takes_value, flags)
    return flags, operands


def _short_cluster(
    text: str, word: ShellWord, args: tuple[ShellWord, ...], i: int, takes_value: frozenset[str], flags: list[ShellFlag]
) -> int:
    """Read `-qy`, `-ofile`, `-o file`, `-q=2`; returns the index of the next unread arg."""
    for k in range(1, len(text)):
        name = "-" + text[k]
        rest = text[k + 1 :]
        if rest.startswith("="):
            flags.append(ShellFlag(name, rest[1:], word, None))
            return i
        if name in takes_value:
            if rest:
                flags.append(ShellFlag(name, rest, word, None))
            elif i < len(args):
                flags.append(ShellFlag(name, args[i].value, word, args[i]))
                return i + 1
            else:
                flags.append(ShellFlag(name, None, word, None))
            return i
        flags.append(ShellFlag(name, None, word, None))
    return i

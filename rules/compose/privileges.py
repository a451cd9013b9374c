"""Compose rules about privileges: the syntax check, `privileged`, capabilities, `security_opt`
profiles and `no-new-privileges`, and the user a service runs as."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.compose.common import add_key_fix, drop_list_item_fix, is_true, own_security_options
from docklint.rules.compose.edits import append_item, replace_part, replace_value, styled

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile


@rule(
    code="RT100",
    name="compose-syntax-error",
    severity=Severity.ERROR,
    summary="The compose file is not valid YAML or not shaped like a compose file",
    message="{problem}, so `docker compose` rejects the file; fix it there",
    rationale=(
        "`docker compose` refuses a file it cannot parse: malformed YAML, a key given twice in "
        "one mapping, an alias to an anchor that does not exist, or a top level that is not a "
        "mapping. dlint reports the first place the parser stopped; rules that need the parsed "
        "services do not run on what it could not read."
    ),
    bad="services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"\n",
    good="services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n",
    kind="compose",
)
def compose_syntax_error(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for problem in model.problems:
        yield ctx.finding(problem.range, problem=problem.message)


@rule(
    code="RT101",
    name="compose-privileged",
    severity=Severity.ERROR,
    summary="A service runs with `privileged: true`",
    message="`privileged: true` gives `{service}` every capability and every host device, so a "
    "compromised service is a compromised host; remove it and grant only what it needs with "
    "`cap_add` or `devices`",
    rationale=(
        "A privileged container runs with all Linux capabilities, no seccomp or AppArmor "
        "confinement and access to every device of the host. Escaping it takes no exploit: "
        "mounting the host's disk or loading a kernel module is enough. Almost every service "
        "that asks for it needs one or two capabilities or a single device."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n    privileged: true\n",
    good="services:\n  app:\n    image: nginx:1.27\n    cap_add: [NET_ADMIN]\n",
    fix_safety="Unsafe: the service loses its extra capabilities and host devices and may stop "
    "working until the ones it needs are granted with `cap_add` or `devices`.",
    kind="compose",
    tags=("root",),
)
def compose_privileged(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("privileged")
        if is_true(value):
            assert value is not None
            edit = replace_value(value, "false")
            fix = Fix.unsafe("Set `privileged: false`", edit) if edit else None
            yield ctx.finding(value.at, fix=fix, service=service.name)


# Capabilities that open a way out of the container or onto the host (warning); others are info.
DANGEROUS_CAPABILITIES = frozenset({
    "ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "SYS_RAWIO",
    "SYS_BOOT", "SYS_TIME", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON", "SYSLOG",
    "LINUX_IMMUTABLE", "SYS_RESOURCE", "IPC_OWNER",
})  # fmt: skip
# Docker's default set (moby `oci/caps/defaults.go`): adding one back after `cap_drop: [ALL]`
# is the recommended pattern, not a finding.
DEFAULT_CAPABILITIES = frozenset({
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
    "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
})  # fmt: skip


def capability(text: str) -> str:
    name = text.strip().upper()
    return name[4:] if name.startswith("CAP_") else name


@rule(
    code="RT102",
    name="compose-cap-add",
    severity=Severity.WARNING,
    summary="`cap_add` grants a capability beyond Docker's default set",
    message="`cap_add: {capability}` {why}; remove it, or keep it only if the service cannot work without it",
    rationale=(
        "Capabilities split root's power into pieces; Docker grants a small default set. "
        "SYS_ADMIN, SYS_MODULE, SYS_PTRACE, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO and ALL each "
        "give a compromised process a known way onto the host, so they are warnings; other "
        "additions are reported for review at info. Adding back a default capability after "
        "`cap_drop: [ALL]` (the recommended pattern) is not reported."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    cap_add: [SYS_ADMIN]\n",
    good="services:\n  app:\n    image: alpine:3.20\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n",
    kind="compose",
    tags=("root",),
)
def compose_cap_add(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import scalars

    for service in model.services:
        for item in scalars(service.get("cap_add")):
            name = capability(item.value)
            if not name or name in DEFAULT_CAPABILITIES or item.has_variable:
                continue
            if name in DANGEROUS_CAPABILITIES:
                why = "gives a compromised process a known way out of the container onto the host"
                yield ctx.finding(item.at, capability=item.value.strip(), why=why)
                continue
            why = "widens what a compromised process may do beyond Docker's default set"
            finding = ctx.finding(item.at, capability=item.value.strip(), why=why)
            if ctx.severity == ctx.rule.severity:
                finding = finding.with_(severity=Severity.INFO)
            yield finding


@rule(
    code="RT103",
    name="compose-cap-drop-missing",
    severity=Severity.INFO,
    summary="A service keeps Docker's default capabilities (no `cap_drop: [ALL]`)",
    message="`{service}` keeps Docker's default capabilities (`CHOWN`, `SETUID`, `NET_RAW`, ...) "
    "it probably does not use; add `cap_drop: [ALL]` and `cap_add` back only what it needs",
    rationale=(
        "Docker starts every container with fourteen capabilities, among them NET_RAW (forged "
        "packets), SETUID and CHOWN. Most services need none of them. Dropping all and adding "
        "back the few a service needs limits what a compromise can do."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE, CHOWN, SETGID, SETUID]\n",
    fix_safety="Unsafe: the service loses Docker's default capabilities; add back the ones it "
    "needs with `cap_add`.",
    kind="compose",
    tags=("root",),
)
def compose_cap_drop_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import scalars

    for service in model.services:
        dropped = service.lookup("cap_drop")
        if any(capability(i.value) == "ALL" for i in scalars(dropped)) or not service.complete:
            continue
        own = service.entry("cap_drop")
        if own is not None and own[1].via is None and own[1].is_sequence:
            items = own[1].items
            edit = append_item(model, own[1], styled("ALL", items[-1] if items else None))
            fix = Fix.unsafe("Add `ALL` to `cap_drop`", edit) if edit else None
            yield ctx.finding(own[0].range, fix=fix, service=service.name)
            continue
        fix = add_key_fix(model, service, "Add `cap_drop: [ALL]`", "cap_drop: [ALL]")
        yield ctx.finding(service.key.range, fix=fix, service=service.name)


def _profile_rule(model: ComposeFile, ctx: Context, key: str, values: tuple[str, ...], title: str) -> Iterator[Finding]:
    for service in model.services:
        for _node, option in own_security_options(service):
            if option.key == key and option.value in values:
                fix = drop_list_item_fix(model, service, "security_opt", option.node, title)
                yield ctx.finding(option.node.at, fix=fix, option=option.node.value.strip())


@rule(
    code="RT104",
    name="compose-seccomp-unconfined",
    severity=Severity.ERROR,
    summary="`security_opt` turns seccomp off (`seccomp:unconfined`)",
    message="`{option}` lets the service make any system call, including the ones container "
    "escapes use; remove it, or give a custom profile that allows the one call it needs",
    rationale=(
        "Docker's default seccomp profile blocks about forty system calls that ordinary "
        "programs never make but kernel exploits and escapes do (`keyctl`, `unshare`, `bpf`, "
        "`mount`, ...). Running unconfined removes that layer for the whole service."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    security_opt: [\"seccomp:unconfined\"]\n",
    good="services:\n  app:\n    image: alpine:3.20\n    security_opt: [\"seccomp:./profile.json\"]\n",
    fix_safety="Unsafe: Docker's default seccomp profile applies again, so a service that relies "
    "on a blocked system call fails.",
    kind="compose",
)
def compose_seccomp_unconfined(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _profile_rule(model, ctx, "seccomp", ("unconfined",), "Remove `seccomp:unconfined`")


@rule(
    code="RT105",
    name="compose-apparmor-unconfined",
    severity=Severity.ERROR,
    summary="`security_opt` turns AppArmor off (`apparmor:unconfined`)",
    message="`{option}` removes the AppArmor profile that keeps the service away from `/proc` "
    "and `/sys` writes and mounts; remove it, or name a profile that fits the service",
    rationale=(
        "On hosts with AppArmor, Docker confines each container with the `docker-default` "
        "profile, which denies writes to kernel interfaces and mounting. Unconfined, a root "
        "process in the container has one obstacle less on its way to the host."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    security_opt:\n      - apparmor:unconfined\n",
    good="services:\n  app:\n    image: alpine:3.20\n    security_opt:\n      - apparmor:docker-default\n",
    fix_safety="Unsafe: the default AppArmor profile applies again and may deny something the "
    "service does.",
    kind="compose",
)
def compose_apparmor_unconfined(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _profile_rule(model, ctx, "apparmor", ("unconfined",), "Remove `apparmor:unconfined`")


@rule(
    code="RT106",
    name="compose-selinux-disabled",
    severity=Severity.WARNING,
    summary="`security_opt` turns SELinux labelling off (`label:disable`)",
    message="`{option}` runs the service without SELinux separation, so it may read and write "
    "other containers' and the host's files where SELinux would stop it; remove it",
    rationale=(
        "On SELinux hosts each container gets its own label, and the policy keeps it away from "
        "files labelled for the host or other containers even when it runs as root. "
        "`label:disable` switches that separation off for the service."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    security_opt: [\"label:disable\"]\n",
    good="services:\n  app:\n    image: alpine:3.20\n    security_opt: [\"label:type:svirt_apache_t\"]\n",
    fix_safety="Unsafe: SELinux labels apply again; bind mounts without a `:z` or `:Z` option may "
    "become unreadable to the service.",
    kind="compose",
)
def compose_selinux_disabled(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _profile_rule(model, ctx, "label", ("disable",), "Remove `label:disable`")


@rule(
    code="RT132",
    name="compose-systempaths-unconfined",
    severity=Severity.ERROR,
    summary="`security_opt` unmasks `/proc` and `/sys` paths (`systempaths=unconfined`)",
    message="`{option}` exposes the `/proc` and `/sys` paths Docker masks (`/proc/kcore`, "
    "`/proc/sysrq-trigger`, ...), which give a way to read kernel memory or crash the host; remove it",
    rationale=(
        "Docker masks or makes read-only a list of kernel interfaces under `/proc` and `/sys` "
        "in every container. `systempaths=unconfined` lifts that, and a root process can then "
        "read kernel memory, trigger SysRq actions or change kernel settings for the whole host."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    security_opt: [systempaths=unconfined]\n",
    good="services:\n  app:\n    image: alpine:3.20\n    security_opt: [no-new-privileges:true]\n",
    fix_safety="Unsafe: the masked paths are hidden again, which breaks tools that need them.",
    kind="compose",
    tags=("root",),
)
def compose_systempaths_unconfined(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _profile_rule(model, ctx, "systempaths", ("unconfined",), "Remove `systempaths=unconfined`")


NO_NEW_PRIVILEGES = "no-new-privileges:true"


@rule(
    code="RT107",
    name="compose-no-new-privileges-missing",
    severity=Severity.WARNING,
    summary="`security_opt` lacks `no-new-privileges:true`",
    message="`{service}` can gain privileges through setuid programs (`su`, `sudo`, a planted "
    "binary); add `no-new-privileges:true` to `security_opt`",
    rationale=(
        "Without `no-new-privileges`, a process in the container that runs a setuid or "
        "file-capability binary gains that binary's privileges. With it, the kernel refuses the "
        "gain, which closes a common step from a service account to root."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    security_opt: [no-new-privileges:true]\n",
    fix_safety="Unsafe: setuid programs such as `sudo` or `su` stop gaining privileges inside the service.",
    kind="compose",
    tags=("root",),
)
def compose_no_new_privileges_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.rules.compose.common import security_options

    for service in model.services:
        options = [o for o in security_options(service.lookup("security_opt")) if o.key == "no-new-privileges"]
        if any(o.value in ("", "true") for o in options) or not service.complete:
            continue
        off = next((o for o in options if o.value == "false"), None)
        if off is not None:
            text = off.node.value
            edit = replace_part(off.node, len(text) - len(text.lstrip()), len(text.rstrip()), NO_NEW_PRIVILEGES)
            fix = Fix.unsafe("Set `no-new-privileges:true`", edit) if edit else None
            yield ctx.finding(off.node.at, fix=fix, service=service.name)
            continue
        own = service.entry("security_opt")
        if own is not None and own[1].via is None:
            items = own[1].items
            edit = append_item(model, own[1], styled(NO_NEW_PRIVILEGES, items[-1] if items else None))
            fix = Fix.unsafe("Add `no-new-privileges:true`", edit) if edit else None
            yield ctx.finding(own[0].range, fix=fix, service=service.name)
            continue
        fix = None if own is not None else add_key_fix(
            model, service, "Add `security_opt: [no-new-privileges:true]`", f"security_opt: [{NO_NEW_PRIVILEGES}]"
        )
        yield ctx.finding(service.key.range, fix=fix, service=service.name)


@rule(
    code="RT122",
    name="compose-user-root",
    severity=Severity.WARNING,
    summary="`user:` sets root (`root` or `0`)",
    message="`user: {user}` runs `{service}` as root, so a compromise gets root's power over "
    "mounted files and the kernel; use a non-root user such as `1000:1000`",
    rationale=(
        "Root inside a container is root on the host kernel, limited only by capabilities and "
        "profiles. Setting `user:` to root also overrides an image that was built to run as an "
        "unprivileged user. Files the service needs can be owned by its user instead."
    ),
    bad="services:\n  app:\n    image: node:22-alpine\n    user: root\n",
    good="services:\n  app:\n    image: node:22-alpine\n    user: node\n",
    kind="compose",
    tags=("root",),
)
def compose_user_root(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("user")
        if value is None or not value.is_scalar or value.has_variable:
            continue
        user = value.value.strip().split(":", 1)[0]
        if user in ("root", "0"):
            yield ctx.finding(value.at, user=value.value.strip(), service=service.name)

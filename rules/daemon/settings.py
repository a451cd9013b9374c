"""daemon.json rules about daemon-wide defaults: inter-container traffic, privileges, live
restore, the userland proxy, experimental features, logging, iptables, seccomp and storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.daemon.edits import is_bool, readable, remove_member, set_value, setting_findings, where

if TYPE_CHECKING:
    from docklint.model.daemon import DaemonConfig


@rule(
    code="RT153",
    name="daemon-icc-enabled",
    severity=Severity.INFO,
    summary="`icc` is not `false`: containers on the default bridge talk to each other freely",
    message="`icc` is not `false`, so every container on the default bridge can reach every "
    "other one's ports; set `\"icc\": false` and connect services through user-defined networks",
    rationale=(
        "Inter-container communication on the default bridge lets any container probe and "
        "attack the others. Turning it off confines traffic to what user-defined networks "
        "and published ports allow (Compose projects use their own networks anyway)."
    ),
    bad='{\n  "log-level": "info"\n}\n',
    good='{\n  "log-level": "info",\n  "icc": false\n}\n',
    fix_safety="Unsafe: containers on the default bridge that talk to each other lose the connection "
    "unless linked or moved to a user-defined network.",
    kind="daemon",
)
def daemon_icc_enabled(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    yield from setting_findings(model, ctx, "icc", False, 'Set `"icc": false`')


@rule(
    code="RT155",
    name="daemon-no-new-privileges-missing",
    severity=Severity.INFO,
    summary="`no-new-privileges` is not `true` daemon-wide",
    message="`no-new-privileges` is not `true`, so processes in containers can gain privileges "
    "through setuid programs; set `\"no-new-privileges\": true`",
    rationale=(
        "With `no-new-privileges` the kernel stops a process from gaining privileges through "
        "setuid binaries or file capabilities. Setting it daemon-wide covers every container, "
        "including those started without `--security-opt`."
    ),
    bad='{\n  "icc": false\n}\n',
    good='{\n  "icc": false,\n  "no-new-privileges": true\n}\n',
    fix_safety="Unsafe: setuid programs such as `sudo` stop gaining privileges in every container.",
    kind="daemon",
    tags=("root",),
)
def daemon_no_new_privileges_missing(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    yield from setting_findings(model, ctx, "no-new-privileges", True, 'Set `"no-new-privileges": true`')


@rule(
    code="RT156",
    name="daemon-live-restore-missing",
    severity=Severity.INFO,
    summary="`live-restore` is not `true`",
    message="`live-restore` is not `true`, so every container stops when dockerd restarts or is "
    "upgraded; set `\"live-restore\": true`",
    rationale=(
        "With live restore, containers keep running while the daemon is down, so patching "
        "Docker does not mean downtime, and a daemon crash does not take the services with it. "
        "It cannot be combined with Swarm mode."
    ),
    bad='{\n  "icc": false\n}\n',
    good='{\n  "icc": false,\n  "live-restore": true\n}\n',
    fix_safety="Unsafe: containers outlive daemon restarts, and dockerd refuses to start in Swarm "
    "mode with it.",
    kind="daemon",
)
def daemon_live_restore_missing(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    yield from setting_findings(model, ctx, "live-restore", True, 'Set `"live-restore": true`')


@rule(
    code="RT157",
    name="daemon-userland-proxy-enabled",
    severity=Severity.INFO,
    summary="`userland-proxy` is not `false`",
    message="`userland-proxy` is not `false`, so a `docker-proxy` process runs for every "
    "published port; set `\"userland-proxy\": false` to forward with iptables only",
    rationale=(
        "The userland proxy is a process per published port that relays traffic; it widens "
        "the attack surface and costs memory. Kernel forwarding does the same job where "
        "hairpin NAT works, which is the case on current kernels."
    ),
    bad='{\n  "icc": false\n}\n',
    good='{\n  "icc": false,\n  "userland-proxy": false\n}\n',
    fix_safety="Unsafe: published ports are forwarded by iptables alone; old kernels or setups "
    "relying on the proxy for loopback access may lose connections.",
    kind="daemon",
)
def daemon_userland_proxy_enabled(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    yield from setting_findings(model, ctx, "userland-proxy", False, 'Set `"userland-proxy": false`')


@rule(
    code="RT158",
    name="daemon-experimental-enabled",
    severity=Severity.WARNING,
    summary="`experimental: true` turns on features that are not production-ready",
    message="`\"experimental\": true` enables daemon features that may change or break between "
    "releases and get less security review; set it to `false` on production hosts",
    rationale=(
        "Experimental features are previews: their behaviour and their defaults can change in "
        "any release, and they have not had the scrutiny stable features get. A production "
        "daemon should run only stable features."
    ),
    bad='{\n  "experimental": true\n}\n',
    good='{\n  "experimental": false\n}\n',
    fix_safety="Unsafe: experimental features the host uses (such as `docker checkpoint`) stop working.",
    kind="daemon",
)
def daemon_experimental_enabled(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    if is_bool(model.get("experimental"), True):
        edit = set_value(model, "experimental", False)
        fix = Fix.unsafe('Set `"experimental": false`', edit) if edit is not None else None
        yield ctx.finding(where(model, "experimental"), fix=fix)


@rule(
    code="RT159",
    name="daemon-log-level-debug",
    severity=Severity.INFO,
    summary="`log-level` is `debug` (or `trace`)",
    message="`\"log-level\": \"{level}\"` writes request details, which can include credentials "
    "and environment values, to the daemon's log; set it to `\"info\"`",
    rationale=(
        "At debug level dockerd logs API requests and internal state in detail, which fills "
        "disks and can record secrets passed to containers. CIS asks for `info` outside of a "
        "debugging session."
    ),
    bad='{\n  "log-level": "debug"\n}\n',
    good='{\n  "log-level": "info"\n}\n',
    fix_safety="Safe: only the daemon's own log becomes less verbose; containers behave the same.",
    kind="daemon",
)
def daemon_log_level_debug(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    member = model.member("log-level")
    if member is None or member.value.kind != "string" or member.value.value.strip().lower() not in ("debug", "trace"):
        return
    edit = set_value(model, "log-level", "info")
    fix = Fix.safe('Set `"log-level": "info"`', edit) if edit is not None else None
    yield ctx.finding(member.value.range, fix=fix, level=member.value.value)


@rule(
    code="RT160",
    name="daemon-iptables-disabled",
    severity=Severity.WARNING,
    summary="`iptables: false` stops dockerd from managing firewall rules",
    message="`\"iptables\": false` leaves container networking to hand-written firewall rules, "
    "which commonly end up exposing or breaking published ports; remove it or set it to `true`",
    rationale=(
        "dockerd keeps the iptables rules for published ports, inter-container traffic (`icc`) "
        "and masquerading in step with the containers that run. Without them, `icc: false` "
        "has no effect and a manual rule set drifts from what is running."
    ),
    bad='{\n  "iptables": false\n}\n',
    good='{\n  "iptables": true\n}\n',
    fix_safety="Unsafe: dockerd starts writing its own iptables rules, which may conflict with a "
    "firewall managed by hand.",
    kind="daemon",
)
def daemon_iptables_disabled(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    if is_bool(model.get("iptables"), False):
        edit = set_value(model, "iptables", True)
        fix = Fix.unsafe('Set `"iptables": true`', edit) if edit is not None else None
        yield ctx.finding(where(model, "iptables"), fix=fix)


@rule(
    code="RT161",
    name="daemon-seccomp-unconfined",
    severity=Severity.ERROR,
    summary="`seccomp-profile` is `unconfined` daemon-wide",
    message="`\"seccomp-profile\": \"unconfined\"` runs every container without seccomp, so they "
    "can make the system calls container escapes rely on; remove it to use Docker's default profile",
    rationale=(
        "The daemon's default seccomp profile blocks system calls that ordinary programs never "
        "make but kernel exploits do. Setting the daemon-wide profile to `unconfined` removes "
        "that layer from every container on the host."
    ),
    bad='{\n  "seccomp-profile": "unconfined",\n  "icc": false\n}\n',
    good='{\n  "icc": false\n}\n',
    fix_safety="Unsafe: containers run under Docker's default seccomp profile again, which blocks "
    "some system calls.",
    kind="daemon",
)
def daemon_seccomp_unconfined(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    member = model.member("seccomp-profile")
    if member is None or member.value.kind != "string" or member.value.value.strip().lower() != "unconfined":
        return
    edit = remove_member(model, member)
    fix = Fix.unsafe("Remove `seccomp-profile`", edit) if edit is not None else None
    yield ctx.finding(member.value.range, fix=fix)


@rule(
    code="RT164",
    name="daemon-aufs-storage-driver",
    severity=Severity.WARNING,
    summary="`storage-driver` is `aufs` (deprecated, removed from current engines)",
    message="`\"storage-driver\": \"aufs\"` is removed from Docker Engine 24 and later, so dockerd "
    "fails to start after an upgrade; migrate to `overlay2`",
    rationale=(
        "AUFS was never in the mainline kernel, had known stability problems, and was removed "
        "from Docker Engine 24. Images must be re-pulled after switching drivers, so the move "
        "is best planned before an upgrade forces it."
    ),
    bad='{\n  "storage-driver": "aufs"\n}\n',
    good='{\n  "storage-driver": "overlay2"\n}\n',
    kind="daemon",
)
def daemon_aufs_storage_driver(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("storage-driver")
    if value is not None and value.kind == "string" and value.value.strip().lower() == "aufs":
        yield ctx.finding(value.range)


@rule(
    code="RT165",
    name="daemon-cgroup-parent-set",
    severity=Severity.INFO,
    summary="`cgroup-parent` is set daemon-wide",
    message="`\"cgroup-parent\": \"{parent}\"` puts every container under a custom cgroup whose "
    "limits apply to all of them; confirm that is intended, or remove it",
    rationale=(
        "A daemon-wide parent cgroup moves every container out of Docker's default tree and "
        "under the limits (or lack of them) of the named cgroup. It is sometimes what a host "
        "layout needs, and worth confirming when it is not."
    ),
    bad='{\n  "cgroup-parent": "/custom.slice"\n}\n',
    good='{\n  "icc": false\n}\n',
    kind="daemon",
)
def daemon_cgroup_parent_set(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("cgroup-parent")
    if value is not None and value.kind == "string" and value.value.strip():
        yield ctx.finding(value.range, parent=value.value)


@rule(
    code="RT166",
    name="daemon-base-device-size-changed",
    severity=Severity.INFO,
    summary="`storage-opts` changes `dm.basesize`",
    message="`{option}` changes the base device size of the devicemapper driver, which once "
    "raised cannot be lowered and is easy to get wrong; remove it unless you manage devicemapper "
    "storage on purpose",
    rationale=(
        "The base device size sets how large every container's file system may grow under "
        "devicemapper. Raising it lets one container fill the pool; it cannot be reduced "
        "without recreating the storage. devicemapper itself is deprecated."
    ),
    bad='{\n  "storage-opts": ["dm.basesize=50G"]\n}\n',
    good='{\n  "storage-driver": "overlay2"\n}\n',
    kind="daemon",
)
def daemon_base_device_size_changed(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    options = model.get("storage-opts")
    for item in options.items if options is not None else ():
        if item.kind == "string" and item.value.strip().lower().startswith("dm.basesize"):
            yield ctx.finding(item.range, option=item.value)

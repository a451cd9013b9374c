"""What each Dockerfile instruction and flag does, in a sentence or two (hover and completion)."""

from __future__ import annotations

from dataclasses import dataclass

INSTRUCTIONS: dict[str, str] = {
    "FROM": "Starts a build stage on top of a base image (or `scratch`, an empty one). "
    "`AS name` names the stage so later stages can copy from it or build on it.",
    "RUN": "Runs a command in the stage's filesystem and keeps the result as a new layer. "
    "Shell form goes through the stage's shell; the JSON form runs the program directly.",
    "CMD": "The default command, or default arguments for the `ENTRYPOINT`, when a container "
    "starts without one. Only the last `CMD` of the final stage counts.",
    "LABEL": "Adds key-value metadata to the image config, such as "
    "`org.opencontainers.image.source`; it does not create a filesystem layer.",
    "MAINTAINER": "Sets the image's author field. Deprecated: use the "
    "`org.opencontainers.image.authors` label instead.",
    "EXPOSE": "Records which ports the application listens on. It publishes nothing by "
    "itself: `docker run -p` or a compose file does that.",
    "ENV": "Sets environment variables for the rest of the stage and for containers started "
    "from the image. Values stay visible in the image config.",
    "ADD": "Copies files into the image like `COPY`, but also downloads URLs and unpacks local "
    "tar archives. Prefer `COPY` unless you need one of those.",
    "COPY": "Copies files or folders from the build context (or from another stage with "
    "`--from`) into the image.",
    "ENTRYPOINT": "The program a container runs; `CMD` supplies its default arguments. In JSON "
    "form the program is PID 1 and receives stop signals directly.",
    "VOLUME": "Marks paths whose data lives outside the container's writable layer; changes to "
    "them in later build steps are discarded.",
    "USER": "Sets the user (and optionally group) for the following `RUN`, `CMD` and "
    "`ENTRYPOINT` instructions and for containers of the image.",
    "WORKDIR": "Sets the working directory for the following instructions, creating it if "
    "needed. Relative paths resolve against the previous `WORKDIR`.",
    "ARG": "Declares a build argument, set with `docker build --build-arg`. Before the first "
    "`FROM` it can be used in `FROM` lines; inside a stage it must be declared again.",
    "ONBUILD": "Registers an instruction to run later, when another Dockerfile builds `FROM` "
    "this image.",
    "STOPSIGNAL": "The signal `docker stop` sends to ask the container's main process to exit "
    "(default `SIGTERM`).",
    "HEALTHCHECK": "A command the engine runs periodically to decide whether the container is "
    "healthy; `HEALTHCHECK NONE` turns off one inherited from the base image.",
    "SHELL": "Replaces the shell used for the shell form of `RUN`, `CMD` and `ENTRYPOINT`, "
    "given as a JSON array (for example `[\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`).",
}


@dataclass(frozen=True)
class FlagInfo:
    name: str
    help: str
    takes_value: bool = True
    values: tuple[str, ...] = ()


FLAGS: dict[str, tuple[FlagInfo, ...]] = {
    "FROM": (FlagInfo("platform", "Build on the base image for this platform, e.g. `linux/amd64`."),),
    "RUN": (
        FlagInfo(
            "mount",
            "Mount a cache, secret, SSH agent, bind or tmpfs for this command only.",
            values=("type=cache", "type=secret", "type=ssh", "type=bind", "type=tmpfs"),
        ),
        FlagInfo("network", "Network access for this command.", values=("default", "none", "host")),
        FlagInfo("security", "Run with extra privileges (`insecure`) or the default sandbox.", values=("sandbox", "insecure")),
        FlagInfo("device", "Give this command access to a CDI device."),
    ),
    "COPY": (
        FlagInfo("from", "Copy from another stage (name or index) or an image instead of the context."),
        FlagInfo("chown", "Owner (`user:group`) of the copied files."),
        FlagInfo("chmod", "Permission bits of the copied files, e.g. `0644`."),
        FlagInfo("link", "Copy into an independent layer, so a base change does not invalidate it.", takes_value=False),
        FlagInfo("parents", "Keep the parent folders of the sources under the destination.", takes_value=False),
        FlagInfo("exclude", "Leave out paths matching this pattern."),
    ),
    "ADD": (
        FlagInfo("chown", "Owner (`user:group`) of the added files."),
        FlagInfo("chmod", "Permission bits of the added files, e.g. `0644`."),
        FlagInfo("link", "Add into an independent layer, so a base change does not invalidate it.", takes_value=False),
        FlagInfo("checksum", "Expected `sha256:` digest of a downloaded file; the build fails on a mismatch."),
        FlagInfo("keep-git-dir", "Keep the `.git` folder when adding a Git repository.", takes_value=False),
        FlagInfo("exclude", "Leave out paths matching this pattern."),
        FlagInfo("parents", "Keep the parent folders of the sources under the destination.", takes_value=False),
        FlagInfo("unpack", "Whether to unpack a downloaded archive (`true`/`false`).", values=("true", "false")),
    ),
    "HEALTHCHECK": (
        FlagInfo("interval", "Time between checks (default `30s`)."),
        FlagInfo("timeout", "How long one check may take before it counts as failed (default `30s`)."),
        FlagInfo("start-period", "Grace period after start when failures do not count (default `0s`)."),
        FlagInfo("start-interval", "Time between checks during the start period (default `5s`)."),
        FlagInfo("retries", "Failures in a row before the container is unhealthy (default `3`)."),
    ),
}

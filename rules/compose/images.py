"""Compose rules about what a service is made of: its image reference, and secrets written into
`environment:` or passed as build arguments. Secrets are reported masked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile, Variable


@rule(
    code="RT129",
    name="compose-image-unpinned",
    severity=Severity.WARNING,
    summary="`image:` without a tag, with `latest`, or without a digest when digests are required",
    message="`image: {image}` {why}, so every pull may run different code; pin a version tag "
    "(or a digest: `{image}@sha256:...`)",
    rationale=(
        "An image without a tag means `latest`, which moves with every push: two hosts pulling "
        "an hour apart can run different software, and a rollback has nothing to go back to. "
        "A version tag names a release; a digest names exact bytes (`require-digest: true` asks "
        "for digests everywhere). Services that `build:` their image are not reported."
    ),
    bad="services:\n  app:\n    image: nginx\n",
    good="services:\n  app:\n    image: nginx:1.27.3\n",
    kind="compose",
    tags=("base",),
)
def compose_image_unpinned(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.dockerfile import parse_image_ref

    for service in model.services:
        value = service.get("image")
        if value is None or not value.is_scalar or value.has_variable or service.lookup("build") is not None:
            continue
        ref = parse_image_ref(value.value.strip())
        if ref is None or ref.digest:
            continue
        if ref.tag is None:
            why = "has no tag and means `latest`"
        elif ref.tag == "latest":
            why = "uses the moving `latest` tag"
        elif ctx.config.require_digest:
            why = "is not pinned by digest (`require-digest` is on)"
        else:
            continue
        yield ctx.finding(value.at, image=value.value.strip(), why=why)


def _secret_in_value(var: Variable) -> tuple[Range, str] | None:
    """A secret in a variable: a credential-like name with a literal value, or a value that
    looks like a key or token; its range and masked form."""
    from docklint.rules.secrets import NON_SECRET_VALUE, is_secret_name
    from docklint.secrets import mask, scan_text

    if var.value is None or var.has_variable or not var.value.strip() or var.value_range is None:
        return None
    value = var.value.strip()
    if is_secret_name(var.name) and not NON_SECRET_VALUE.match(value):
        return var.value_range, mask(value, "a literal value")
    prefix = f'{var.name}="'
    for hit in scan_text(f'{prefix}{var.value}"'):
        if hit.start >= len(prefix) and not (hit.detector == "KeywordDetector" and not is_secret_name(var.name)):
            return var.value_range, hit.masked
    return None


@rule(
    code="RT130",
    name="compose-secret-in-environment",
    severity=Severity.ERROR,
    summary="`environment:` holds a literal secret",
    message="`{name}` is set to {secret} in `environment:`, readable by anyone with the file or "
    "`docker inspect`; use `secrets:`, or `${{{name}}}` from an env file kept out of version control",
    rationale=(
        "Values written in a compose file end up in version control, in CI logs and in the "
        "container's config, where `docker inspect` prints them. Compose secrets mount the "
        "value as a file readable only inside the container, and variable interpolation keeps "
        "it in an untracked `.env` file. Secrets are reported masked."
    ),
    bad="services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: s3cr3t-Pa55word\n",
    good="services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n"
    "    secrets: [db_password]\nsecrets:\n  db_password:\n    file: ./db_password.txt\n",
    kind="compose",
    tags=("secret",),
)
def compose_secret_in_environment(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import variables

    for service in model.services:
        for var in variables(service.get("environment")):
            found = _secret_in_value(var)
            if found is not None:
                yield ctx.finding(found[0], name=var.name, secret=found[1])


@rule(
    code="RT131",
    name="compose-build-arg-secret",
    severity=Severity.WARNING,
    summary="`build.args` passes a secret into the image build",
    message="`{name}` {what} as a build argument, and build arguments stay readable in the "
    "image history; pass it as a build secret (`build.secrets` and `RUN --mount=type=secret`)",
    rationale=(
        "Build arguments are recorded in the image: `docker history` shows the value of every "
        "argument a `RUN` step used, to anyone who can pull the image. Build secrets hand the "
        "value to the one step that needs it without writing it anywhere. An argument named "
        "like a credential is reported even without a value here, since Compose then takes it "
        "from the environment."
    ),
    bad="services:\n  app:\n    build:\n      context: .\n      args:\n        NPM_TOKEN: ${NPM_TOKEN}\n",
    good="services:\n  app:\n    build:\n      context: .\n      secrets: [npm_token]\nsecrets:\n  npm_token:\n    environment: NPM_TOKEN\n",
    kind="compose",
    tags=("secret",),
)
def compose_build_arg_secret(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import variables
    from docklint.rules.secrets import NON_SECRET_VALUE, is_secret_name

    for service in model.services:
        build = service.get("build")
        if build is None or not build.is_mapping:
            continue
        for var in variables(build.get("args")):
            literal = _secret_in_value(var)
            if literal is not None:
                yield ctx.finding(literal[0], name=var.name, what=f"passes {literal[1]}")
            elif is_secret_name(var.name) and not (var.value and NON_SECRET_VALUE.match(var.value.strip())):
                yield ctx.finding(var.name_range, name=var.name, what="names a credential and passes it")

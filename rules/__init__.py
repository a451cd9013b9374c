"""dlint's rules, one module per family. The registry imports the modules listed here."""

FAMILIES: tuple[str, ...] = (
    "docklint.rules.syntax",
    "docklint.rules.base_images",
    "docklint.rules.base_images.registries",
    "docklint.rules.base_images.lifecycle",
    "docklint.rules.base_images.remote",
    "docklint.rules.users",
    "docklint.rules.instructions",
    "docklint.rules.stages",
    "docklint.rules.secrets",
    "docklint.rules.context_rules",
    "docklint.rules.ports",
    "docklint.rules.buildkit",
    "docklint.rules.correctness",
    "docklint.rules.process",
    "docklint.rules.variables",
    "docklint.rules.labels",
    "docklint.rules.style",
    "docklint.rules.shell_commands",
    "docklint.rules.pipefail",
)

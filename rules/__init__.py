"""dlint's rules, one module per family. The registry imports the modules listed here."""

FAMILIES: tuple[str, ...] = (
    "docklint.rules.syntax",
    "docklint.rules.base_images",
    "docklint.rules.users",
    "docklint.rules.instructions",
    "docklint.rules.stages",
    "docklint.rules.secrets",
    "docklint.rules.context_rules",
    "docklint.rules.buildkit",
    "docklint.rules.correctness",
    "docklint.rules.process",
)

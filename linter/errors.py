"""Errors that reach the user as one line: `dlint: error: <message>`."""


class DlintError(Exception):
    """Base class: the message is one line a person can act on."""


class ConfigError(DlintError):
    """A configuration file or option is wrong (the message names file, line and key)."""


class InputError(DlintError):
    """An input cannot be read (missing file, not text, not an image archive)."""


class UsageError(DlintError):
    """The command line is wrong."""

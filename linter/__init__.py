"""dlint: a security-minded linter for Dockerfiles, container images and their runtime config."""

__version__ = "0.1.0"

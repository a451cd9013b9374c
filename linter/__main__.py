"""Entry point for `python -m docklint`."""

from docklint.cli import main

raise SystemExit(main())

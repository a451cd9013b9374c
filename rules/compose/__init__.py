"""Compose rules (RT100-RT149): one module per concern, with the YAML edit helpers in `edits.py`."""

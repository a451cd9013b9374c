"""Rules for the Docker daemon's `daemon.json` (RT150-RT199), after CIS Docker Benchmark section 2.

A key the file does not set means dockerd's default, and a finding about it points at the
object's opening brace. Fixes set a value in place, or add the key after the last one with the
file's indentation and line ending (`edits.py`).
"""

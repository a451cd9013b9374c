"""bashlex is imported lazily, with pregenerated parser tables that match the installed bashlex."""

from __future__ import annotations

import subprocess
import sys

from docklint.model.shell_yacc import grammar_key

SCRIPTS = [
    "set -eux; a=$(b c) && d | e || (f; g) > h 2>&1",
    "if [ -f x ]; then y; elif z; then w; else v; fi; for i in 1 2; do echo $i; done",
    "while read l; do echo \"$l\"; done < f; f() { x; }; { a; b; } | c",
    "cat <<EOF > /x\nhello $y\nEOF\n",
    "echo `id -u` $'a\\tb' \"$(printf '%s' \"$x\")\"",
]


def _dump(module_code: str) -> str:
    code = (
        f"{module_code}\n"
        "import json, sys\n"
        f"scripts = {SCRIPTS!r}\n"
        "print(json.dumps([[t.dump() for t in bashlex.parse(s)] for s in scripts]))\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_tables_match_installed_bashlex() -> None:
    from docklint.model import shell_tables

    assert shell_tables.KEY == grammar_key(), "bashlex changed: run `python -m docklint.model.shell_yacc`"


def test_pregenerated_tables_parse_like_bashlex() -> None:
    fast = _dump(
        "from docklint.model.shell_yacc import import_bashlex\n"
        "bashlex = import_bashlex()\n"
    )
    plain = _dump("import bashlex")
    assert fast == plain and fast.strip() != "[]"


def test_fast_path_is_taken_and_bashlex_stays_lazy() -> None:
    code = (
        "import sys\n"
        "from docklint.model.dockerfile import parse\n"
        "df = parse('FROM x\\nRUN apt-get install -y $PACKAGE\\n')\n"
        "assert 'bashlex' not in sys.modules\n"
        "assert [c.name for c in df.commands()] == ['apt-get']\n"  # `$` needs bashlex (shell_simple declines)
        "assert 'docklint.model.shell_tables' in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr

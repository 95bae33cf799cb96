"""Run the plugin tutorial (docs/plugins/README.md) as written, in an empty temporary folder.

Every ```sh block from the tutorial heading on runs in order in one bash script, and every
block marked `<!-- file: NAME -->` is written to NAME where it appears, so the walk-through has
to work from an empty folder with nothing but what it shows. The one substitution:
`pip install rulewright ...` installs rulewright from this checkout (offline: pip's configured
indexes only). Run by .ci/run; `python3 .ci/tutorial.py --print` shows the script instead.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins" / "README.md"
BLOCK = re.compile(r"(?:<!-- file: (\S+) -->\n)?```(\w+)\n(.*?)```", flags=re.S)
MARKER = "RULEWRIGHT_TUTORIAL_FILE_END"


def script(guide: str) -> str:
    tutorial = guide[guide.index("## Tutorial") :]
    steps = ["set -euo pipefail", "set -x"]
    for name, lang, body in BLOCK.findall(tutorial):
        if name:
            assert MARKER not in body
            path = shlex.quote(name)
            steps.append(f"mkdir -p \"$(dirname {path})\"\ncat > {path} <<'{MARKER}'\n{body}{MARKER}")
        elif lang == "sh":
            local = shlex.quote(str(ROOT))
            steps.append(re.sub(r"^pip install rulewright ", f"pip install {local} ", body, flags=re.M))
    return "\n".join(steps) + "\n"


def main() -> int:
    text = script(GUIDE.read_text(encoding="utf-8"))
    if "--print" in sys.argv:
        print(text, end="")
        return 0
    assert f"pip install {shlex.quote(str(ROOT))} " in text, "the tutorial no longer installs rulewright"
    # Nothing of the caller's environment may help: no active venv, no rulewright settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RULEWRIGHT_", "VIRTUAL_ENV", "PYTHON"))}
    with tempfile.TemporaryDirectory(prefix="rulewright-tutorial-") as folder:
        return subprocess.run(["bash", "-c", text], cwd=folder, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())

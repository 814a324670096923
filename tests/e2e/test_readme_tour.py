"""README's tour, run as a user would: its commands, in one shell, in an empty folder.

Each command must succeed and print the lines README shows under it, in order (`...` stands
for lines left out), so README and the tool cannot drift apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GAP = "..."
MARK = "@@lexsync-tour-command"


def tour() -> list[tuple[str, list[str]]]:
    """(command, the output README shows for it) for each `$ ` line of the tour's block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A tour"):]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block, "README's tour has no console block"
    steps: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before the first command: {line!r}"
            steps[-1][1].append(line.rstrip())
    return steps


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether `printed` is `shown`, with each `...` standing for any lines (none included)."""
    pattern = "".join(r"(?:.*\n)*?" if line == GAP else re.escape(line) + r"\n" for line in shown)
    return re.fullmatch(pattern, "".join(line + "\n" for line in printed)) is not None


def test_matches_reads_gaps_as_any_lines() -> None:
    assert matches(["a", GAP, "c"], ["a", "b", "b", "c"])
    assert matches(["a", GAP], ["a"])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["a", GAP, "c"], ["a", "b"])


def test_readme_tour_runs_as_written(tmp_path: Path) -> None:
    steps = tour()
    assert sum(command.startswith("lexsync apply") for command, _ in steps) >= 2
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "lexsync").exists(), "the lexsync command is not installed beside python"
    assert shutil.which("perl"), "the tour edits the configuration with perl"
    script = "".join(f"echo {MARK}\n{command}\necho \"{MARK} $?\"\n" for command, _ in steps)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LEADEXEC_", "LEXSYNC_", "ACME_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1",
               PYTHONUNBUFFERED="1", COLUMNS="200")
    # One stream, as a terminal shows it.
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=300)
    chunks = run.stdout.split(f"{MARK}\n")[1:]
    assert len(chunks) == len(steps), run.stdout
    for (command, shown), chunk in zip(steps, chunks, strict=True):
        printed, _, status = chunk.rpartition(f"{MARK} ")
        assert status.strip() == "0", f"$ {command}\n{printed}"
        assert "Traceback" not in printed
        lines = printed.splitlines()
        assert matches(shown, lines), (f"$ {command}\nREADME shows:\n" + "\n".join(shown)
                                       + "\n\nit printed:\n" + printed)

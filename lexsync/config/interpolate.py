"""`${env:NAME}` and `${file:path}` inside string values; `$${` is a literal `${`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lexsync.config.positions import Locator
from lexsync.errors import Diagnostic

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}")
MAX_INCLUDED_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Sources:
    """Where interpolated values come from for one file."""

    environ: Mapping[str, str]
    base_dir: Path  # the directory of the file being interpolated
    root: Path  # files outside this directory are refused ...
    allow_outside_files: bool = False  # ... unless this is set


def interpolate(data: object, positions: Locator, sources: Sources) -> tuple[object, list[Diagnostic]]:
    """`data` with every string value interpolated, and the problems found.

    Containers are changed in place (the reader builds fresh ones for every path, aliases
    included): copying every container of a large network cost more than the few values
    that mention `${`."""
    problems: list[Diagnostic] = []

    def expand(text: str, path: tuple) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            result, problem = _resolve(match.group(1), sources)
            if problem:
                problems.append(Diagnostic(problem, positions.locate(path)))
            return result

        return _TOKEN.sub(replace, text)

    def walk(container: dict | list, path: tuple) -> None:
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, str):
                if "${" in value:
                    container[key] = expand(value, (*path, key))  # type: ignore[index]
            elif isinstance(value, (dict, list)):
                walk(value, (*path, key))

    if isinstance(data, str):
        return (expand(data, ()) if "${" in data else data), problems
    if isinstance(data, (dict, list)):
        walk(data, ())
    return data, problems


def _resolve(reference: str, sources: Sources) -> tuple[str, str | None]:
    """The text for one `${kind:arg}`, or an empty string and the problem."""
    kind, sep, arg = reference.partition(":")
    kind, arg = kind.strip(), arg.strip()
    if not sep or kind not in ("env", "file") or not arg:
        return "", (f"cannot interpolate '${{{reference}}}': use ${{env:NAME}} or ${{file:path}}"
                    " (write $${ for a literal ${)")
    if kind == "env":
        if arg not in sources.environ:
            return "", f"environment variable {arg} is not set (referenced as ${{env:{arg}}})"
        return sources.environ[arg], None
    return _read_file(arg, sources)


def _read_file(arg: str, sources: Sources) -> tuple[str, str | None]:
    target = (sources.base_dir / arg).resolve()
    if not sources.allow_outside_files and not target.is_relative_to(sources.root.resolve()):
        return "", (f"${{file:{arg}}} points outside the configuration directory "
                    f"{sources.root} (allow_outside_files is off)")
    try:
        if target.stat().st_size > MAX_INCLUDED_BYTES:
            return "", f"${{file:{arg}}} is larger than 5 MB"
        content = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", f"file {arg} not found (referenced as ${{file:{arg}}}, looked at {target})"
    except (OSError, UnicodeDecodeError) as exc:
        return "", f"cannot read {arg} (referenced as ${{file:{arg}}}): {exc}"
    # A secret file usually ends with one newline the value must not contain.
    if content.endswith("\r\n"):
        content = content[:-2]
    elif content.endswith("\n"):
        content = content[:-1]
    return content, None

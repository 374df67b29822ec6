"""The watchlist file as data: ${VAR} and ${file:PATH} interpolated, errors placed at file:line.

Every error names the file, the line and the key path, because the person reading it is editing
that file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from worker.errors import ConfigError

_ENV_VAR = re.compile(r"\$\{(?:file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*))\}")


def interpolate(value: Any, path: Path, root: yaml.Node | None, loc: tuple[Any, ...]) -> Any:
    """Replace ${VAR} and ${file:PATH} in strings; a missing variable or file is an error."""
    if isinstance(value, dict):
        return {k: interpolate(v, path, root, (*loc, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, path, root, (*loc, i)) for i, v in enumerate(value)]
    if isinstance(value, str):
        return _ENV_VAR.sub(lambda match: _secret(match, where(path, root, loc), dotted(loc)), value)
    return value


def _secret(match: re.Match[str], where: str, key: str) -> str:
    """The value of ${VAR} from the environment or of ${file:PATH} from a file (trailing newline cut)."""
    file_name, variable = match.group(1), match.group(2)
    if variable is not None:
        if variable not in os.environ:
            raise ConfigError(f"{where}: {key} uses ${{{variable}}}, which is not set in the "
                              f"environment: set {variable} or remove it")
        return os.environ[variable]
    try:
        return Path(file_name.strip()).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{where}: {key} reads {file_name.strip()}, which cannot be read "
                          f"({reason})") from None


def describe(exc: ValidationError, path: Path, root: yaml.Node | None) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s) in the watchlist"]
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key: remove it or check its spelling"
        elif err["type"] == "missing":
            message = "required key is missing"
        lines.append(f"  {where(path, root, loc)}: {dotted(loc) or '(top level)'}: {message}")
    return "\n".join(lines)


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the tried member type (e.g. "str", "CustomMetric") to a union's error path
    return isinstance(part, str) and (part[:1].isupper() or part in {"str", "function-before"})


def dotted(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def where(path: Path, root: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    """`file:line` of the deepest YAML node on the key path that exists."""
    node = root
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return f"{path}:{node.start_mark.line + 1}" if node is not None else str(path)


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                found: yaml.Node = key if isinstance(value, yaml.ScalarNode) and value.value == "" \
                    else value
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item
    return None

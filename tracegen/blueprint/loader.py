"""Load a blueprint file (YAML or HCL) into a validated `LoadedBlueprint` with source positions."""

from __future__ import annotations

import math
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from tracegen.blueprint.merge import deep_merge, leaf_paths, replaced_by
from tracegen.blueprint.model import Blueprint, Platform
from tracegen.blueprint.source import Path, SourceMap, parse_yaml
from tracegen.errors import BlueprintError

MAX_BYTES = 5 * 1024 * 1024
MAX_ERRORS = 20


@dataclass(frozen=True)
class EnvironmentView:
    """One environment with its overrides merged in: what planning and most rules look at."""

    name: str
    blueprint: Blueprint
    platform: Platform
    overridden: frozenset[Path] = frozenset()

    def backends(self) -> dict[str, Any]:
        """Backends this environment exports to (a backend naming no environment serves all)."""
        return {name: backend for name, backend in sorted(self.blueprint.backends.items())
                if not backend.environments or self.name in backend.environments}


@dataclass
class LoadedBlueprint:
    file: str
    blueprint: Blueprint
    source: SourceMap
    raw: dict[str, Any]
    environments: dict[str, EnvironmentView] = field(default_factory=dict)

    def locate(self, path: Path, environment: str | None = None) -> tuple[int, int] | None:
        """Position of a model path; inside an environment, its override wins when it set the value."""
        path = tuple(path)
        view = self.environments.get(environment) if environment is not None else None
        if view and replaced_by(path, view.overridden):
            return self.source.locate(("environments", environment, "overrides") + path)
        return self.source.locate(path)


def read_text(path: FsPath) -> str:
    """The file's text. Only a regular file is read: a directory, FIFO, socket or device is refused
    before it is opened (opening a FIFO would wait for a writer forever)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise BlueprintError(f"is {_file_kind(info.st_mode)}, not a blueprint file", str(path))
        if info.st_size > MAX_BYTES:
            raise BlueprintError(f"the file is {info.st_size} bytes; blueprints are at most {MAX_BYTES}", str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise BlueprintError("no such file", str(path)) from None
    except OSError as exc:
        raise BlueprintError(f"cannot read: {exc.strerror}", str(path)) from None
    if b"\x00" in data:
        raise BlueprintError("binary data (NUL bytes); a blueprint is UTF-8 text", str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = len(data[data.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")) + 1
        raise BlueprintError("not UTF-8 text", str(path), line, column) from None


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a regular file"


def parse(text: str, file: str) -> tuple[Any, SourceMap]:
    if file.endswith((".hcl", ".tf")):
        from tracegen.blueprint.hcl import parse_hcl   # only HCL blueprints pay for its import

        return parse_hcl(text, file)
    return parse_yaml(text, file)


def _raw_path(loc: tuple, raw: Any) -> tuple[Path, str]:
    """Follow a pydantic `loc` through the raw data, skipping union tags that are not data keys."""
    path: list[str | int] = []
    node = raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and node.get("type") == part:
            continue  # discriminated union: pydantic names the variant
        elif node is not None and not isinstance(node, (dict, list)):
            continue  # a scalar tried against several types
        else:
            node = None
        path.append(part)
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return tuple(path), dotted


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{error['loc'][-1]}'"
    if kind == "missing":
        return f"'{error['loc'][-1]}' is required"
    message = error["msg"]
    return message[len("Value error, "):] if message.startswith("Value error, ") else message


def _schema_error(errors: list, raw: Any, source: SourceMap, where_in_file) -> BlueprintError:
    """One positioned error for pydantic's `errors` (ValidationError.errors()), the rest attached."""
    problems = []
    file = source.file
    for error in errors:
        path, dotted = _raw_path(error["loc"], raw)
        if error["type"] == "missing":
            path = path[:-1]  # point at the mapping that lacks the key
        position = source.locate(where_in_file(path)) or (None, None)
        message = _message(error)
        written = source.texts.get(where_in_file(path))
        if error["type"] == "string_type" and written is not None:
            message = f"{_echo(written)} reads as {_kind(written)}; write it in quotes for text"
        message = f"{dotted}: {message}" if dotted else message
        if (position, message) not in problems:
            problems.append((position, message))
    problems.sort(key=lambda item: (item[0][0] or 0, item[0][1] or 0))
    (line, column), first = problems[0]
    more = [BlueprintError(message, file, *position) for position, message in problems[1:MAX_ERRORS]]
    return BlueprintError(first, file, line, column, more)


def _echo(written: str) -> str:
    """The value as written, when short enough that it cannot be a credential (`1.10`, `NO`)."""
    return written if len(written) <= 10 else "the value"


def _kind(written: str) -> str:
    if written.lower() in ("true", "false"):
        return "a boolean"
    return "null" if written in ("", "~", "null", "Null", "NULL") else "a number"


def _validate(data: Any, source: SourceMap, where_in_file=lambda path: path) -> Blueprint:
    try:
        return Blueprint.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc.errors(include_input=False, include_url=False), data, source, where_in_file) from None


def _refuse_ambiguous_numbers(data: Any, source: SourceMap) -> None:
    """In a list of match values (a tail policy's `values`, which takes text and numbers alike), a
    number written other than plainly (`1.10`, `017`, `1e3`) was most likely meant as text: YAML and
    HCL read it as a number and the written form is lost. Refuse it and ask for quotes."""
    for path, written in sorted(source.texts.items(), key=lambda item: source.positions.get(item[0], (0, 0))):
        if len(path) < 2 or path[-2] != "values" or not isinstance(path[-1], int):
            continue
        value = _at(data, path)
        if (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                and written.lstrip("+") != repr(value)):
            raise source.error(f"{_echo(written)} reads as the number {_echo(repr(value))}; write it in quotes "
                               "for text, or plainly for the number", path)


def _at(data: Any, path: Path) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _with_overrides(blueprint: Blueprint, data: dict[str, Any], overrides: dict[str, Any], source: SourceMap,
                    where_in_file) -> Blueprint:
    """The blueprint as one environment sees it. Overrides touch only whole top-level sections
    (model.OVERRIDABLE) and the Blueprint model has no validator across sections, so only the
    sections an environment overrides are merged and validated again; the rest (the services above
    all) are the top level's, not copied and validated once per environment."""
    if not overrides:
        return blueprint
    merged = dict(data)
    effective = blueprint.model_copy()
    for section, value in overrides.items():
        if value is None:
            merged.pop(section, None)
        else:
            merged[section] = deep_merge(data.get(section), value)
    errors: list = []
    for section in overrides:
        field = Blueprint.model_fields[section]
        value = merged[section] if section in merged else field.get_default(call_default_factory=True)
        try:
            Blueprint.__pydantic_validator__.validate_assignment(effective, section, value)
        except ValidationError as exc:
            errors += exc.errors(include_input=False, include_url=False)
    if errors:
        raise _schema_error(errors, merged, source, where_in_file)
    return effective


def load_text(text: str, file: str) -> LoadedBlueprint:
    data, source = parse(text, file)
    if not isinstance(data, dict):
        raise source.error(f"the blueprint must be a mapping of sections, not {type(data).__name__}")
    _refuse_ambiguous_numbers(data, source)
    blueprint = _validate(data, source)
    loaded = LoadedBlueprint(file=file, blueprint=blueprint, source=source, raw=data)
    for name, environment in blueprint.environments.items():
        overrides = data["environments"][name].get("overrides") or {}
        overridden = frozenset(leaf_paths(overrides))

        def where_in_file(path: Path, _name=name, _over=overridden) -> Path:
            if replaced_by(path, _over):
                return ("environments", _name, "overrides") + tuple(path)
            return tuple(path)

        effective = _with_overrides(blueprint, data, overrides, source, where_in_file)
        loaded.environments[name] = EnvironmentView(name, effective, environment.platform, overridden)
    from tracegen.blueprint.references import check_references

    check_references(loaded)
    return loaded


def load(path: str | FsPath) -> LoadedBlueprint:
    """Read, parse and validate a blueprint. Raises BlueprintError pointing at file:line:col."""
    path = FsPath(path)
    return load_text(read_text(path), str(path))

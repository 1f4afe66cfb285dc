"""Rule tables shipped with the package as TOML data files, read with `tomllib`.

The blameless-language rules (`lint/blameless_rules.toml`) and the keyword rules of
`pmanalytics migrate` (`tools/migrate_rules.toml`) are data, so that the documentation can
be generated from them. A file that cannot be used raises `RulesError` naming the file
and what to fix: a rule never goes missing silently.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from pmanalytics.errors import PmanalyticsError


class RulesError(PmanalyticsError):
    """A rules data file is malformed (after an edit); the message names the file and the entry."""


def read_rules(package: str, name: str) -> dict[str, Any]:
    """The table of the data file `name` of `package` (e.g. "pmanalytics.lint", "blameless_rules.toml")."""
    path = f"{package.replace('.', '/')}/{name}"
    try:
        return tomllib.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from exc


_KINDS = {str: "non-empty text", list: "non-empty list", dict: "non-empty table", int: "whole number"}


def entry(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    """`table[key]`, which must be a `kind` (str, list, dict: not empty; int); `where` names the
    file and the table for the error."""
    value = table.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is not int and not value):
        raise RulesError(f"{where}: `{key}` must be a {_KINDS[kind]}")
    return value

"""The documentation keeps up with the code: every command and every column is described."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from pmanalytics.cli import cli
from pmanalytics.ingest.store import schema_sql

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA_DOC = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def _tables() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for name, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", schema_sql(), re.S):
        tables[name] = [line.split()[0] for line in body.strip().splitlines() if line.strip()]
    return tables


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help(command: str) -> None:
    assert cli.commands[command].help, f"`pmanalytics {command}` has no help text"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_in_readme(command: str) -> None:
    assert f"pmanalytics {command}" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help(command: str) -> None:
    for param in cli.commands[command].params:
        if isinstance(param, click.Option):
            assert param.help, f"--{param.name} of `pmanalytics {command}` has no help"


def test_schema_is_parsed() -> None:
    assert {"postmortems", "actions", "loads"} <= set(_tables())


@pytest.mark.parametrize("table", sorted(_tables()))
def test_every_table_and_column_is_documented(table: str) -> None:
    assert f"`{table}`" in SCHEMA_DOC, f"table {table} missing from docs/schema.md"
    for column in _tables()[table]:
        assert f"`{column}`" in SCHEMA_DOC, f"column {table}.{column} missing from docs/schema.md"


def test_figures_doc_is_generated_from_the_definitions() -> None:
    from pmanalytics.metrics.definitions import markdown

    assert (ROOT / "docs" / "figures.md").read_text(encoding="utf-8") == markdown(), (
        "regenerate it: python -m pmanalytics.metrics.definitions > docs/figures.md"
    )


def test_every_definition_has_both_languages() -> None:
    from pmanalytics.metrics.definitions import DEFINITIONS

    for item in DEFINITIONS:
        assert item.en and item.fr and item.name_en and item.name_fr, item.key
        assert item.en != item.fr, item.key

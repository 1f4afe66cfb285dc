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


# --- README, docs/corpus.md, docs/architecture.md --------------------------------------------------------------

README_MAX_BYTES = 10_240
CORPUS_SECTIONS = ("1", "1.1", "1.2", "1.3", "2", "3", "3.1", "4", "4.1", "4.2", "4.3", "4.4", "5")
NOT_MODULES = {"pmanalytics.toml", "pmanalytics.duckdb"}  # file names that read like dotted module names


def test_readme_stays_short() -> None:
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size:,} bytes: move reference material to docs/"


def test_corpus_doc_has_the_numbered_sections_code_cites() -> None:
    text = (ROOT / "docs" / "corpus.md").read_text(encoding="utf-8")
    numbers = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", text, re.M)
    assert tuple(numbers) == CORPUS_SECTIONS


def _named_modules(text: str) -> set[str]:
    """The module files `text` names, as `pmanalytics/x/y.py` paths or dotted `pmanalytics.x.y` names
    (a dotted package stands for its `__init__.py`)."""
    paths = set(re.findall(r"\bpmanalytics/[\w/]*\w\.py\b", text))
    for dotted in set(re.findall(r"\bpmanalytics(?:\.\w+)+", text)) - NOT_MODULES:
        base = dotted.replace(".", "/")
        paths.add(f"{base}/__init__.py" if (ROOT / base).is_dir() else f"{base}.py")
    return paths


def test_named_modules_reads_paths_and_dotted_names() -> None:
    text = ("`pmanalytics/cli.py` calls `pmanalytics.metrics.scope`; `pmanalytics.corpus` reads "
            "`pmanalytics.toml`, see pmanalytics/ingest/schema.sql.")
    assert _named_modules(text) == {
        "pmanalytics/cli.py", "pmanalytics/metrics/scope.py", "pmanalytics/corpus/__init__.py",
    }


def test_architecture_names_only_modules_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = sorted(path for path in _named_modules(text) if not (ROOT / path).is_file())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"


def test_architecture_names_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "pmanalytics").rglob("*.py")}
    unnamed = sorted(modules - _named_modules(text))
    assert not unnamed, f"add a line for each to docs/architecture.md: {unnamed}"


DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    targets = re.findall(r"\]\(([^)#\s]+)[^)]*\)", page.read_text(encoding="utf-8"))
    broken = [target for target in targets if "://" not in target and not (page.parent / target).exists()]
    assert not broken, f"{page.name} links to missing files: {broken}"


def test_blameless_doc_is_generated_from_the_rules() -> None:
    from pmanalytics.lint.blameless_rules import markdown

    assert (ROOT / "docs" / "blameless.md").read_text(encoding="utf-8") == markdown(), (
        "regenerate it: python -m pmanalytics.lint.blameless_rules > docs/blameless.md"
    )


def test_blameless_doc_shows_every_rule_and_its_rewordings() -> None:
    from pmanalytics.lint.blameless import SUGGESTIONS

    doc = (ROOT / "docs" / "blameless.md").read_text(encoding="utf-8")
    for rule, wordings in SUGGESTIONS.items():
        assert f"### `{rule}`" in doc
        assert wordings["en"] in doc and wordings["fr"] in doc, rule


def test_migrate_doc_tables_are_generated_from_the_rules() -> None:
    from pmanalytics.tools.migrate_rules import update

    text = (ROOT / "docs" / "migrate.md").read_text(encoding="utf-8")
    assert update(text) == text, "regenerate them: python -m pmanalytics.tools.migrate_rules docs/migrate.md"

"""The `pmanalytics` command: a thin layer over the library.

Each command calls one library function and prints its result. A user mistake
(:class:`PmanalyticsError`) becomes one line on stderr and exit status 2; a traceback
is shown only with `--debug`.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pmanalytics import __version__
from pmanalytics.corpus.records import Problem, one_line
from pmanalytics.errors import PmanalyticsError

if TYPE_CHECKING:
    from pmanalytics.ingest.pipeline import LoadReport

MAX_PROBLEMS_AFTER_LOAD = 20
USER_ERROR_EXIT = 2

stderr = Console(stderr=True)


class _Group(click.Group):
    """Turns library errors into one clean line unless --debug is given."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PmanalyticsError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"pmanalytics: error: {exc}", err=True)
            ctx.exit(USER_ERROR_EXIT)
        except MemoryError:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo("pmanalytics: error: out of memory (a load is all or nothing: the database is as it was); "
                       "raise the memory limit, or split large exports into NDJSON files", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmanalytics")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Analytics for blameless postmortems: load a corpus into DuckDB, check it, report on it."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


CORPUS = click.argument("corpus", type=click.Path(path_type=Path, readable=False))
DB = click.option(
    "--db", type=click.Path(path_type=Path), default=None,
    help="Database file (default: $PMANALYTICS_DB, else ~/.local/share/pmanalytics/pmanalytics.duckdb).",
)
SETTINGS = click.option(
    "--settings", type=click.Path(path_type=Path), default=None,
    help="A pmanalytics.toml to use instead of the corpus's own (for a corpus you cannot write to).",
)
WORKERS = click.option("--workers", type=click.IntRange(min=1), default=None,
                       help="Parser processes (default: one per core).")


@cli.command("load")
@CORPUS
@DB
@SETTINGS
@WORKERS
@click.option("--strict", is_flag=True, help="Exit 1 when any file or row was rejected.")
def load_command(
    corpus: Path, db: Path | None, settings: Path | None, workers: int | None, strict: bool
) -> None:
    """Load the postmortems of CORPUS into the database, replacing what it held.

    Bad files are reported and left out; the rest loads. The previous database stays
    intact until the new one is complete.
    """
    from pmanalytics.ingest.pipeline import load

    with _progress("Loading") as (progress, on_total):
        report = load(corpus, db, settings=settings, workers=workers, progress=progress,
                      on_total=on_total)
    _print_errors(report.problems)
    _print_summary(report)
    if strict and report.rejected:
        sys.exit(1)


@cli.command("check")
@CORPUS
@SETTINGS
@WORKERS
@click.option("--format", "output_format", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True,
              help="One `path:line: level: message` line per problem, JSON, or GitHub Actions annotations.")
@click.option("--blameless", is_flag=True,
              help="Also flag sentences that blame people, with a systemic rewording; exit 1 if any.")
def check_command(
    corpus: Path, settings: Path | None, workers: int | None, output_format: str, blameless: bool
) -> None:
    """Validate CORPUS without writing anything; exit 1 when any file is rejected.

    Each problem is printed as `path:line: error|warning: message`, the format that
    editors and CI systems annotate. With --blameless, each blaming sentence is one more
    warning line, so a team can lint drafts before publishing them.
    """
    from pmanalytics.ingest.pipeline import check, check_blameless

    if blameless:
        report, findings = check_blameless(corpus, settings=settings, workers=workers)
        problems = [*report.problems, *_finding_problems(findings)]
    else:
        report, findings = check(corpus, settings=settings, workers=workers), None
        problems = list(report.problems)
    if output_format == "json":
        click.echo(json.dumps({"counts": report.counts, "problems": [_problem_json(p) for p in problems],
                               "not_read": report.not_read, "not_read_paths": list(report.not_read_paths)},
                              ensure_ascii=False, indent=2))
    elif output_format == "github":
        for problem in problems:
            click.echo(github_annotation(problem, corpus))
        found = f", {len(findings)} blameless findings" if findings is not None else ""
        click.echo(_counts_line(report) + found, err=True)
    else:
        for problem in problems:
            click.echo(str(problem))
        _print_reasons(problems, report, corpus)
        found = f", {len(findings)} blameless findings" if findings is not None else ""
        click.echo(_counts_line(report) + found, err=True)  # last, as every run ends (docs/corpus.md 5)
    if report.rejected or (findings is not None and len(findings)):
        sys.exit(1)


def github_annotation(problem: Problem, corpus: Path) -> str:
    """`::error file=…,line=…::message`, a workflow command GitHub Actions shows on the file's line.

    The file is the corpus path joined with the problem's, relative to the working directory
    (the repository root in a workflow). What GitHub's command syntax reserves is escaped its
    way (`%`, CR, LF, and in properties `:` and `,`), then every other control character ours
    (`one_line`), so a file name or a message can never end the command or drive a terminal.
    """
    path = os.path.normpath(corpus / problem.path)
    if os.path.isabs(path):
        path = os.path.relpath(path) if Path(path).is_relative_to(Path.cwd()) else path
    properties = f"file={_github_property(Path(path).as_posix())}"
    if problem.line:
        properties += f",line={problem.line}"
    return f"::{problem.level} {properties}::{_github_data(problem.message)}"


def _github_data(text: str) -> str:
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def _print_reasons(problems: list[Problem], report: LoadReport, corpus: Path) -> None:
    """The summary by reason on stderr, just before the counts line (see `ingest.reasons`)."""
    from pmanalytics.ingest.reasons import summary_lines

    for line in summary_lines(problems, report.not_read_paths, corpus):
        click.echo(line, err=True)


def _finding_problems(findings: Any) -> list[Problem]:
    """Blameless findings as warning lines: `path:line: warning: blameless/<rule>: "…" → suggestion`."""
    return [
        Problem(row.source_path, int(row.line) if row.line is not None else None, "warning",
                f'blameless/{row.rule}: "{" ".join(str(row.sentence).split())}" → {row.suggestion}', "blameless")
        for row in findings.itertuples(index=False)
    ]


@cli.command("sample")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--count", type=click.IntRange(min=0), default=300, show_default=True,
              help="Number of postmortems to write.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed; same seed, same bytes.")
@click.option("--end-quarter", default=None,
              help="Last quarter of the corpus, e.g. 2026Q3 (default: the last full quarter).")
@click.option("--quarters", type=click.IntRange(min=1), default=8, show_default=True,
              help="How many quarters the corpus spans.")
def sample_command(out: Path, count: int, seed: int, end_quarter: str | None, quarters: int) -> None:
    """Write a synthetic corpus of COUNT postmortems into OUT (for demos, tests, benchmarks)."""
    from pmanalytics.tools.sample import write_sample

    try:
        summary = write_sample(out, count=count, seed=seed, end_quarter=end_quarter, quarters=quarters)
    except ValueError as exc:
        raise PmanalyticsError(str(exc)) from None
    click.echo(f"wrote {summary.postmortems} postmortems into {out}")


@cli.command("metrics")
@DB
@click.option("--period", default=None,
              help="2026, 2026Q1, 2026-03, 2026Q1..2026Q4, 2026-01-01..2026-03-31, last-quarter, last-year, "
                   "last-90d (docs/commands.md, Periods; default: all time).")
@click.option("--as-of", "as_of", default=None,
              help="Compute as of this date (00:00 in the corpus time zone) or timestamp "
                   "(default: the end of the period, or now if it has not ended).")
@click.option("--severity", default=None, help="Only this severity (S1..S4).")
@click.option("--service", default=None, help="Only postmortems of this service.")
@click.option("--team", default=None, help="Only postmortems this team took part in.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON object of docs/corpus.md section 4.2.")
def metrics_command(
    db: Path | None, period: str | None, as_of: str | None, severity: str | None,
    service: str | None, team: str | None, as_json: bool,
) -> None:
    """The headline figures of a period: incidents, coverage, time to postmortem, durations,
    actions, recurrence, root causes."""
    from pmanalytics.database import open_database
    from pmanalytics.metrics import headline_figures, make_scope

    with open_database(db) as database:
        scope = make_scope(database, period, as_of=as_of, severity=severity, service=service, team=team)
        figures = headline_figures(database, scope)
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _print_figures(figures)


@cli.command("trends")
@DB
@click.option("--period", default="last-quarter", show_default=True,
              help="2026Q3, 2026, 2026-03, 2026Q1..2026Q2, a day range, last-quarter, last-year, last-90d: "
                   "compared with the period of the same kind just before (docs/commands.md, Periods).")
@click.option("--as-of", "as_of", default=None,
              help="Compare as of this date (00:00 in the corpus time zone) or timestamp "
                   "(default: the end of the period, or now if it has not ended).")
@click.option("--severity", default=None, help="Only this severity (S1..S4).")
@click.option("--service", default=None, help="Only postmortems of this service.")
@click.option("--team", default=None, help="Only postmortems this team took part in.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as one JSON object.")
def trends_command(
    db: Path | None, period: str, as_of: str | None, severity: str | None,
    service: str | None, team: str | None, as_json: bool,
) -> None:
    """Each KPI of a period against the previous one at the same age, with a 95 % interval of the
    difference and a verdict: too_few, noise, better or worse (docs/corpus.md section 4.3)."""
    from pmanalytics.database import open_database
    from pmanalytics.metrics import make_scope
    from pmanalytics.metrics.trends import compare_quarters

    with open_database(db) as database:
        scope = make_scope(database, period, as_of=as_of, severity=severity, service=service, team=team)
        comparison = compare_quarters(database, scope)
    if as_json:
        click.echo(json.dumps(comparison.as_json(), ensure_ascii=False, indent=2, allow_nan=False))
    else:
        _print_trends(comparison.as_json(), {kpi.key: kpi.unit for kpi in comparison.kpis})


@cli.command("report")
@click.option("--period", default="last-quarter", show_default=True,
              help="Quarter to report (2026Q3), last-quarter (resolved from today's date), or a date range.")
@click.option("--notebook", default="quarterly_reliability", show_default=True,
              help="A packaged notebook (quarterly_reliability, service_review, explore) or the path of "
                   "your own .ipynb file (read, never written).")
@click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A notebook parameter, e.g. -p lang fr -p team payments (repeatable).")
@DB
@click.option("--corpus", type=click.Path(path_type=Path, readable=False), default=None,
              help="Load this corpus into the database first.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Folder of the reports; each goes to OUT/<period>/<notebook>.html with index.html on top.")
def report_command(
    period: str, notebook: str, parameters: tuple[tuple[str, str], ...], db: Path | None,
    corpus: Path | None, out: Path,
) -> None:
    """Run a notebook for a period and write it as a self-contained HTML report.

    Exits non-zero when the notebook fails; the executed notebook with the error is kept
    beside the report, and an earlier good report of that period is left untouched.
    """
    from pmanalytics.extras import require_extra
    from pmanalytics.report.runner import run_report

    require_extra("reports", "pmanalytics report")
    if corpus is not None:  # loaded here so that its problems and counts reach the log
        from pmanalytics.ingest.pipeline import load

        loaded = load(corpus, db)
        _print_errors(loaded.problems)
        click.echo(f"{loaded.corpus_path}: {_counts_line(loaded)}", err=True)
    result = run_report(notebook, period=period, parameters=dict(parameters), db=db, corpus=corpus, out=out)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(str(result.html_path))


@cli.command("lab")
@DB
@click.option("--corpus", type=click.Path(path_type=Path, readable=False), default=None,
              help="Load this corpus into the database first.")
@click.option("--port", type=int, default=None, help="Port for JupyterLab (default: its own).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser (on a remote machine).")
def lab_command(db: Path | None, corpus: Path | None, port: int | None, no_browser: bool) -> None:
    """Open JupyterLab on the packaged notebooks with the database ready ($PMANALYTICS_DB set for them)."""
    from pmanalytics.report.lab import launch, prepare_lab

    launch(prepare_lab(db, corpus, port=port, open_browser=not no_browser))


@cli.command("migrate")
@click.argument("src", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--severity", default=None,
              help="Severity (S1..S4) for documents that state none; without it they are left without one.")
@click.option("--force", is_flag=True, help="Write into OUT even if it is not empty (same-named files are replaced).")
def migrate_command(src: Path, out: Path, severity: str | None, force: bool) -> None:
    """Copy the legacy postmortems of SRC into OUT with a drafted front matter; SRC is never touched.

    Every drafted value says in a YAML comment where it came from; OUT/_migration_report.md
    and .csv list per file what was found, guessed and missing. Files that already have
    front matter are copied unchanged. Then `pmanalytics check OUT` shows what is left.
    """
    from pmanalytics.tools.migrate import REPORT_MD, STATUSES, migrate

    report = migrate(src, out, severity=severity, force=force)
    table = Table(title=f"Migrated {escape(str(src))} → {escape(str(out))}", title_justify="left")
    table.add_column("field")
    for status in STATUSES:
        table.add_column(status, justify="right")
    for key, counts in report.field_counts():
        table.add_row(key, *(str(counts[s]) for s in STATUSES))
    Console().print(table)
    files = ", ".join(f"{n} {name}" for name, n in report.outcome_counts().items() if n)
    checked = report.check_counts()
    click.echo(f"files: {files}; then {checked['loads']} load, {checked['rejected']} rejected "
               f"(`pmanalytics check {out}`); report: {out / REPORT_MD}")


@cli.command("new")
@click.argument("title")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the template.")
@click.option("--severity", default="S3", show_default=True, help="Severity (S1..S4).")
@click.option("--corpus", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Folder of the postmortems; the new file goes at its root.")
def new_command(title: str, lang: str, severity: str, corpus: Path) -> None:
    """Write a new postmortem TITLE from the blameless template and print its path (never overwrites)."""
    from pmanalytics.tools.new import new_postmortem

    click.echo(str(new_postmortem(corpus, title, lang=lang, severity=severity).path))


@cli.command("similar")
@click.argument("postmortem_id", metavar="PM-ID")
@DB
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="How many postmortems to list.")
@click.option("--json", "as_json", is_flag=True, help='Print a list of {"id", "title", "score", "shared_terms"}.')
def similar_command(postmortem_id: str, db: Path | None, top: int, as_json: bool) -> None:
    """The postmortems whose text (title, context, root causes, timeline) is most like PM-ID's, best first,
    with a score from 0 to 1 and the words they share."""
    from pmanalytics.database import open_database
    from pmanalytics.metrics.similarity import similar

    with open_database(db) as database:
        found = similar(database, postmortem_id, top=top)
    rows: list[dict[str, Any]] = [
        {"id": str(pid), "title": str(title), "score": round(float(score), 3), "shared_terms": [str(t) for t in terms]}
        for pid, title, score, terms in found[["id", "title", "score", "shared_terms"]].itertuples(index=False)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Postmortems like {postmortem_id}", title_justify="left")
    for name in ("id", "score", "title", "shared words"):
        table.add_column(name, justify="right" if name == "score" else "left")
    for row in rows:
        table.add_row(row["id"], f"{row['score']:.2f}", row["title"], ", ".join(row["shared_terms"]))
    Console().print(table)


@cli.command("export")
@DB
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True,
              help="File format: Parquet (typed; for Spark, Trino, DuckDB, BI tools) or CSV with a header.")
@click.option("--force", is_flag=True, help="Write into OUT even if it is not empty (same-named files are replaced).")
@click.argument("out", type=click.Path(path_type=Path))
def export_command(db: Path | None, fmt: str, force: bool, out: Path) -> None:
    """Write every table of the database, the headline figures per quarter and schema.json into OUT."""
    from pmanalytics.tools.export import export

    result = export(db, out, fmt=fmt, force=force)
    table = Table(title=f"Exported to {escape(str(out))}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for item in result.files:
        table.add_row(item.name, str(item.rows))
    Console().print(table)
    click.echo(f"schema: {out / 'schema.json'}")


def _print_figures(figures: dict[str, Any]) -> None:
    table = Table(title=f"Headline figures, {figures['period']}, as of {figures['as_of']}",
                  title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if key in ("period", "as_of"):
            continue
        if isinstance(value, dict):
            text = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items()) or "none"
        else:
            text = _fmt(value)
        table.add_row(escape(key.replace("_", " ")), escape(text))  # category names come from the corpus
    Console().print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _print_trends(comparison: dict[str, Any], units: dict[str, str]) -> None:
    click.echo(f"{comparison['period']} as of {comparison['as_of']}\n"
               f"against {comparison['previous_period']} as of {comparison['previous_as_of']} (the same age)")
    table = Table()
    for name in ("KPI", "value", "previous", "difference", "95 % interval", "n", "verdict"):
        table.add_column(name, justify="left" if name in ("KPI", "verdict") else "right")
    for key, kpi in comparison["kpis"].items():
        unit = units[key]
        interval = (f"{_fmt_trend(kpi['low'], unit, True)} to {_fmt_trend(kpi['high'], unit, True)}"
                    if kpi["low"] is not None else "none")
        table.add_row(key.replace("_", " "), _fmt_trend(kpi["value"], unit), _fmt_trend(kpi["previous"], unit),
                      _fmt_trend(kpi["difference"], unit, True), interval, f"{kpi['n']} / {kpi['previous_n']}",
                      kpi["verdict"].replace("_", " "))
    Console().print(table)


def _fmt_trend(value: float | None, unit: str, signed: bool = False) -> str:
    """A rate in % (a difference in points), a duration in h or min; n/a for no number."""
    if value is None:
        return "n/a"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{100 * value:{sign}.1f}" + (" pts" if signed else " %")
    return f"{value:{sign}.1f} " + {"hours": "h", "minutes": "min"}.get(unit, unit)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path, "line": problem.line, "level": problem.level,
            "field": problem.field, "message": problem.message}


def _counts_line(report: LoadReport) -> str:
    return ", ".join(f"{value} {name}" for name, value in report.counts.items())


@contextmanager
def _progress(label: str) -> Iterator[tuple[Callable[[int], None] | None, Callable[[int], None] | None]]:
    """A progress bar on a terminal; nothing when stderr is not a TTY (cron, CI, pipes)."""
    if not stderr.is_terminal:
        yield None, None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=stderr, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield (lambda n: bar.advance(task, n)), (lambda total: bar.update(task, total=total))


def _print_errors(problems: tuple[Problem, ...]) -> None:
    errors = [p for p in problems if p.level == "error"]
    for problem in errors[:MAX_PROBLEMS_AFTER_LOAD]:
        click.echo(str(problem), err=True)
    if len(errors) > MAX_PROBLEMS_AFTER_LOAD:
        click.echo(f"... and {len(errors) - MAX_PROBLEMS_AFTER_LOAD} more: "
                   "`pmanalytics check CORPUS` lists every problem", err=True)


def _print_summary(report: LoadReport) -> None:
    table = Table(title=f"Loaded {escape(str(report.corpus_path))}", show_header=True, title_justify="left")
    for name in ("loaded", "rejected", "skipped", "warnings"):
        table.add_column(name, justify="right")
    table.add_row(*(str(v) for v in report.counts.values()))
    out = Console()
    out.print(table)
    out.print(f"database: {escape(str(report.db_path))}  ({report.duration_seconds:.2f} s)")
    if report.not_read:
        from pmanalytics.ingest.reasons import summary_lines

        click.echo(summary_lines((), report.not_read_paths, report.corpus_path)[-1].strip(), err=True)


def main() -> None:
    cli(prog_name="pmanalytics")

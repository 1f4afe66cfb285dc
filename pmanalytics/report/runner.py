"""Notebooks → HTML reports: execute with papermill, convert with nbconvert, publish atomically.

`run_report` reads as its steps: resolve the period → find the notebook → check the
parameters → execute → convert to one self-contained HTML page (no code, no prompts,
no stderr; plotly.js embedded once, so it works offline) → publish beside the executed
notebook → refresh `index.html`. A notebook that fails keeps its executed copy with the
error for inspection, and leaves an earlier good HTML of that period untouched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import html
import math
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pmanalytics.corpus.settings import NUMBER_SETTINGS, positive_number
from pmanalytics.errors import PmanalyticsError
from pmanalytics.extras import require_extra
from pmanalytics.metrics.period import Period, parse_period
from pmanalytics.report.i18n import language

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from pmanalytics.database import Database

DEFAULT_NOTEBOOK = "quarterly_reliability"
TABLES_SUFFIX = ".tables"  # `<report>.tables/<table>.csv`, beside `<report>.html`
NOTEBOOK_NAME = re.compile(r"[A-Za-z0-9_-]+")
KERNEL = "python3"
INDEX = "index.html"
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pmanalytics {version}">
<meta name="pmanalytics-period" content="{period}">
<meta name="pmanalytics-notebook" content="{notebook}">
<title>{title}</title>
<style>
body {{ margin: 0 auto; max-width: 1100px; padding: 16px 24px; }}
.jp-OutputArea-output, .jp-RenderedHTMLCommon {{ overflow-x: auto; }}
@media print {{ body {{ max-width: none; }} }}
</style>
<script>{plotly_js}</script>
</head>
<body class="pm-report">
{body}
</body>
</html>
"""


class ReportError(PmanalyticsError):
    """A report could not be produced; the message says where the evidence is."""


@dataclass(frozen=True)
class ReportResult:
    html_path: Path
    notebook_path: Path
    period: str
    notebook: str
    warnings: tuple[str, ...] = ()


def notebooks_folder() -> Path:
    """The notebooks shipped with the package (`pmanalytics/report/notebooks/`, package data;
    a checkout's top-level `notebooks/` links to it)."""
    return Path(str(resources.files(__package__ or "pmanalytics.report").joinpath("notebooks")))


def available_notebooks(folder: Path | None = None) -> list[str]:
    folder = folder or notebooks_folder()
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def run_report(
    notebook: str = DEFAULT_NOTEBOOK,
    *,
    period: str = "last-quarter",
    parameters: dict[str, str] | None = None,
    db: str | Path | None = None,
    corpus: str | Path | None = None,
    out: str | Path = "reports",
    today: dt.date | None = None,
) -> ReportResult:
    """Execute a notebook for a period and publish its HTML under `out/<period>/`.

    `notebook` is the name of a packaged notebook (`quarterly_reliability`) or the path of
    one's own `.ipynb` file, which is read, never written: its executed copy goes under `out`.
    """
    require_extra("reports", "pmanalytics report")
    resolved = parse_period(period, today)
    source = find_notebook(notebook)
    label = source.stem if _is_path(notebook) else notebook
    values = notebook_parameters(source, resolved, parameters or {}, db, corpus)
    values, warnings = check_scope(values, resolved)
    target = Path(out).expanduser() / _folder_name(resolved)
    name = report_name(_slug(label), values)
    _refuse_overwriting(source, target, name)
    staging = _staging(target.absolute(), name) if "tables_dir" in declared_parameters(source) else None
    try:
        if staging is not None:
            values["tables_dir"] = str(staging / f"{name}{TABLES_SUFFIX}")
        executed, document = execute(source, values, target, name)
        page = to_html(document, resolved, label, values.get("lang", "en"))
        result = publish(target, name, executed, page, resolved, label)
        if staging is not None:
            publish_tables(staging / f"{name}{TABLES_SUFFIX}", target)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    write_index(Path(out))
    return dataclasses.replace(result, warnings=warnings)


def declared_parameters(source: Path) -> dict[str, Any]:
    import papermill

    return dict(papermill.inspect_notebook(str(source)))


def check_scope(values: dict[str, Any], period: Period) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Refuse a team or service the database does not name (before any report is written), write
    them as the corpus does, and warn when no incident started in the period.

    Without a database yet (a first run with `corpus`), the notebook checks the names once it
    has loaded the corpus.
    """
    from pmanalytics.database import open_database, resolve_db_path
    from pmanalytics.report.filters import canonical_filter

    path = resolve_db_path(values.get("db") or None)
    if not path.exists():
        return values, ()
    with open_database(path) as database:
        checked = dict(values)
        for kind in ("team", "service"):
            try:
                if values.get(kind):
                    checked[kind] = canonical_filter(database, kind, str(values[kind]))
            except PmanalyticsError as exc:
                raise ReportError(str(exc)) from None
        return checked, _empty_period(database, period, checked)


def _empty_period(database: Database, period: Period, values: dict[str, Any]) -> tuple[str, ...]:
    """A warning naming the corpus's date span when no incident of the scope started in the period."""
    from pmanalytics.metrics.headline import incident_counts
    from pmanalytics.metrics.scope import make_scope

    scope = make_scope(database, period, as_of=period.end_at(ZoneInfo(database.setting("timezone") or "UTC")),
                       team=values.get("team") or None, service=values.get("service") or None)
    if incident_counts(database, scope)["incidents"]:
        return ()
    first, last = database.con.execute(
        "SELECT min(s), max(s) FROM (SELECT started_at AS s FROM postmortems "
        "UNION ALL SELECT started_at FROM incidents)").fetchone() or (None, None)
    if first is None:
        return (f"the corpus has no incident: the report for {period.label} says there is no data",)
    tz = scope.tz
    return (f"no incident started in {period.label}; the corpus spans {first.astimezone(tz).date()} to "
            f"{last.astimezone(tz).date()} (the report says there is no data)",)


def _staging(target: Path, name: str) -> Path:
    """A private folder under `target` where the notebook writes its tables before they are published."""
    try:
        target.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.staging.", dir=target))
    except OSError as exc:
        raise ReportError(f"{target}: cannot write reports here ({exc.strerror}); choose another --out") from None


def publish_tables(written: Path, target: Path) -> None:
    """Replace `target/<name>.tables/` by the folder the notebook wrote (or remove it when none was written)."""
    final = target / written.name
    old = final.with_name(f".{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    if written.is_dir():
        for csv in written.iterdir():
            _readable(csv)
        os.chmod(written, 0o777 & ~_umask())
        os.replace(written, final)
    shutil.rmtree(old, ignore_errors=True)


def find_notebook(name: str) -> Path:
    """A path ending in `.ipynb` is one's own notebook; any other value must be the bare name
    of a packaged notebook (no folder, no `..`), so a name never reaches outside them."""
    if _is_path(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ReportError(f"{name}: no such notebook file")
        return path
    known = ", ".join(available_notebooks()) or "none"
    path = notebooks_folder() / f"{name}.ipynb"
    if not NOTEBOOK_NAME.fullmatch(name) or not path.is_file():
        raise ReportError(f"no notebook {name!r} (available: {known}); "
                          "to run your own, give the path of its .ipynb file")
    return path


def _is_path(notebook: str) -> bool:
    return notebook.lower().endswith(".ipynb")


def _refuse_overwriting(source: Path, target: Path, name: str) -> None:
    """One's own notebook inside `out` could be the very file its executed copy replaces."""
    outputs = {(target / f"{name}{suffix}").resolve() for suffix in (".ipynb", ".failed.ipynb", ".html")}
    if source.resolve() in outputs:
        raise ReportError(f"{source}: the report would overwrite this notebook; choose another --out")


def notebook_parameters(
    source: Path, period: Period, given: dict[str, str], db: str | Path | None, corpus: str | Path | None
) -> dict[str, Any]:
    """The values to inject, typed as the notebook's parameters cell declares them."""
    import papermill

    declared = papermill.inspect_notebook(str(source))
    values: dict[str, Any] = {"period": period.label}
    if db is not None:
        values["db"] = str(Path(db).expanduser().resolve())
    if corpus is not None:
        values["corpus"] = str(Path(corpus).expanduser().resolve())
    _refuse_run_options(given)
    values.update(given)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ReportError(f"notebook {source.stem} has no parameter {unknown[0]!r} "
                          f"(it takes: {', '.join(declared)})")
    typed = {key: _typed(key, value, declared[key]) for key, value in values.items()}
    if "lang" in typed:
        typed["lang"] = language(typed["lang"])
    return typed


# parameters that the run sets itself, and the option (keyword of `run_report`) that sets each
RUN_OPTIONS = {"period": "--period", "db": "--db", "corpus": "--corpus", "tables_dir": "--out"}


def _refuse_run_options(given: dict[str, str]) -> None:
    """`-p period 2025Q1` would write a 2025Q1 report into the folder of the run's own period."""
    for key in given:
        if key in RUN_OPTIONS:
            option = RUN_OPTIONS[key]
            raise ReportError(f"-p {key}: the run sets this parameter itself; use {option} instead "
                              f"({option.lstrip('-')}= when calling run_report)")


def _typed(key: str, value: Any, spec: dict[str, Any]) -> Any:
    kind = (spec.get("inferred_type_name") or "str").lower()
    if not isinstance(value, str) or kind in ("str", "none"):
        return value
    try:
        if key in NUMBER_SETTINGS:
            return _setting_number(key, value)
        if kind == "float":
            return _finite(float(value))
        if kind == "int":
            return int(value)
        if kind == "bool":
            return value.strip().lower() in ("1", "true", "yes", "oui")
    except ValueError as exc:
        if key in NUMBER_SETTINGS:
            raise ReportError(f"parameter {exc} (or 0 for the corpus setting)") from None
        raise ReportError(f"parameter {key} must be a {kind}, not {value!r}") from None
    return value


def _setting_number(key: str, value: str) -> float:
    """A corpus setting given to a notebook: checked as in pmanalytics.toml, or 0 for the corpus's own."""
    with contextlib.suppress(ValueError):
        if float(value) == 0:
            return 0.0
    return positive_number(key, value)


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError(number)
    return number


def report_name(notebook: str, values: dict[str, Any]) -> str:
    """`quarterly_reliability`, plus `.team-x` / `.service-y` / `.fr` (any language but English) when set."""
    parts = [notebook]
    for key in ("team", "service"):
        if values.get(key):
            parts.append(f"{key}-{_slug(str(values[key]))}")
    lang = values.get("lang", "en")
    if lang != "en":
        parts.append(language(lang))
    return ".".join(parts)


def _slug(text: str) -> str:
    """A file-name-safe form of `text`: its letters without accents, digits, `_` and `-`, other
    characters as `-`. When that loses anything (`決済`, `a/b`, `a b`, a long name), a short
    hash of the exact text follows a `~`, which no lossless slug holds: two values never
    share a name."""
    readable = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", readable).strip("-")[:60]
    if slug == text:
        return slug
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}~{digest}"


def _folder_name(period: Period) -> str:
    return _slug(period.label.replace("..", "_"))


def execute(source: Path, values: dict[str, Any], target: Path, name: str) -> tuple[Path, NotebookNode]:
    """Run the notebook with papermill; on failure keep `<name>.failed.ipynb` and raise.

    The executed notebook is written once, at the end (or with the error, on failure), not before
    and after every cell: each write validates and serialises the whole notebook, charts
    included (over half a second in all at 100,000 postmortems). Once the last cell has run the
    kernel is stopped at once, without its exit routine: the outputs are all in, and a graceful
    stop waits for the kernel to wind down. Returns the written file and the executed notebook.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".ipynb", dir=target)
    except OSError as exc:
        raise ReportError(f"{target}: cannot write reports here ({exc.strerror}); choose another --out") from None
    os.close(handle)
    _readable(temporary)
    try:
        with _kernel_stderr_to(target / f".{name}.kernel.log"):
            document = papermill.execute_notebook(
                str(source), temporary, parameters=values, kernel_name=KERNEL, progress_bar=False,
                log_output=False, request_save_on_cell_execute=False, shutdown_kernel="immediate",
                cwd=str(target.absolute()),  # not the notebook's folder: it may be in site-packages
            )
    except PapermillExecutionError as exc:
        failed = target / f"{name}.failed.ipynb"
        os.replace(temporary, failed)
        reason = " ".join(str(exc.evalue).split())[:300]
        raise ReportError(
            f"notebook {source.stem} failed in cell {exc.exec_count}: {exc.ename}: {reason} "
            f"(the executed notebook is kept at {failed}; earlier reports are untouched)"
        ) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary), document


@contextlib.contextmanager
def _kernel_stderr_to(log: Path) -> Iterator[None]:
    """Send what the kernel process writes on stderr (its start-up chatter) to a log file."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "w", encoding="utf-8") as stream:
        os.dup2(stream.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    log.unlink(missing_ok=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _readable(path: str | Path) -> None:
    """mkstemp makes files private; reports are meant to be read, so apply the usual umask."""
    os.chmod(path, 0o666 & ~_umask())


def to_html(document: NotebookNode, period: Period, notebook: str, lang: str) -> str:
    """One self-contained page: outputs only (and the code too when the notebook's metadata says
    `"pmanalytics": {"show_code": true}`), stderr dropped, plotly.js embedded once.

    `document` is the executed notebook, which this changes."""
    from nbconvert import HTMLExporter
    from plotly.offline import get_plotlyjs

    from pmanalytics import __version__

    for cell in document.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    show_code = bool(document.metadata.get("pmanalytics", {}).get("show_code"))  # a guided notebook shows its code
    exporter = HTMLExporter(template_name="basic", exclude_input=not show_code, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(document)
    title = _title(body) or f"{notebook} {period.label}"
    return PAGE.format(lang=language(lang), version=__version__, period=html.escape(period.label),
                       notebook=html.escape(notebook), title=html.escape(title), plotly_js=get_plotlyjs(),
                       body=body)


def _title(body: str) -> str | None:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    if not match:
        return None
    heading = re.sub(r'<a class="anchor-link".*?</a>', "", match.group(1), flags=re.S)  # Markdown headings' ¶
    return html.unescape(re.sub(r"<[^>]+>", "", heading)).strip()


def publish(target: Path, name: str, executed: Path, page: str, period: Period, notebook: str) -> ReportResult:
    """Put the HTML and the executed notebook in place, each with an atomic rename."""
    html_path = target / f"{name}.html"
    notebook_path = target / f"{name}.ipynb"
    try:
        temporary = _written_beside(html_path, page)
    except OSError as exc:
        executed.unlink(missing_ok=True)
        raise ReportError(f"{html_path}: cannot be written ({exc.strerror or exc}); "
                          "earlier reports are untouched") from None
    os.replace(executed, notebook_path)
    os.replace(temporary, html_path)
    (target / f"{name}.failed.ipynb").unlink(missing_ok=True)
    return ReportResult(html_path, notebook_path, period.label, notebook)


def write_index(out: Path) -> Path:
    """`index.html` listing every report under `out` with its period, notebook and date."""
    rows = []
    for page in sorted(out.glob("*/*.html"), reverse=True):
        if page.name.startswith(".") or page.parent.name.startswith("."):
            continue  # a page being written, or one a failed write left
        stamp = dt.datetime.fromtimestamp(page.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        notebook = page.name.split(".")[0]
        link = html.escape(page.relative_to(out).as_posix(), quote=True)
        rows.append(
            f"<tr><td>{html.escape(page.parent.name)}</td>"
            f'<td><a href="{link}">{html.escape(page.stem)}</a></td>'
            f"<td>{html.escape(notebook)}</td><td>{stamp}</td></tr>"
        )
    index = out / INDEX
    body = "".join(rows) or '<tr><td colspan="4">No report yet.</td></tr>'
    content = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Reliability reports</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:24px auto}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:6px;text-align:left}"
        "</style></head><body><h1>Reliability reports</h1><table><thead><tr><th>Period</th><th>Report</th>"
        f"<th>Notebook</th><th>Generated</th></tr></thead><tbody>{body}</tbody></table></body></html>\n"
    )
    try:
        os.replace(_written_beside(index, content), index)
    except OSError as exc:
        raise ReportError(f"{index}: cannot be written ({exc.strerror or exc}); the reports themselves are in "
                          f"{out}") from None
    return index


def _written_beside(path: Path, text: str) -> Path:
    """A hidden file beside `path` holding `text`, readable as reports are; removed if it cannot be written whole."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        _readable(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)

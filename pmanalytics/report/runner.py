"""Notebooks → HTML reports: execute with papermill, convert with nbconvert, publish atomically.

`run_report` reads as its steps: resolve the period → find the notebook → check the
parameters → execute → convert to one self-contained HTML page (no code, no prompts,
no stderr; plotly.js embedded once, so it works offline) → publish beside the executed
notebook → refresh `index.html`. A notebook that fails keeps its executed copy with the
error for inspection, and leaves an earlier good HTML of that period untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmanalytics.errors import PmanalyticsError
from pmanalytics.metrics.period import Period, parse_period
from pmanalytics.report.i18n import language

DEFAULT_NOTEBOOK = "quarterly_reliability"
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


def notebooks_folder() -> Path:
    """The project's `notebooks/` folder (beside the package in a source checkout)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


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
    """Execute `notebooks/<notebook>.ipynb` for a period and publish its HTML under `out/<period>/`."""
    resolved = parse_period(period, today)
    source = find_notebook(notebook)
    values = notebook_parameters(source, resolved, parameters or {}, db, corpus)
    target = Path(out) / _folder_name(resolved)
    name = report_name(notebook, values)
    executed = execute(source, values, target, name)
    page = to_html(executed, resolved, notebook, values.get("lang", "en"))
    result = publish(target, name, executed, page, resolved, notebook)
    write_index(Path(out))
    return result


def find_notebook(name: str) -> Path:
    path = notebooks_folder() / f"{name}.ipynb"
    if not path.is_file():
        known = ", ".join(available_notebooks()) or "none"
        raise ReportError(f"no notebook {name!r} (available: {known})")
    return path


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
    values.update(given)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ReportError(f"notebook {source.stem} has no parameter {unknown[0]!r} "
                          f"(it takes: {', '.join(declared)})")
    typed = {key: _typed(key, value, declared[key]) for key, value in values.items()}
    if "lang" in typed:
        typed["lang"] = language(typed["lang"])
    return typed


def _typed(key: str, value: Any, spec: dict[str, Any]) -> Any:
    kind = (spec.get("inferred_type_name") or "str").lower()
    if not isinstance(value, str) or kind in ("str", "none"):
        return value
    try:
        if kind == "float":
            return float(value)
        if kind == "int":
            return int(value)
        if kind == "bool":
            return value.strip().lower() in ("1", "true", "yes", "oui")
    except ValueError:
        raise ReportError(f"parameter {key} must be a {kind}, not {value!r}") from None
    return value


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
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or "x"


def _folder_name(period: Period) -> str:
    return _slug(period.label.replace("..", "_"))


def execute(source: Path, values: dict[str, Any], target: Path, name: str) -> Path:
    """Run the notebook with papermill; on failure keep `<name>.failed.ipynb` and raise."""
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
            papermill.execute_notebook(
                str(source), temporary, parameters=values, kernel_name=KERNEL, progress_bar=False,
                log_output=False, cwd=str(source.parent),
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
    return Path(temporary)


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


def _readable(path: str | Path) -> None:
    """mkstemp makes files private; reports are meant to be read, so apply the usual umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def to_html(executed: Path, period: Period, notebook: str, lang: str) -> str:
    """One self-contained page: outputs only, stderr dropped, plotly.js embedded once."""
    import nbformat
    from nbconvert import HTMLExporter
    from plotly.offline import get_plotlyjs

    from pmanalytics import __version__

    document = nbformat.read(executed, as_version=4)
    for cell in document.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(document)
    title = _title(body) or f"{notebook} {period.label}"
    return PAGE.format(lang=language(lang), version=__version__, period=html.escape(period.label),
                       notebook=html.escape(notebook), title=html.escape(title), plotly_js=get_plotlyjs(),
                       body=body)


def _title(body: str) -> str | None:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


def publish(target: Path, name: str, executed: Path, page: str, period: Period, notebook: str) -> ReportResult:
    """Put the HTML and the executed notebook in place, each with an atomic rename."""
    html_path = target / f"{name}.html"
    notebook_path = target / f"{name}.ipynb"
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".html", dir=target)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(page)
    _readable(temporary)
    os.replace(executed, notebook_path)
    os.replace(temporary, html_path)
    (target / f"{name}.failed.ipynb").unlink(missing_ok=True)
    return ReportResult(html_path, notebook_path, period.label, notebook)


def write_index(out: Path) -> Path:
    """`index.html` listing every report under `out` with its period, notebook and date."""
    rows = []
    for page in sorted(out.glob("*/*.html"), reverse=True):
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
    handle, temporary = tempfile.mkstemp(prefix=".index.", suffix=".html", dir=out)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(content)
    _readable(temporary)
    os.replace(temporary, index)
    return index

"""The loading benchmark (see benchmarks/README.md): pmanalytics against a notebook baseline.

For each corpus size it generates a corpus spanning a decade with `pmanalytics sample`
(once; kept under benchmarks/corpora/), then times whole commands, each in a fresh
process, as a user runs them:

- `cold`: `pmanalytics load` with no database yet;
- `unchanged`: the same load again, nothing changed;
- `changed_1pct`: after 1 % of the Markdown files were changed, added or deleted (a third
  each; the corpus is put back, and reloaded untimed, after each run);
- `metrics`: `pmanalytics metrics` for the last quarter of the corpus;
- `report`: `pmanalytics report` for that quarter (notebook executed, HTML written);
- `similar`: `pmanalytics similar` for the last postmortem of the corpus, and
  `missed_recurrences`: the figure of likely recurrences the categories miss over all time
  (a `python -c` calling `pmanalytics.metrics.similarity.missed_recurrences`), on corpora of
  up to `SIMILARITY_UP_TO` postmortems, whose targets are for 10,000;
- `baseline_cold` and `baseline_reload`: `benchmarks/baseline.py` (python-frontmatter, a
  regex for the action table, pandas into DuckDB) with no database, then again.

Each measure is the median wall time of several runs (the loads interleaved with the
baseline, so that the ratio holds on a shared machine), with documents per second (the
corpus size over that time) and the peak memory of the whole process tree, sampled every
10 ms: the sum of RSS (what the memory target is judged on; pages that forked workers
share with their parent count once per process) and, every 0.25 s (reading it costs CPU),
the sum of PSS (each shared page split between its users: what the tree really takes). The report runs once on the
largest corpus. Results go to benchmarks/results.json and a table.

    python benchmarks/run.py [--sizes 1000 10000 100000] [--repeat 3] [--out benchmarks/results.json]
    python benchmarks/run.py --markdown benchmarks/results.json   # the tables of benchmarks/README.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
CORPORA = HERE / "corpora"
PYTHON = sys.executable
PMANALYTICS = [PYTHON, "-m", "pmanalytics"]
SEED = 1
END_QUARTER = "2026Q3"
QUARTERS = 40  # a decade of postmortems, as the organisation of the issue keeps
GENERATED: dict[int, dict[str, float]] = {}  # corpus size → time and memory of `pmanalytics sample`, when run
SAMPLE_INTERVAL = 0.01  # RSS every 10 ms
PSS_EVERY = 25  # PSS every 25 samples (about 0.25 s)
CHANGED_SHARE = 0.01
REPORT_ONCE_FROM = 100_000  # corpus size from which the report runs once only
SIMILARITY_UP_TO = 10_000  # the similarity measures run on corpora up to this size (their targets are for it)
MISSED_RECURRENCES = ("import sys; import pmanalytics as pm; from pmanalytics.metrics import make_scope; "
                      "from pmanalytics.metrics.similarity import missed_recurrences; "
                      "db = pm.open_database(sys.argv[1]); print(len(missed_recurrences(db, make_scope(db, None))))")

# measure → (target at 100,000 postmortems, what it compares)
TARGETS = {
    "cold": ("≤ 20 s (≥ 5,000 documents/s; stretch ≤ 12 s)", lambda r: r["cold"]["median_s"] <= 20.0),
    "unchanged": ("≤ 1 s", lambda r: r["unchanged"]["median_s"] <= 1.0),
    "changed_1pct": ("≤ 2 s", lambda r: r["changed_1pct"]["median_s"] <= 2.0),
    "metrics": ("≤ 1 s (whole command)", lambda r: r["metrics"]["median_s"] <= 1.0),
    "report": ("≤ 15 s (execute + HTML)", lambda r: r["report"]["median_s"] <= 15.0),
    "cold_memory": ("peak RSS ≤ 800 MB", lambda r: r["cold"]["peak_rss_mb"] <= 800.0),
    "cold_vs_baseline": ("≥ 1.5× faster than the baseline", lambda r: r["ratios"]["cold_vs_baseline"] >= 1.5),
    "unchanged_vs_baseline": ("≥ 20× faster than the baseline's reload",
                              lambda r: r["ratios"]["unchanged_vs_baseline_reload"] >= 20.0),
}
# measure → (corpus size it is judged at, target, what it compares)
SIZED_TARGETS = {
    "similar": (SIMILARITY_UP_TO, "≤ 1 s (whole command)", lambda r: r["similar"]["median_s"] <= 1.0),
    "missed_recurrences": (SIMILARITY_UP_TO, "≤ 10 s (all time, whole process)",
                           lambda r: r["missed_recurrences"]["median_s"] <= 10.0),
}


@dataclass
class Measure:
    """The runs of one measure on one corpus."""

    documents: int
    seconds: list[float] = field(default_factory=list)
    peak_rss: list[int] = field(default_factory=list)
    peak_pss: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        median = statistics.median(self.seconds)
        return {
            "runs_s": [round(s, 3) for s in self.seconds],
            "median_s": round(median, 3),
            "documents_per_s": round(self.documents / median),
            "peak_rss_mb": round(max(self.peak_rss) / 1e6, 1),
            "peak_pss_mb": round(max(self.peak_pss) / 1e6, 1),
        }


def timed(command: list[str]) -> tuple[float, int, int]:
    """Run `command`; (wall seconds, peak RSS and peak PSS in bytes of it and all its descendants)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = _watch_memory(process.pid)
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    peak_rss, peak_pss = peaks()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
    return seconds, peak_rss, peak_pss


def _watch_memory(pid: int) -> Callable[[], tuple[int, int]]:
    """Sample the process tree of `pid` until it ends; returns a function giving the peaks."""
    peaks = [0, 0]

    def sample() -> None:
        try:
            root = psutil.Process(pid)
            samples = 0
            while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
                tree = [root, *root.children(recursive=True)]
                peaks[0] = max(peaks[0], sum(_quietly(lambda p: p.memory_info().rss, p) for p in tree))
                if samples % PSS_EVERY == 0:  # reading PSS (smaps) costs CPU that the command would miss
                    peaks[1] = max(peaks[1], sum(_quietly(_pss, p) for p in tree))
                samples += 1
                time.sleep(SAMPLE_INTERVAL)
        except psutil.Error:
            pass

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()

    def result() -> tuple[int, int]:
        thread.join(timeout=5)
        return peaks[0], peaks[1]

    return result


def _pss(process: psutil.Process) -> int:
    info = process.memory_full_info()
    return int(getattr(info, "pss", info.rss))


def _quietly(read: Callable[[psutil.Process], int], process: psutil.Process) -> int:
    """What `read` gives for a process, or 0 when it has ended meanwhile."""
    try:
        return int(read(process))
    except psutil.Error:
        return 0


# --- corpora -------------------------------------------------------------------------


def corpus_for(size: int) -> Path:
    """The sample corpus of `size` postmortems, generated once (again if a run left it changed)."""
    folder = CORPORA / f"pm-{size}"
    dirty = folder.with_name(folder.name + ".dirty")
    marker = folder / "_generated.txt"
    expected = f"count={size}, seed={SEED}, end_quarter='{END_QUARTER}', quarters={QUARTERS})"
    if dirty.exists() or not marker.is_file() or expected not in marker.read_text(encoding="utf-8"):
        print(f"generating {folder.relative_to(HERE.parent)} …", flush=True)
        seconds, rss, _ = timed([*PMANALYTICS, "sample", str(folder), "--count", str(size), "--seed", str(SEED),
                                 "--end-quarter", END_QUARTER, "--quarters", str(QUARTERS)])
        print(f"  {seconds:.1f} s, peak RSS {rss / 1e6:.0f} MB", flush=True)
        GENERATED[size] = {"seconds": round(seconds, 1), "peak_rss_mb": round(rss / 1e6, 1)}
        dirty.unlink(missing_ok=True)
    return folder


@contextmanager
def changed_corpus(folder: Path, run: int) -> Iterator[int]:
    """1 % of the Markdown postmortems changed, added or deleted (a third each), then put back."""
    dirty = folder.with_name(folder.name + ".dirty")
    dirty.touch()
    files = sorted(folder.glob("20*/PM-*.md"))
    count = max(3, round(len(files) * CHANGED_SHARE))
    picked = random.Random(run).sample(files, count)
    changed, deleted, copied = picked[: count // 3], picked[count // 3 : 2 * count // 3], picked[2 * count // 3 :]
    originals = {path: path.read_bytes() for path in changed + deleted}
    added = []
    for path in changed:
        path.write_bytes(originals[path] + b"\nEdited by the benchmark.\n")
    for path in deleted:
        path.unlink()
    for index, path in enumerate(copied):
        new = path.with_name(f"BENCH-{run}-{index}.md")
        text = path.read_text(encoding="utf-8")
        new.write_text(re.sub(r"^id: .*$", f"id: BENCH-{run}-{index}", text, count=1, flags=re.MULTILINE),
                       encoding="utf-8")
        added.append(new)
    try:
        yield count
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        for path in added:
            path.unlink()
        dirty.unlink()


# --- the measures --------------------------------------------------------------------


def bench_size(size: int, repeat: int, work: Path) -> dict[str, object]:
    corpus = corpus_for(size)
    db, baseline_db, reports = work / f"pm-{size}.duckdb", work / f"baseline-{size}.duckdb", work / "reports"
    load = [*PMANALYTICS, "load", str(corpus), "--db", str(db)]
    baseline = [PYTHON, str(HERE / "baseline.py"), str(corpus), str(baseline_db)]
    names = ["cold", "baseline_cold", "unchanged", "baseline_reload", "changed_1pct", "metrics", "report"]
    names += ["similar", "missed_recurrences"] if size <= SIMILARITY_UP_TO else []
    measures = {name: Measure(size) for name in names}

    def run(name: str, command: list[str]) -> None:
        seconds, rss, pss = timed(command)
        measures[name].seconds.append(seconds)
        measures[name].peak_rss.append(rss)
        measures[name].peak_pss.append(pss)
        print(f"  {size:>7} {name:<16} {seconds:8.2f} s  RSS {rss / 1e6:6.0f} MB  PSS {pss / 1e6:6.0f} MB",
              flush=True)

    for _ in range(repeat):
        _remove_database(db)
        run("cold", load)
        _remove_database(baseline_db)
        run("baseline_cold", baseline)
    for _ in range(repeat):
        run("unchanged", load)
        run("baseline_reload", baseline)
    changed = round(size * CHANGED_SHARE)
    for attempt in range(repeat):
        with changed_corpus(corpus, attempt):
            run("changed_1pct", load)
        timed(load)  # back to the unchanged corpus, untimed
    for _ in range(repeat):
        run("metrics", [*PMANALYTICS, "metrics", "--db", str(db), "--period", END_QUARTER])
    for _ in range(1 if size >= REPORT_ONCE_FROM else repeat):
        shutil.rmtree(reports, ignore_errors=True)
        run("report", [*PMANALYTICS, "report", "--period", END_QUARTER, "--db", str(db), "--out", str(reports)])
    if size <= SIMILARITY_UP_TO:
        last = sorted(corpus.glob("20*/PM-*.md"))[-1].stem
        for _ in range(repeat):
            run("similar", [*PMANALYTICS, "similar", last, "--db", str(db)])
            run("missed_recurrences", [PYTHON, "-c", MISSED_RECURRENCES, str(db)])
    result: dict[str, object] = {name: m.summary() for name, m in measures.items()}
    result["changed_1pct"]["files_changed"] = changed  # type: ignore[index]
    result["ratios"] = {
        "cold_vs_baseline": _ratio(measures["baseline_cold"], measures["cold"]),
        "unchanged_vs_baseline_reload": _ratio(measures["baseline_reload"], measures["unchanged"]),
    }
    result["database_mb"] = round(db.stat().st_size / 1e6, 1)
    return result


def _ratio(slow: Measure, fast: Measure) -> float:
    return round(statistics.median(slow.seconds) / statistics.median(fast.seconds), 2)


def _remove_database(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


def machine() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import duckdb
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def targets(results: dict[str, object]) -> list[dict[str, object]]:
    """Each target, judged on the largest corpus measured (the issue's are for 100,000); a sized
    target on its own corpus size, when that was measured."""
    largest = max(results, key=int)
    measured = results[largest]
    judged = [{"measure": name, "target": text, "corpus": int(largest), "met": bool(check(measured))}
              for name, (text, check) in TARGETS.items()]
    judged += [{"measure": name, "target": text, "corpus": size, "met": bool(check(results[str(size)]))}
               for name, (size, text, check) in SIZED_TARGETS.items() if str(size) in results]
    return judged


def print_table(report: dict[str, object]) -> None:
    print()
    print(f"{'corpus':>8} {'measure':<16} {'median s':>9} {'docs/s':>8} {'RSS MB':>7} {'PSS MB':>7}  runs")
    for size, measures in report["sizes"].items():  # type: ignore[union-attr]
        for name, m in measures.items():
            if name in ("ratios", "database_mb"):
                continue
            print(f"{int(size):>8} {name:<16} {m['median_s']:>9.2f} {m['documents_per_s']:>8,} "
                  f"{m['peak_rss_mb']:>7.0f} {m['peak_pss_mb']:>7.0f}  {', '.join(f'{s:.2f}' for s in m['runs_s'])}")
        ratios = measures["ratios"]
        print(f"{int(size):>8} {'ratios':<16} cold {ratios['cold_vs_baseline']}× faster than the baseline, "
              f"unchanged reload {ratios['unchanged_vs_baseline_reload']}× faster than its reload")
    print()
    for target in report["targets"]:  # type: ignore[union-attr]
        print(f"{'met' if target['met'] else 'NOT met':>8}  {target['measure']:<22} {target['target']} "
              f"(at {target['corpus']:,})")


def markdown(report: dict[str, object]) -> str:
    """The results as the Markdown tables of benchmarks/README.md."""
    lines = ["| corpus | measure | median s | documents/s | peak RSS MB | peak PSS MB | runs (s) |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for size, measures in report["sizes"].items():  # type: ignore[union-attr]
        for name, m in measures.items():
            if name in ("ratios", "database_mb"):
                continue
            lines.append(f"| {int(size):,} | {name} | {m['median_s']:.2f} | {m['documents_per_s']:,} | "
                         f"{m['peak_rss_mb']:.0f} | {m['peak_pss_mb']:.0f} | "
                         f"{', '.join(f'{s:.2f}' for s in m['runs_s'])} |")
    lines += ["", "| corpus | cold load vs baseline | unchanged reload vs baseline reload | database MB |",
              "|---:|---:|---:|---:|"]
    for size, measures in report["sizes"].items():  # type: ignore[union-attr]
        ratios = measures["ratios"]
        lines.append(f"| {int(size):,} | {ratios['cold_vs_baseline']}× | {ratios['unchanged_vs_baseline_reload']}× | "
                     f"{measures['database_mb']} |")
    lines += ["", "| target (100,000 postmortems; similar, missed_recurrences: 10,000) | measured | met |",
              "|---|---|---|"]
    for target in report["targets"]:  # type: ignore[union-attr]
        measured = report["sizes"][str(target["corpus"])]  # type: ignore[index]
        lines.append(f"| {target['measure']}: {target['target']} | {_measured(target['measure'], measured)} | "
                     f"{'yes' if target['met'] else '**no**'} |")
    return "\n".join(lines)


def _measured(name: str, measures: dict[str, dict[str, object]]) -> str:
    if name == "cold_memory":
        return f"{measures['cold']['peak_rss_mb']:.0f} MB RSS ({measures['cold']['peak_pss_mb']:.0f} MB PSS)"
    if name == "cold_vs_baseline":
        return f"{measures['ratios']['cold_vs_baseline']}×"
    if name == "unchanged_vs_baseline":
        return f"{measures['ratios']['unchanged_vs_baseline_reload']}×"
    return f"{measures[name]['median_s']:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measure (the median is kept)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS",
                        help="print the tables of an earlier results.json as Markdown, and stop")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))))
        return
    report: dict[str, object] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeat": args.repeat,
        "sizes": {},
    }
    CORPORA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="work-", dir=CORPORA) as work:
        for size in args.sizes:
            report["sizes"][str(size)] = bench_size(size, args.repeat, Path(work))  # type: ignore[index]
    report["corpora_generated"] = {str(size): figures for size, figures in GENERATED.items()}
    report["targets"] = targets(report["sizes"])  # type: ignore[arg-type]
    report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(report)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()

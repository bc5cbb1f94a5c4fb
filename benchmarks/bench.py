"""Benchmark: import, kpis and the pages, against named baselines, in one run.

    python benchmarks/bench.py                      # 100k, 1M and 10M rows (long: ~1 h)
    python benchmarks/bench.py --sizes 100000 1000000
    python benchmarks/bench.py --sizes 10000 --repeat 3 --out /tmp/results.md   # smoke run
    python benchmarks/bench.py --sizes 10000000 --extract --import-only --repeat 1
    python benchmarks/bench.py --sizes 1000000 --browser-pages pages/3_objets.py --no-load

Options: `--extract` also imports an extract of the same export that carries 11 of the 22 columns
and no personal data (every case then has findings for its missing name, NIR and company), under
the default CPMS_MEMORY_LIMIT; `--import-only` skips every measure but the imports; `--no-pages`
skips every page measure; `--no-browser` keeps the pages' data and AppTest rows but skips Chromium
(page loads and load test); `--browser-only` imports once, untimed, and measures nothing but
Chromium; `--browser-pages` loads only the pages named; `--no-load` skips the load test, which
runs at `--load-size` (default: the largest size up to 1M) for each number of simultaneous
sessions in `--load-users` (default 1 5 10 20).

The rows, per size:
- `import (vs 3 × read_csv)`: our import into a new database, against three `pandas.read_csv`;
  `DuckDB alone: read_csv into a table` is the floor under any import into DuckDB, and
  `import (vs DuckDB read_csv into a table)` gives ours / that floor.
- `kpis cold`, then `kpis warm` for each policy against the pandas peer (benchmarks/pandas_peer.py,
  data already in memory; "figures identiques" when its whole result equals ours), and `kpis warm,
  cpms (vs bare DuckDB query)`: against the one hand-written query of benchmarks/bare_kpis.py on
  the same database ("counts identiques" when every count and rate it computes equals kpis'; the
  ones that differ are listed under the table).
- `page data`: each page's domain calls (benchmarks/page_calls.py); `AppTest run`: each page's
  server-side run.
- `page load (Chromium)`: the median full load of each page (benchmarks/page_loads.py,
  `full_load`: navigation in a fresh browser context until the script has finished and every chart
  and table is drawn) after a first load that fills the server's caches (shown as "first"),
  against the same for a one-line Streamlit page served the same way.
- `load: N sessions × 3 pages`: N browser sessions at once, each opening the overview, Accusés de
  réception and Dossiers à échéance; the median page load (the p95 in the label) against the
  one-line page's; a line under the table names the N where the p95 passes 3 s. The label also
  gives the script's run as the browser saw it (median, p95): the server's share of those loads.
  The browsers run on the same machine as the server and share its cores.

Each measure runs in a fresh child process, so that its peak memory (ru_maxrss) is its own; the
page loads report the streamlit server's peak instead. The table of medians goes to stdout and to
benchmarks/results.md (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

AS_OF = date(2026, 11, 20)
SEED = 7
OBJECTS = ("adhesion", "resiliation", "cotisation", "remboursement", "autre")
LOAD_USERS = (1, 5, 10, 20)
LOAD_SIZE_MAX = 1_000_000  # the load test's default size: the largest size given up to this


def _child(target: Callable[..., Any], args: tuple[Any, ...], queue: Any) -> None:
    try:
        result = target(*args)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(("ok", result, peak_mb))
    except BaseException as exc:  # reported by the parent
        queue.put(("error", repr(exc), 0.0))


def isolated(target: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run `target(*args)` in a fresh process; returns its result and its peak memory in MB."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, args, queue))
    process.start()
    status, result, peak = queue.get()
    process.join()
    if status != "ok":
        raise RuntimeError(result)
    return result, peak


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


# -- measures, each run in its own process ------------------------------------------------------


def make_export(rows: int, path: str) -> float:
    from cpms_metrics.sample import write_sample

    start = time.perf_counter()
    write_sample(Path(path), rows, SEED, AS_OF, canonical=True)
    return time.perf_counter() - start


# An extract without personal data: the reference, the dates and the lists.
EXTRACT_COLUMNS = (
    "reference", "received_on", "sent_on", "acknowledged_on", "responded_on",
    "mediator_referred_on", "channel", "nature", "object", "risk_carrier", "response_channel",
)  # fmt: skip


def make_extract(export: str, path: str) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"""COPY (SELECT {", ".join(EXTRACT_COLUMNS)} FROM read_csv($export, all_varchar = true))
            TO '{path}' (HEADER, DELIMITER ',')""",
        {"export": export},
    )
    con.close()


def measure_import(export: str, db: str, repeat: int) -> list[float]:
    """Our import into a new database, `repeat` times (the last database stays for the rest)."""
    from cpms_metrics.ingest import import_file
    from cpms_metrics.store import open_store

    times = []
    for _ in range(repeat):
        Path(db).unlink(missing_ok=True)
        with open_store(db) as store:
            start = time.perf_counter()
            import_file(
                store,
                Path(export),
                import_day=AS_OF,
                imported_at=datetime.combine(AS_OF, datetime.min.time()),
                objects=OBJECTS,
            )
            times.append(time.perf_counter() - start)
    return times


def measure_duckdb_floor(export: str, db: str, repeat: int) -> list[float]:
    """What DuckDB alone takes to read the CSV into a table of a database file, with no check,
    no history and no finding: the floor under any import that stores the rows in DuckDB."""
    import duckdb

    times = []
    for _ in range(repeat):
        Path(db).unlink(missing_ok=True)
        con = duckdb.connect(db)
        start = time.perf_counter()
        con.execute("CREATE TABLE complaints AS SELECT * FROM read_csv($path)", {"path": export})
        times.append(time.perf_counter() - start)
        con.close()
    Path(db).unlink(missing_ok=True)
    return times


def measure_read_csv(export: str, repeat: int) -> list[float]:
    import pandas as pd

    return timed(lambda: pd.read_csv(export), repeat)


def measure_kpis(db: str, repeat: int) -> dict[str, Any]:
    from cpms_metrics import kpis, open_store

    store = open_store(db)
    start = time.perf_counter()
    result = kpis(store, as_of=AS_OF)
    cold = time.perf_counter() - start
    warm = {
        policy: timed(lambda p=policy: kpis(store, as_of=AS_OF, policy=p), repeat)
        for policy in ("cpms", "acpr")
    }
    store.close()
    return {"cold": cold, "warm": warm, "result": json.dumps(result, sort_keys=True)}


def measure_bare_kpis(db: str, repeat: int) -> dict[str, Any]:
    """The bare DuckDB query of benchmarks/bare_kpis.py, warm (after one run), under the memory
    limit our store sets; its counts for the comparison with `kpis`."""
    import bare_kpis
    import duckdb

    from cpms_metrics.settings import load_settings

    con = duckdb.connect(db, read_only=True)
    con.execute(f"SET memory_limit = '{load_settings().memory_limit}'")
    counts = bare_kpis.bare_counts(con, AS_OF)
    times = timed(lambda: bare_kpis.bare_counts(con, AS_OF), repeat)
    con.close()
    return {"times": times, "counts": counts}


def measure_peer(export: str, repeat: int) -> dict[str, Any]:
    import pandas_peer

    frame = pandas_peer.load_canonical(export)
    warm = {
        policy: timed(lambda p=policy: pandas_peer.kpis(frame, as_of=AS_OF, policy=p), repeat)
        for policy in ("cpms", "acpr")
    }
    result = pandas_peer.kpis(frame, as_of=AS_OF)
    return {"warm": warm, "result": json.dumps(result, sort_keys=True)}


def measure_page_data(db: str, repeat: int) -> dict[str, list[float]]:
    """Each page's domain calls, as the page makes them (see benchmarks/page_calls.py)."""
    from page_calls import PAGE_CALLS

    from cpms_metrics import open_store
    from cpms_metrics.deadlines import add_months
    from cpms_metrics.queries import Scope

    store = open_store(db)
    # the pages' default period: the 12 cohort months ending with the as-of month
    first = add_months(AS_OF, -11).strftime("%Y-%m")
    scope = Scope(as_of=AS_OF, month_from=first, month_to=AS_OF.strftime("%Y-%m"))
    out = {}
    for page, calls in PAGE_CALLS.items():
        for call in calls:  # cold once, then measured warm
            call(store, scope)
        out[page] = timed(lambda calls=calls: [call(store, scope) for call in calls], repeat)
    store.close()
    return out


def measure_apptest(db: str, repeat: int) -> dict[str, list[float]]:
    """Each page's server-side run in AppTest (warm: after one run), on the benchmark database."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["CPMS_DB"] = db
    found = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("[0-9]*.py"))
    pages = ["dashboard.py", *found]
    out = {}
    for page in pages:
        app = AppTest.from_file(str(ROOT / page), default_timeout=600)
        app.query_params["as_of"] = AS_OF.isoformat()
        app.run()
        out[page] = timed(app.run, repeat)
    return out


def measure_page_loads(
    db: str, workdir: str, repeat: int, pages: tuple[str, ...], users: tuple[int, ...]
) -> dict[str, Any]:
    """Each page's full load in Chromium beside the one-line page's, then the load test for
    each number of `users` (see benchmarks/page_loads.py)."""
    from page_loads import measure_browser

    return measure_browser(db, workdir, repeat, AS_OF.isoformat(), pages, users)


# -- the table ----------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values)


def run(
    sizes: list[int],
    repeat: int,
    workdir: Path,
    out: Path,
    pages: bool,
    extract: bool = False,
    import_only: bool = False,
    browser: bool = True,
    browser_pages: tuple[str, ...] = (),
    browser_only: bool = False,
    load_size: int | None = None,
    load_users: tuple[int, ...] = (),
) -> str:
    """Measure every size in turn and write the table; `load_size`: the size of the load test
    (None: no load test), run for each number of `load_users`; `browser_only`: import once,
    untimed, then only the page loads and the load test."""
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {mp.cpu_count()} cores, "
        f"Python {platform.python_version()}. As-of date {AS_OF}, seed {SEED}, "
        f"medians of {repeat} runs (warm).",
        "Baselines: `benchmarks/pandas_peer.py` (vectorised pandas, data already in memory), "
        "`pandas.read_csv` of the same file, DuckDB's own `read_csv` into a table, the bare DuckDB "
        "query of `benchmarks/bare_kpis.py`, and a one-line Streamlit page served and loaded in "
        "Chromium the same way as ours.",
        "Peak memory: each measure's own process; on the `kpis warm, cpms (vs pandas…)` row it is "
        "the pandas peer's (its data in memory), on the `(vs bare DuckDB query…)` row the bare "
        "query's, `kpis cold` is ours. Page loads and load rows: the streamlit server's peak "
        "(VmHWM) after those loads; the one-line page row, its own server's.",
        "",
        "| rows | measure | ours | baseline | ours / baseline | peak memory |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    notes: list[str] = []

    def row(rows: int, measure: str, ours: float, base: float | None, memory: float | None) -> None:
        ratio = f"{ours / base:.2f}" if base else "—"
        base_text = f"{base:.3f} s" if base else "—"
        mem = f"{memory:,.0f} MB" if memory else "—"
        lines.append(f"| {rows:,} | {measure} | {ours:.3f} s | {base_text} | {ratio} | {mem} |")
        print(lines[-1], flush=True)

    def note(text: str) -> None:
        notes.append(text)
        print(text, flush=True)

    print("\n".join(lines), flush=True)
    for rows in sizes:
        export = str(workdir / f"export_{rows}.csv")
        db = str(workdir / f"bench_{rows}.duckdb")
        if not Path(export).exists():
            isolated(make_export, rows, export)

        def page_loads(rows: int = rows, db: str = db) -> None:
            users = load_users if rows == load_size else ()
            loads, _ = isolated(measure_page_loads, db, str(workdir), repeat, browser_pages, users)
            _page_load_rows(rows, loads, row, note)

        if browser_only:
            isolated(measure_import, export, db, 1)  # the database the pages read: not timed
            page_loads()
            continue
        read_times, _ = isolated(measure_read_csv, export, repeat)
        imported, import_peak = isolated(measure_import, export, db, repeat)
        budget = 3 * _median(read_times)
        row(rows, "import (vs 3 × read_csv)", _median(imported), budget, import_peak)
        if extract:
            part = str(workdir / f"extract_{rows}.csv")
            if not Path(part).exists():
                isolated(make_extract, export, part)
            part_read, _ = isolated(measure_read_csv, part, repeat)
            part_times, part_peak = isolated(measure_import, part, db + ".extract", repeat)
            row(rows, f"import, extract of {len(EXTRACT_COLUMNS)} columns (vs 3 × read_csv)",
                _median(part_times), 3 * _median(part_read), part_peak)  # fmt: skip
            Path(db + ".extract").unlink(missing_ok=True)
        if import_only:
            continue
        floor, floor_peak = isolated(measure_duckdb_floor, export, db + ".floor", repeat)
        row(rows, "DuckDB alone: read_csv into a table (vs 3 × read_csv)", _median(floor), budget,
            floor_peak)  # fmt: skip
        row(rows, "import (vs DuckDB read_csv into a table)", _median(imported), _median(floor),
            import_peak)  # fmt: skip
        ours, kpis_peak = isolated(measure_kpis, db, repeat)
        peer, peer_peak = isolated(measure_peer, export, repeat)
        bare, bare_peak = isolated(measure_bare_kpis, db, repeat)
        same = "identiques" if ours["result"] == peer["result"] else "DIFFÉRENTS"
        row(rows, "kpis cold", ours["cold"], None, kpis_peak)
        for policy in ("cpms", "acpr"):
            row(
                rows,
                f"kpis warm, {policy} (vs pandas; figures {same})",
                _median(ours["warm"][policy]),
                _median(peer["warm"][policy]),
                peer_peak if policy == "cpms" else None,
            )
        from bare_kpis import differences

        differ = differences(json.loads(ours["result"]), bare["counts"])
        row(rows, "kpis warm, cpms (vs bare DuckDB query; counts "
            f"{'DIFFÉRENTS' if differ else 'identiques'})",
            _median(ours["warm"]["cpms"]), _median(bare["times"]), bare_peak)  # fmt: skip
        for difference in differ:
            note(f"- {rows:,} : kpis et la requête nue diffèrent, {difference}")
        if pages:
            data, _ = isolated(measure_page_data, db, repeat)
            for page, times in data.items():
                row(rows, f"page data: {page}", _median(times), None, None)
            runs, app_peak = isolated(measure_apptest, db, repeat)
            for page, times in runs.items():
                row(rows, f"AppTest run: {page}", _median(times), None, app_peak)
        if pages and browser:
            page_loads()
    text = "\n".join(lines) + "\n" + ("\n" + "\n".join(notes) + "\n" if notes else "")
    out.write_text(text, encoding="utf-8")
    return text


def _page_load_rows(
    rows: int,
    loads: dict[str, Any],
    row: Callable[[int, str, float, float | None, float | None], None],
    note: Callable[[str], None],
) -> None:
    from page_loads import SESSION_PAGES, SLOW_SECONDS, percentile_95

    found = dict(loads["pages"])
    one_line = found.pop("one-line page")
    base = _median(one_line["times"])
    row(rows, f"page load (Chromium): one-line page (first {one_line['first']:.3f} s)", base,
        None, loads["one_line_peak_mb"])  # fmt: skip
    for page, times in found.items():
        row(rows, f"page load (Chromium): {page} (first {times['first']:.3f} s; "
            "vs one-line page)", _median(times["times"]), base, loads["app_peak_mb"])  # fmt: skip
    slow = None
    for step in loads["load"]:
        p95 = percentile_95(step["times"])
        script = step["script_times"]
        row(rows, f"load: {step['users']} sessions × {len(SESSION_PAGES)} pages, median "
            f"(p95 {p95:.3f} s; script run {_median(script):.3f} s, p95 "
            f"{percentile_95(script):.3f} s; vs one-line page)", _median(step["times"]), base,
            step["peak_mb"])  # fmt: skip
        if slow is None and p95 > SLOW_SECONDS:
            slow = step["users"]
    if loads["load"]:
        most = max(step["users"] for step in loads["load"])
        note(
            f"Montée en charge à {rows:,} réclamations : le 95e centile des chargements dépasse "
            f"{SLOW_SECONDS:.0f} s dès {_sessions(slow)}."
            if slow is not None
            else f"Montée en charge à {rows:,} réclamations : le 95e centile reste sous "
            f"{SLOW_SECONDS:.0f} s jusqu'à {_sessions(most)} (seuil au-delà de {most})."
        )


def _sessions(count: int) -> str:
    return f"{count} session simultanée" if count == 1 else f"{count} sessions simultanées"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    parser.add_argument("--no-pages", action="store_true", help="skip every page measure")
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="skip the page loads in Chromium and the load test",
    )
    parser.add_argument(
        "--browser-pages",
        nargs="+",
        default=[],
        metavar="PAGE",
        help="load only these pages in Chromium (dashboard.py, pages/3_objets.py…)",
    )
    parser.add_argument(
        "--browser-only",
        action="store_true",
        help="import once (untimed), then only the page loads in Chromium and the load test",
    )
    parser.add_argument(
        "--load",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the load test, at the largest size up to 1M (default: on when pages are loaded)",
    )
    parser.add_argument("--load-size", type=int, help="the size of the load test (one of --sizes)")
    parser.add_argument(
        "--load-users", type=int, nargs="+", default=list(LOAD_USERS), metavar="N",
        help="numbers of simultaneous sessions of the load test",
    )  # fmt: skip
    parser.add_argument(
        "--extract",
        action="store_true",
        help="also import an extract of 11 columns without personal data",
    )
    parser.add_argument("--import-only", action="store_true", help="measure the imports only")
    args = parser.parse_args()
    if args.browser_only and (args.no_browser or args.no_pages or args.import_only):
        parser.error(
            "--browser-only ne se combine pas avec --no-browser, --no-pages, --import-only"
        )
    if args.load_size is not None and args.load_size not in args.sizes:
        parser.error("--load-size doit être l'une des tailles de --sizes")
    from page_loads import dashboard_pages

    unknown = sorted(set(args.browser_pages) - set(dashboard_pages()))
    if unknown:
        parser.error(f"pages inconnues : {', '.join(unknown)} (dashboard.py, pages/3_objets.py…)")
    small = [size for size in args.sizes if size <= LOAD_SIZE_MAX]
    load_size = args.load_size or (max(small) if small else None)
    run(
        args.sizes,
        args.repeat,
        args.workdir,
        args.out,
        pages=not args.no_pages,
        extract=args.extract,
        import_only=args.import_only,
        browser=not args.no_browser,
        browser_pages=tuple(args.browser_pages),
        browser_only=args.browser_only,
        load_size=load_size if args.load else None,
        load_users=tuple(args.load_users),
    )


if __name__ == "__main__":
    main()

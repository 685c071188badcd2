"""Normalising a French CSV to Parquet: the hub against a pandas baseline, in the same run.

    .venv/bin/python benchmarks/normalise.py                 # 1,000,000 rows, hub vs pandas
    .venv/bin/python benchmarks/normalise.py --rows 100000   # smaller
    .venv/bin/python benchmarks/normalise.py --streaming-gb 1.2   # > 1 GB CSV, streaming
    .venv/bin/python benchmarks/normalise.py --whole-process --repeat 5   # `tdh inspect` vs a pandas script

The generated file is what members send: Windows-1252, `;`, decimal comma with a space
as thousands separator, dd/mm/yyyy dates, INSEE codes and SIRETs with leading zeros
(Corsica included), accented commune names. Each contender runs in its own subprocess,
which reports its wall time and its peak RSS (getrusage), so neither inherits the
other's memory. pandas is told the dialect (separator, encoding, decimal mark, thousands,
date format, which columns are codes); the hub finds all of it itself.

`--whole-process` times what a person waits for instead: `tdh inspect FILE --out X.parquet`
(read, normalise, screen for personal data, write) against a pandas script told
everything, each a whole process from interpreter start to exit, imports included.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

PROJECT_DIR = Path(__file__).resolve().parents[1]
COMMUNES = ["Saint-Étienne", "Châteauneuf-du-Pape", "Île-d'Arz", "Œuilly", "Ajaccio", "Bastia"]


def french_frame(rows: int, seed: int) -> pl.DataFrame:
    """Rows as a member writes them: every cell already text in French conventions."""
    index = pl.int_range(0, rows, eager=True)
    department = (index * 7919 + seed) % 97 + 1
    corsica = (index % 50) == 0
    insee = (
        pl.when(corsica)
        .then(pl.lit("2A") + ((index % 999) + 1).cast(pl.String).str.zfill(3))
        .otherwise(department.cast(pl.String).str.zfill(2) + ((index * 31) % 999 + 1).cast(pl.String).str.zfill(3))
    )
    cents = (index * 104729 + seed) % 1_000_000_000
    euros = cents // 100
    # "1 234 567,89": groups of three digits joined by spaces, as French spreadsheets write.
    millions, thousands, units = euros // 1_000_000, euros // 1000 % 1000, euros % 1000
    grouped = pl.when(millions > 0).then(
        millions.cast(pl.String) + " " + thousands.cast(pl.String).str.zfill(3) + " "
    ).when(thousands > 0).then(thousands.cast(pl.String) + " ").otherwise(pl.lit("")) + pl.when(
        (millions > 0) | (thousands > 0)
    ).then(units.cast(pl.String).str.zfill(3)).otherwise(units.cast(pl.String))
    days = (index * 37) % 3650
    frame = pl.DataFrame({"i": index}).select(
        code_insee=insee,
        commune=pl.lit(pl.Series(COMMUNES)).gather(index % len(COMMUNES)),
        date_mandat=(pl.date(2015, 1, 1) + pl.duration(days=days)).dt.strftime("%d/%m/%Y"),
        montant=grouped + "," + (cents % 100).cast(pl.String).str.zfill(2),
        taux=(index % 1000 // 10).cast(pl.String) + "," + (index % 10).cast(pl.String),
        population=((index * 13) % 200_000).cast(pl.String),
        siret=((index * 7_654_321 + seed) % 10**14).cast(pl.String).str.zfill(14),
    )
    return frame.rename(
        {
            "code_insee": "Code INSEE",
            "commune": "Commune",
            "date_mandat": "Date du mandat",
            "montant": "Montant (€)",
            "taux": "Taux",
            "population": "Population",
            "siret": "SIRET",
        }
    )


def generate(path: Path, rows: int, seed: int = 7, batch: int = 500_000) -> None:
    """Write the CSV in Windows-1252 by batches, so that a > 1 GB file needs little memory."""
    with path.open("wb") as target:
        for start in range(0, rows, batch):
            frame = french_frame(min(batch, rows - start), seed + start)
            text = frame.write_csv(separator=";", include_header=start == 0)
            target.write(text.encode("cp1252"))


def run_hub(path_in: Path, path_out: Path) -> dict:
    from connectors.tabular import normalise_file

    report = normalise_file(path_in, path_out)
    return {"rows": report["rows"], "types": {c["name"]: c["type"] for c in report["columns"]}}


def run_streaming(path_in: Path, path_out: Path) -> dict:
    from connectors.tabular import normalise_csv_file

    report = normalise_csv_file(path_in, path_out)
    return {"rows": report["rows"], "types": {c["name"]: c["type"] for c in report["columns"]}}


def run_pandas(path_in: Path, path_out: Path) -> dict:
    import pandas as pd

    from connectors.tabular.names import snake_case

    frame = pd.read_csv(
        path_in,
        sep=";",
        encoding="cp1252",
        decimal=",",
        thousands=" ",
        dtype={"Code INSEE": str, "SIRET": str},
    )
    frame["Date du mandat"] = pd.to_datetime(frame["Date du mandat"], format="%d/%m/%Y")
    frame.columns = [snake_case(name) for name in frame.columns]
    frame.to_parquet(path_out, compression="zstd", index=False)
    return {"rows": len(frame), "types": {name: str(t) for name, t in frame.dtypes.items()}}


CONTENDERS = {"hub": run_hub, "streaming": run_streaming, "pandas": run_pandas}
# Imported before the clock starts: the figures are the work, not the interpreter's start.
LIBRARIES = {
    "hub": ("connectors.tabular",),
    "streaming": ("connectors.tabular",),
    "pandas": ("pandas", "pyarrow.parquet", "connectors.tabular.names"),
}


def measure(contender: str, path_in: Path, path_out: Path) -> dict:
    """Run one contender in a fresh interpreter; it prints its own figures as JSON."""
    command = [sys.executable, __file__, "--run", contender, str(path_in), str(path_out)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=PROJECT_DIR)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(contender: str, path_in: Path, path_out: Path) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    for library in LIBRARIES[contender]:
        importlib.import_module(library)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    outcome = CONTENDERS[contender](path_in, path_out)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({**outcome, "seconds": seconds, "cpu": cpu, "peak_rss": peak}))


def _cpu_seconds() -> float:
    """Processor time of all the process's threads: what the work costs whatever the load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def compare(rows: int, workdir: Path, repeat: int) -> None:
    source = workdir / "french.csv"
    started = time.perf_counter()
    generate(source, rows)
    size = source.stat().st_size
    print(f"generated {rows:,} rows, {size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    # Alternated runs, the fastest of each kept: the machine is shared, and a run slowed
    # by a neighbour says nothing about the code.
    runs: dict[str, list[dict]] = {"hub": [], "pandas": []}
    for _ in range(repeat):
        for name in runs:
            runs[name].append(measure(name, source, workdir / f"{name}.parquet"))
    hub, pandas = (min(runs[name], key=lambda figures: figures["seconds"]) for name in runs)
    assert hub["rows"] == pandas["rows"] == rows, (hub["rows"], pandas["rows"])
    same = pl.read_parquet(workdir / "hub.parquet").equals(
        pl.read_parquet(workdir / "pandas.parquet").with_columns(pl.col("date_du_mandat").cast(pl.Date)),
    )
    for name, figures in (("hub", hub), ("pandas", pandas)):
        print(
            f"{name:>7}: {figures['seconds']:6.2f} s  {rows / figures['seconds']:>12,.0f} rows/s"
            f"  CPU {figures['cpu']:5.2f} s  peak RSS {figures['peak_rss'] / 2**20:7.0f} MiB"
        )
    print(
        f"  ratio: hub is {pandas['seconds'] / hub['seconds']:.1f}x faster than pandas"
        f" (fastest of {repeat} alternated runs each); CPU time ratio {pandas['cpu'] / hub['cpu']:.1f}x"
    )
    print(f"  load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  same Parquet content: {same}")
    print(f"  hub types: {hub['types']}")


PANDAS_SCRIPT = """\
import sys

import pandas as pd

source, target = sys.argv[1:]
frame = pd.read_csv(
    source, sep=";", encoding="cp1252", decimal=",", thousands=" ", dtype={{"Code INSEE": str, "SIRET": str}}
)
frame["Date du mandat"] = pd.to_datetime(frame["Date du mandat"], format="%d/%m/%Y")
frame.columns = {names!r}
frame.to_parquet(target, compression="zstd", index=False)
"""


def whole_process(rows: int, workdir: Path, repeat: int) -> None:
    """`tdh inspect` and a pandas script, each timed from interpreter start to exit."""
    from connectors.tabular.names import snake_case

    source = workdir / "french.csv"
    # A child's peak RSS counts the pages of the process that forked it: this one must stay
    # small, so the file is generated in another interpreter.
    generator = multiprocessing.get_context("spawn").Process(target=generate, args=(source, rows))
    generator.start()
    generator.join()
    if generator.exitcode != 0:
        raise RuntimeError("generating the file failed")
    print(f"generated {rows:,} rows, {source.stat().st_size / 1e6:.1f} MB")
    # pandas is told the column names too, so that its script imports nothing of the hub.
    with source.open(encoding="cp1252") as text:
        header = text.readline().rstrip("\n").split(";")
    script = workdir / "pandas_told_everything.py"
    script.write_text(PANDAS_SCRIPT.format(names=[snake_case(name) for name in header]))
    commands = {
        "tdh inspect": [str(Path(sys.executable).with_name("tdh")), "inspect", str(source),
                        "--out", str(workdir / "hub.parquet"), "--json"],
        "pandas script": [sys.executable, str(script), str(source), str(workdir / "pandas.parquet")],
    }
    print(f"bytecode: {_bytecode_state()}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"this script's own peak RSS, a floor for the figures below: {own:.0f} MiB")
    runs: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(repeat):  # alternated, fastest kept: the machine is shared
        for name, command in commands.items():
            runs[name].append(_run_process(command, workdir))
    best = {name: min(figures, key=lambda figures: figures["seconds"]) for name, figures in runs.items()}
    for name, figures in best.items():
        every_run = ", ".join(f"{run['seconds']:.2f}" for run in runs[name])
        print(
            f"{name:>14}: {figures['seconds']:6.2f} s  CPU {figures['cpu']:5.2f} s"
            f"  peak RSS {figures['peak_rss'] / 2**20:5.0f} MiB  (runs: {every_run} s)"
        )
    hub, pandas = best["tdh inspect"], best["pandas script"]
    print(
        f"  ratio: tdh inspect is {pandas['seconds'] / hub['seconds']:.2f}x faster than the pandas script"
        f" (fastest of {repeat} alternated runs each); CPU time ratio {pandas['cpu'] / hub['cpu']:.2f}x"
    )
    print(f"  load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    report = json.loads(hub["output"])
    assert report["rows"] == rows, report["rows"]
    same = pl.read_parquet(workdir / "hub.parquet").equals(
        pl.read_parquet(workdir / "pandas.parquet").with_columns(pl.col("date_du_mandat").cast(pl.Date)),
    )
    print(f"  same Parquet content: {same}; personal data found by tdh inspect: {report['personal_data'] or 'none'}")


def _run_process(command: list[str], workdir: Path) -> dict:
    """Wall time, processor time and peak RSS of this one child (wait4 gives its own rusage)."""
    output, errors = workdir / "stdout.txt", workdir / "stderr.txt"
    with output.open("w") as stdout, errors.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=PROJECT_DIR)  # noqa: S603
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{errors.read_text()}")
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_rss": usage.ru_maxrss * 1024,  # Linux: KiB
        "output": output.read_text(),
    }


def _bytecode_state() -> str:
    """Whether the hub's and pandas' modules start from compiled bytecode or compile it again."""

    def compiled(source: str) -> str:
        return "compiled" if Path(importlib.util.cache_from_source(source)).exists() else "NOT compiled"

    pandas = importlib.util.find_spec("pandas").origin
    writes = "off" if sys.flags.dont_write_bytecode else "on"
    return (f"project {compiled(str(PROJECT_DIR / 'pipelines' / 'cli.py'))}, site-packages {compiled(pandas)}"
            f" (writing bytecode at import: {writes})")


def streaming(gigabytes: float, workdir: Path) -> None:
    probe = workdir / "probe.csv"
    generate(probe, 100_000)
    rows = int(gigabytes * 1e9 / (probe.stat().st_size / 100_000)) + 1
    source = workdir / "big.csv"
    started = time.perf_counter()
    generate(source, rows)
    size = source.stat().st_size
    print(f"generated {rows:,} rows, {size / 1e9:.2f} GB in {time.perf_counter() - started:.0f} s")
    figures = measure("streaming", source, workdir / "big.parquet")
    assert figures["rows"] == rows, figures["rows"]
    peak = figures["peak_rss"]
    print(
        f"streaming: {figures['seconds']:.1f} s  {rows / figures['seconds']:,.0f} rows/s"
        f"  peak RSS {peak / 2**20:.0f} MiB ({peak / size:.2f} x the file size;"
        f" goal < 1 GiB: {'met' if peak < 2**30 else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (fastest kept)")
    parser.add_argument("--streaming-gb", type=float, help="generate a CSV this large instead")
    parser.add_argument("--whole-process", action="store_true", help="time `tdh inspect` against a pandas script")
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: temp)")
    parser.add_argument("--run", nargs=3, metavar=("CONTENDER", "IN", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run:
        contender, path_in, path_out = arguments.run
        child(contender, Path(path_in), Path(path_out))
        return
    with tempfile.TemporaryDirectory(dir=arguments.workdir) as work:
        if arguments.streaming_gb:
            streaming(arguments.streaming_gb, Path(work))
        elif arguments.whole_process:
            whole_process(arguments.rows, Path(work), arguments.repeat)
        else:
            compare(arguments.rows, Path(work), arguments.repeat)


if __name__ == "__main__":
    main()

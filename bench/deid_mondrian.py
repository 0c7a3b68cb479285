"""A derivation at scale: 1,000,000 records × 6 quasi-identifiers to k = 10, one run.

Goal (issue 11): ≤ 60 s and ≤ 4 GiB peak memory for the whole derivation of a CSV source:
read the file, scan it for identifiers, pseudonymise an id column, generalise six
quasi-identifiers with Mondrian (two numeric ranges, a date hierarchy, a postcode prefix
hierarchy, two category hierarchies), measure k and l on the output, write the derived CSV.

Baseline, measured side by side in the same run: reading the same CSV and writing it back
unchanged (the I/O floor no derivation can beat). Each side runs in a fresh child process, so
its peak resident memory is its own. Prints wall and CPU seconds, peak RSS, and the ratio of
derivation to baseline; k is checked again on the written file with an independent group-by.

    .venv/bin/python bench/deid_mondrian.py [--rows 1000000] [--k 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from accord.deid.derive import derive
from accord.deid.pseudonyms import new_key
from accord.deid.scan import require_handled, scan
from accord.deid.source import read_table, write_table
from accord.deid.spec import parse_spec

REGIONS = {
    "Africa": {
        "Kenya": ["Kisumu", "Nairobi", "Mombasa", "Nakuru"],
        "Tanzania": ["Arusha", "Dodoma", "Mwanza"],
    },
    "Europe": {"Switzerland": ["Geneva", "Zurich", "Basel"], "France": ["Lyon", "Paris"]},
    "America": {"Brazil": ["Recife", "Salvador", "Manaus"], "Chile": ["Santiago"]},
}
OCCUPATIONS = {
    "manual": ["farmer", "fisher", "builder", "driver"],
    "services": ["trader", "teacher", "nurse", "clerk"],
    "none": ["student", "retired", "unemployed"],
}
SPEC = {
    "pseudonymise": ["patient_id"],
    "quasi_identifiers": [
        {"column": "age", "kind": "range"},
        {"column": "income", "kind": "range"},
        {"column": "admitted", "kind": "date", "levels": ["month", "year"]},
        {"column": "postcode", "kind": "prefix", "lengths": [3, 2, 1]},
        {"column": "region", "kind": "category", "hierarchy": REGIONS},
        {"column": "occupation", "kind": "category", "hierarchy": OCCUPATIONS},
    ],
    "sensitive": ["diagnosis"],
    "release": {"tier": "registered"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--child", nargs=3, metavar=("SIDE", "SOURCE", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        side, source, out = args.child
        print(json.dumps(run_child(side, Path(source), Path(out), args.k)))
        return
    with tempfile.TemporaryDirectory(prefix="deid-bench-") as folder:
        source = Path(folder) / "source.csv"
        started = time.perf_counter()
        write_source(source, args.rows)
        print(
            f"source: {args.rows:,} records, {source.stat().st_size / 2**20:.0f} MiB "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        baseline = child("baseline", source, Path(folder) / "copy.csv", args.k)
        derived = child("derive", source, Path(folder) / "derived.csv", args.k)
    report(baseline, derived, args.k)


def child(side: str, source: Path, out: Path, k: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--k", str(k), "--child", side, str(source), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_child(side: str, source: Path, out: Path, k: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    table = read_table(source, "csv")
    measured: dict[str, float] = {}
    if side == "derive":
        spec = parse_spec({**SPEC, "k": k})
        require_handled(spec, table.column_names, scan(table))
        derived = derive(table, spec, new_key(), output_format="csv", software="bench")
        del table
        table = derived.table
        measured = {
            "k_reported": derived.report.k_achieved,
            "suppressed": derived.report.records_suppressed,
            "classes": derived.report.classes,
            "ncp": derived.report.information_loss.ncp,
        }
    write_table(table, "csv", out)
    measured["wall"] = time.perf_counter() - wall
    measured["cpu"] = time.process_time() - cpu
    measured["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if side == "derive":
        measured["k_checked"] = independent_k(out, [q["column"] for q in SPEC["quasi_identifiers"]])
    return measured


def independent_k(path: Path, quasi: list[str]) -> int:
    """k of the written file by a plain group-by over its text values."""
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(quasi, pa.string()))
    table = pacsv.read_csv(path, convert_options=options).select(quasi)
    counts = table.group_by(quasi).aggregate([([], "count_all")]).column("count_all")
    return int(pa.compute.min(counts).as_py())


def write_source(path: Path, rows: int) -> None:
    rng = np.random.default_rng(2026)
    cities = [c for country in REGIONS.values() for cs in country.values() for c in cs]
    jobs = [j for group in OCCUPATIONS.values() for j in group]
    day0 = np.datetime64("2018-01-01")
    table = pa.table(
        {
            "patient_id": pa.array(np.char.add("KE-", np.arange(rows).astype(str))),
            "age": pa.array(np.clip(rng.normal(38, 18, rows), 0, 99).astype(np.int64)),
            "income": pa.array((rng.lognormal(10, 0.6, rows) // 100 * 100).astype(np.int64)),
            "admitted": pa.array((day0 + rng.integers(0, 6 * 365, rows)).astype(str)),
            "postcode": pa.array(np.char.zfill(rng.integers(0, 100_000, rows).astype(str), 5)),
            "region": pa.array(rng.choice(cities, rows)),
            "occupation": pa.array(rng.choice(jobs, rows)),
            "diagnosis": pa.array(rng.choice(["malaria", "tb", "hiv", "flu", "none"], rows)),
        }
    )
    pacsv.write_csv(table, path)


def report(baseline: dict[str, float], derived: dict[str, float], k: int) -> None:
    for name, side in (("baseline (read + write)", baseline), ("derivation", derived)):
        print(
            f"{name:>24}: {side['wall']:6.1f} s wall, {side['cpu']:6.1f} s CPU, "
            f"peak {side['peak_mib']:,.0f} MiB"
        )
    print(
        f"k = {k}: reported {derived['k_reported']:.0f}, checked {derived['k_checked']:.0f}; "
        f"{derived['classes']:,.0f} classes, {derived['suppressed']:.0f} suppressed, "
        f"mean NCP {derived['ncp']:.3f}"
    )
    print(
        f"ratio derivation / baseline: {derived['wall'] / baseline['wall']:.1f} × wall, "
        f"{derived['cpu'] / baseline['cpu']:.1f} × CPU"
    )
    ok = derived["wall"] <= 60 and derived["peak_mib"] <= 4096 and derived["k_checked"] >= k
    print(f"goal (≤ 60 s, ≤ 4 GiB, k holds): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

"""`python -m benchmarks [NAME...] [--quick] [--json]`."""

from __future__ import annotations

import argparse
import sys

from benchmarks.floor import measure_floor
from benchmarks.harness import REGISTRY, Options, run_scenario
from benchmarks.report import as_json, as_table
from benchmarks.scenarios import load_all


def main(argv: list[str] | None = None) -> int:
    load_all()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(REGISTRY)}")
    parser.add_argument("--quick", action="store_true", help="few, small runs (CI smoke test)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}")
    options = Options(quick=args.quick)
    if not args.json:
        print("measuring the floor...", file=sys.stderr, flush=True)
    floor = measure_floor(options)
    results = []
    for name in args.names or list(REGISTRY):
        if not args.json:
            print(f"running {name}...", file=sys.stderr, flush=True)
        results.append(run_scenario(REGISTRY[name], options))
    report = as_json if args.json else as_table
    print(report(results, floor, args.quick))
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())

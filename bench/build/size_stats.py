#!/usr/bin/env python3
"""Medians of bench/build/click.py's JSON lines, the warm-up lines dropped:
prints "ready_ms first_line_ms extract render layer config push" (the
first log line comes after the deployer packed the commit for the builder;
then the builder's step timings, ms, "-" when a step is missing; then the
rest of each run: ready minus the first line and the steps, its median).

    size_stats.py FILE WARMUP
"""
import json
import sys

STEPS = ("extract", "render", "layer", "config", "push")


def median(values):
    values = sorted(values)
    return values[(len(values) - 1) // 2] if values else None


def main():
    path, warmup = sys.argv[1], int(sys.argv[2])
    runs = [json.loads(line) for line in open(path) if line.strip()][warmup:]
    out = [median(r["ready_ms"] for r in runs), median(r["first_line_ms"] for r in runs)]
    out += [median(r["steps"][s] for r in runs if s in r["steps"]) for s in STEPS]
    # Per run, not from the medians above: those need not add up.
    out.append(median(r["ready_ms"] - r["first_line_ms"] - sum(r["steps"].values()) for r in runs))
    print(" ".join("-" if v is None else str(round(v, 1)) for v in out))


if __name__ == "__main__":
    main()

"""Compares a bench-quick run with the recorded baseline.

Both files hold "name value" lines. Names with "_vs_" are ratios to a peer
measured in the same run (higher is better): a fall of more than the
tolerance is a regression. The other figures are absolute and printed only.
Usage: quick_compare.py BASELINE NOW TOLERANCE_PERCENT
"""

import sys


def read(path):
    figures = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, value = line.split()
            figures[name] = float(value)
    return figures


def main():
    baseline, now, tolerance = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
    regressions = []
    print(f"| figure | baseline | now | delta | judged |")
    print("|---|---|---|---|---|")
    for name in sorted(set(baseline) | set(now)):
        if name not in baseline or name not in now:
            print(f"| {name} | {baseline.get(name, '–')} | {now.get(name, '–')} | – | new or gone |")
            continue
        before, after = baseline[name], now[name]
        delta = (after / before - 1) * 100 if before else 0.0
        judged = "_vs_" in name
        verdict = "no (absolute)"
        if judged:
            verdict = "ok"
            if delta < -tolerance:
                verdict = f"**regressed** (more than {tolerance:g} %)"
                regressions.append(name)
        print(f"| {name} | {before:g} | {after:g} | {delta:+.1f} % | {verdict} |")
    if regressions:
        print(f"\nregressed against their peers: {', '.join(regressions)}")
        return 1
    print(f"\nno ratio fell by more than {tolerance:g} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())

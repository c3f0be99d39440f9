#!/usr/bin/env python3
"""Where a deploy's time goes: milestones per case, medians over repetitions.

    phases.py MARKS EVENTS_LOG WORK_DIR

MARKS (written by run.sh), one line per measured repetition, tab-separated:
    case rep t0_us t_cmd_us t_done_us t_healthy_us container_id [status=first_seen_us ...]
t_cmd is when the API answered 202 (deploys) or the podman command returned
(peers); t_done the first accepted answer; t_healthy the first poll that saw
`status=healthy` (0 when not polled).
EVENTS_LOG is podman's events file (events_logger = "file"): image pulls and
container create/init/start with nanosecond times. WORK_DIR/logs-CASE-REP.txt
hold `podman logs -t` of the repetition's container: gunicorn's own lines
(start, bind, workers) and its access log (the first 200 the container sent).
All clocks are the same wall clock; every milestone is printed in ms after t0.
"""
import json
import re
import statistics
import sys
from collections import defaultdict
from datetime import datetime


def parse_time_us(text):
    """RFC 3339 with up to nanoseconds, any offset → µs since the epoch."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?", text)
    if not m:
        return None
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    tz = m.group(3) or "+00:00"
    if tz == "Z":
        tz = "+00:00"
    base = datetime.fromisoformat(m.group(1) + tz)
    return int(base.timestamp()) * 1_000_000 + int(frac)


def load_events(path):
    events = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                t = parse_time_us(str(e.get("Time", "")))
                if t is not None:
                    events.append((t, e.get("Type", ""), e.get("Status", ""), e.get("ID", "")))
    except OSError:
        pass
    return sorted(events)


GUNICORN = [
    ("gunicorn: starting", re.compile(r"Starting gunicorn")),
    ("gunicorn: listening", re.compile(r"Listening at")),
    ("gunicorn: last worker booting", re.compile(r"Booting worker")),
    ("container: first 200 sent", re.compile(r'"GET /[^ ]* HTTP/1\.[01]" 200')),
]


def log_milestones(path, t0):
    """First time (µs) of each gunicorn milestone at or after t0; last for workers."""
    found = {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return found
    for line in lines:
        stamp, _, text = line.partition(" ")
        t = parse_time_us(stamp)
        if t is None or t < t0:
            continue
        for name, pattern in GUNICORN:
            if pattern.search(text):
                if name == "gunicorn: last worker booting" or name not in found:
                    found[name] = t
    if "gunicorn: last worker booting" in found and "container: first 200 sent" in found:
        # Workers booting after the first answer are replacements, not start-up.
        if found["gunicorn: last worker booting"] > found["container: first 200 sent"]:
            del found["gunicorn: last worker booting"]
    return found


def main():
    marks_path, events_path, work = sys.argv[1:4]
    events = load_events(events_path)
    order = defaultdict(list)  # case → milestone names in first-seen order
    values = defaultdict(lambda: defaultdict(list))  # case → milestone → [ms]
    for line in open(marks_path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 7:
            continue
        case, rep, t0, t_cmd, t_done, t_healthy, cid = parts[:7]
        t0, t_cmd, t_done, t_healthy = int(t0), int(t_cmd), int(t_done), int(t_healthy)
        m = {}
        cmd = "API answered 202" if case.startswith("deploy") else "command returned"
        if case != "wake":
            m[cmd] = t_cmd
        for extra in parts[7:]:
            status, _, t = extra.partition("=")
            if t and int(t) > 0:
                m[f"API shows status={status}"] = int(t)
        window = [e for e in events if t0 <= e[0] <= t_done]
        pulls = [e[0] for e in window if e[1] == "image" and e[2] == "pull"]
        if pulls:
            m["podman: image pull done"] = pulls[-1]
        for status in ("create", "init", "start"):
            times = [e[0] for e in window if e[1] == "container" and e[2] == status and e[3] == cid]
            if times:
                m[f"podman: container {status}"] = times[0]
        m.update(log_milestones(f"{work}/logs-{case}-{rep}.txt", t0))
        if t_healthy > 0:
            m["API shows status=healthy (poll)"] = t_healthy
        m["answer seen by the bench (poll)"] = t_done
        for name, t in m.items():
            if name not in order[case]:
                order[case].append(name)
            values[case][name].append((t - t0) / 1000)
    print("Milestones, ms after the request or command (median over repetitions; n = how many had it):")
    print()
    for case, names in order.items():
        rows = [(statistics.median(values[case][n]), n, len(values[case][n])) for n in names]
        print(f"**{case}**")
        print()
        print("| milestone | median ms | n |")
        print("|---|---|---|")
        for med, name, n in sorted(rows):
            print(f"| {name} | {med:.0f} | {n} |")
        print()


if __name__ == "__main__":
    main()

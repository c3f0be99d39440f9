#!/usr/bin/env python3
"""Click -> image ready, as the web app sees it: save a one-line change to
model.py (a commit), POST a build, and wait on the build's event stream
(text/event-stream, not a poll) for `event: end`. Each run prints one JSON
line: the save, the POST, when the stream's first log line and the end
event arrived (ms after the POST was sent), and the builder's own step
timings from its log ("step NAME done in N ms").

    click.py URL TOKEN OWNER PROJECT RUNS
"""
import http.client
import json
import re
import sys
import time
import urllib.parse

STEP = re.compile(r"step (\S+) done in ([\d.]+) ms")


def request(conn, method, path, token, body=None, headers=None):
    all_headers = {"Authorization": f"Bearer {token}"}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
    return data


def follow(host, port, path, token, t0):
    """Reads the event stream until `end`; returns (first line ms, end ms, lines)."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}",
                                       "Accept": "text/event-stream"})
    response = conn.getresponse()
    first, lines, event = None, [], None
    while True:
        raw = response.fp.readline()
        if not raw:
            raise SystemExit("the event stream ended without `event: end`")
        line = raw.decode().rstrip("\r\n")
        now = (time.perf_counter() - t0) * 1000
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            if event == "end":
                conn.close()
                return first, now, lines, json.loads(line[5:])
            first = now if first is None else first
            lines.append(line[5:].strip())
        elif line == "":
            event = None


def main():
    url, token, owner, project, runs = sys.argv[1:6]
    parsed = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    files = f"/api/v1/projects/{owner}/{project}/files/model.py"
    model = request(conn, "GET", files, token)
    for n in range(int(runs)):
        changed = model + f"\n# click {n} {time.time_ns()}\n".encode()
        t_save = time.perf_counter()
        request(conn, "PUT", files, token, body=changed)
        save_ms = (time.perf_counter() - t_save) * 1000
        t0 = time.perf_counter()
        build = json.loads(request(conn, "POST", f"/api/v1/projects/{owner}/{project}/builds",
                                   token, body=b"{}",
                                   headers={"Content-Type": "application/json"}))
        post_ms = (time.perf_counter() - t0) * 1000
        first, end, lines, final = follow(parsed.hostname, parsed.port,
                                          f"/api/v1/builds/{build['id']}/logs", token, t0)
        if final.get("status") != "succeeded":
            raise SystemExit(f"build {final.get('status')}: {final.get('error')}")
        steps = {m.group(1): float(m.group(2)) for m in map(STEP.search, lines) if m}
        print(json.dumps({"save_ms": round(save_ms, 1), "post_ms": round(post_ms, 1),
                          "first_line_ms": round(first or end, 1), "ready_ms": round(end, 1),
                          "steps": steps}), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Peak VmRSS of some processes, sampled every INTERVAL seconds until
SIGTERM; then prints "pid peak_kib samples" per process. A sampler in
Python rather than a shell loop: a fork per sample would cost more than the
sample and load the 2 cores the servers run on."""
import signal
import sys
import time

interval = float(sys.argv[1])
pids = sys.argv[2:]
peak = {pid: 0 for pid in pids}
samples = 0
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


while running:
    for pid in pids:
        peak[pid] = max(peak[pid], rss_kib(pid))
    samples += 1
    time.sleep(interval)
for pid in pids:
    print(pid, peak[pid], samples)

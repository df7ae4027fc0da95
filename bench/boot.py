#!/usr/bin/env python3
"""Boot-to-ready time, idle memory, stop time and size of the release binary.

Usage: python3 bench/boot.py [--runs N] [--binary PATH]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).
Prints a Markdown table of medians (and min/max) for BENCHMARKS.md.

Boot-to-ready is measured from just before exec to the first `GET /readyz` answered 200,
polling every 0.5 ms over loopback; "cold" starts on an empty data directory (creates the
SQLite file, the dev secret and runs the migrations), "warm" on one left by a previous run.
Idle RSS is VmRSS one second after ready. Stop is SIGTERM to process exit.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_run(binary, data_parent, fresh):
    port = common.free_port()
    cwd = tempfile.mkdtemp(dir=data_parent) if fresh else data_parent
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "DATA_DIR": os.path.join(cwd, "data")}
    start = time.perf_counter()
    proc = subprocess.Popen([binary, "start"], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + 30
    # A short timeout: boot is measured in milliseconds.
    while not common.ready(port, timeout=0.2):
        if proc.poll() is not None or time.perf_counter() > deadline:
            raise RuntimeError(f"server did not become ready (exit {proc.poll()})")
        time.sleep(0.0005)
    boot_ms = (time.perf_counter() - start) * 1000
    time.sleep(1.0)
    rss = common.rss_kib(proc.pid)
    stop_start = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    stop_ms = (time.perf_counter() - stop_start) * 1000
    if code != 0:
        raise RuntimeError(f"exit code {code} after SIGTERM")
    return boot_ms, rss / 1024, stop_ms


def config_error_ms(binary):
    start = time.perf_counter()
    proc = subprocess.run([binary, "start"], env={"APP_ENV": "prod"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.perf_counter() - start) * 1000
    assert proc.returncode == 78, proc.returncode
    return elapsed


def summary(values, unit, digits=1):
    return (f"{statistics.median(values):.{digits}f} {unit} "
            f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/donation_platform"))
    args = parser.parse_args()
    binary = args.binary
    size = os.path.getsize(binary)

    with tempfile.TemporaryDirectory() as scratch:
        cold = [one_run(binary, scratch, fresh=True) for _ in range(args.runs)]
        warm_dir = tempfile.mkdtemp(dir=scratch)
        one_run(binary, warm_dir, fresh=False)  # leaves a migrated database behind
        warm = [one_run(binary, warm_dir, fresh=False) for _ in range(args.runs)]
    errors = [config_error_ms(binary) for _ in range(args.runs)]

    version = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
    print(f"{version}, {args.runs} runs each, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores\n")
    print("| measure | median (min, max) |")
    print("|---|---|")
    print(f"| release binary size | {size / 1024 / 1024:.2f} MiB ({size} bytes) |")
    print(f"| boot to ready, cold (empty data dir: secret, SQLite file, migrations) | {summary([r[0] for r in cold], 'ms')} |")
    print(f"| boot to ready, warm (existing database) | {summary([r[0] for r in warm], 'ms')} |")
    print(f"| idle RSS 1 s after ready | {summary([r[1] for r in warm], 'MiB')} |")
    print(f"| stop (SIGTERM to exit, idle) | {summary([r[2] for r in warm], 'ms')} |")
    print(f"| `APP_ENV=prod start` with nothing set → exit 78 | {summary(errors, 'ms')} |")


if __name__ == "__main__":
    sys.exit(main())

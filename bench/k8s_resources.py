#!/usr/bin/env python3
"""Memory and CPU of one server, to size the Kubernetes requests and limits
(deploy/kubernetes/base/deployment.yaml).

Usage: python3 bench/k8s_resources.py [--runs 3] [--seconds 20] [--clients 64] [--binary PATH] [--write]
Builds nothing: run `cargo build --release` first. Needs what bench/donations.py needs (the
PostgreSQL 15 server programs and wrk), whose cluster, server and wrk driver it reuses.

Each run: a fresh database on a throwaway PostgreSQL 15, a fresh `donation_platform start`
(POOL_SIZE=10 and JSON logs at info, as the ConfigMap sets them; dev mode, which migrates on
start), then
- idle: VmRSS 1 s after `/readyz` answers 200;
- loaded: `--seconds` of `POST /api/v1/donations` from wrk over `--clients` keep-alive
  connections (every request a new donation, committed before its 201), VmRSS sampled every
  0.25 s (median of the samples), the peak (VmHWM) at the end, and the CPU the server used
  (utime + stime from /proc/PID/stat over the run, in cores: wrk and PostgreSQL share the 2
  cores, so this is what the server got, not what it could use).
Medians over the runs, with (min–max). `--write` replaces the section `## Kubernetes resources`
of BENCHMARKS.md.
"""

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import common
import donations

SECTION = "## Kubernetes resources"
POOL_SIZE = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def status_kib(pid, field):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


def cpu_seconds(pid):
    """User + system CPU time of `pid` so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def sample_rss(pid, stop, samples):
    while not stop.is_set():
        samples.append(status_kib(pid, "VmRSS"))
        stop.wait(0.25)


def one_run(args, scratch, cleanup, pg, run):
    db = f"k8s_{run}"
    pg.psql(f"CREATE DATABASE {db}")
    server = donations.Server(args.binary, scratch, cleanup, f"k8s{run}",
                              database_url=pg.url(db), pool_size=POOL_SIZE)
    server.env.update({"LOG_FORMAT": "json", "LOG_LEVEL": "info"})
    server.start()
    pid = server.proc.pid
    time.sleep(1)
    idle = status_kib(pid, "VmRSS")
    password = os.path.join(server.dir, "password")
    with open(password, "w") as f:
        f.write(donations.PASSWORD + "\n")
    server.cli("user", "create", "--email", "bench@example.org", "--role", "amil",
               "--password-file", password)
    token = server.cli("token", "create", "--email", "bench@example.org").strip()
    samples, stop = [], threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(pid, stop, samples))
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    sampler.start()
    try:
        result = donations.run_wrk(server.port, token, args.clients, args.seconds, scratch)
    finally:
        stop.set()
        sampler.join()
    cores = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - started)
    peak = status_kib(pid, "VmHWM")
    code = server.stop()
    if result["other"] or result["wrk_errors"] or code != 0:
        raise RuntimeError(f"run {run}: non-201 {result['other']}, wrk errors "
                           f"{result['wrk_errors']}, exit {code}")
    common.log(f"run {run}: idle {idle / 1024:.1f} MiB, loaded {statistics.median(samples) / 1024:.1f}"
               f" MiB, peak {peak / 1024:.1f} MiB, {cores:.2f} cores, {result['rate']:,.0f} donations/s")
    return {"idle": idle, "loaded": statistics.median(samples), "peak": peak, "cores": cores,
            "rate": result["rate"], "p99_us": result["p99_us"]}


def spread(values, unit, scale=1.0, digits=1):
    values = [v * scale for v in values]
    fmt = f"{{:.{digits}f}}"
    return (f"{fmt.format(statistics.median(values))} {unit} "
            f"({fmt.format(min(values))}–{fmt.format(max(values))})")


def markdown(command, version, runs, args):
    mib = 1 / 1024
    return f"""{SECTION}

```sh
cargo build --release && {command}
```

{version}, {time.strftime('%Y-%m-%d')}, 2 cores shared with the load generator and PostgreSQL
15 (and with other work on the machine), {len(runs)} runs, medians (min–max). One server as a pod
runs it: PostgreSQL, `POOL_SIZE={POOL_SIZE}`, JSON logs at info; load is {args.seconds} s of
`POST /api/v1/donations` from `wrk -c {args.clients}`. Method in `bench/k8s_resources.py`.

| measure | value |
|---|---:|
| RSS idle, 1 s after ready | {spread([r['idle'] for r in runs], 'MiB', mib)} |
| RSS under write load (median of samples) | {spread([r['loaded'] for r in runs], 'MiB', mib)} |
| peak RSS (VmHWM) | {spread([r['peak'] for r in runs], 'MiB', mib)} |
| CPU used under that load | {spread([r['cores'] for r in runs], 'cores', 1, 2)} |
| donations/s meanwhile | {spread([r["rate"] for r in runs], "/s", 1, 0)} |

**What the manifests ask for.** `requests: memory 64Mi, cpu 250m`, `limits: memory 256Mi, cpu 1`.
The memory request covers the loaded peak with room; the limit covers the worst case of the
connection bounds measured in "Connection bounds and logging" (5,000 idle keep-alive
connections 39 MiB; 2,000 slow clients 56 MiB, about 15 KiB each, so `MAX_CONNECTIONS=8192`
slow clients stay near 140 MiB) with room, so the OOM killer only meets a leak. CPU: one core
at most per pod (three replicas spread over nodes); the request is what a pod needs at a
steady moderate load, and the limit lets a burst use a whole core without starving neighbours.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(donations.ROOT,
                                                         "target/release/donation_platform"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("missing wrk: apt-get install -y wrk")
    command = shlex.join(["python3", "bench/k8s_resources.py",
                          *[a for a in sys.argv[1:] if a != "--write"]])
    cleanup = donations.Cleanup()
    scratch = tempfile.mkdtemp(prefix="k8s-bench-")
    os.chmod(scratch, 0o755)  # the postgres user reaches its data directory
    cleanup.push(f"remove {scratch}", lambda: shutil.rmtree(scratch, ignore_errors=True))
    try:
        pg = donations.Postgres(scratch, cleanup)
        version = subprocess.run([args.binary, "version"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        runs = [one_run(args, scratch, cleanup, pg, run) for run in range(args.runs)]
        common.publish(SECTION, markdown(command, version, runs, args), args.write)
        return 0
    finally:
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())

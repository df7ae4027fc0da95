#!/usr/bin/env python3
"""Zero-downtime upgrade under load: hand-off time, and latency during the hand-off vs steady state.

Usage: python3 bench/upgrade.py [--seconds 30] [--connections 64] [--skip-build] [--write]

What it does, in one run:

1. Builds the two releases an operator would: `DONATION_PLATFORM_VERSION=0.2.0 cargo xtask
   release`, then `cargo xtask release` (the workspace version, 0.1.0; both with the `dist`
   profile, which leaves target/release/ to the other benches), and `cargo build --release -p
   loadgen`.
   `--skip-build` uses what target/rel/ already holds.
2. Copies the 0.1.0 release root to a temp directory and puts the 0.2.0 tarball and its .sha256
   in its releases/0.2.0/, as the seed's upgrade flow has the operator do.
3. Prod configuration: SQLite in the release's var/ (WAL, synchronous=FULL), a generated
   SECRET_KEY_BASE, a free PORT; `migrate`, `user create` (amil), `token create`, `daemon`.
4. `loadgen` (bench/loadgen: Rust, hyper, one task per keep-alive connection) runs for
   `--seconds` with `--connections` connections, each alternating `GET /healthz` and a donation
   `POST` (unique Idempotency-Key) back to back, reconnecting only on `Connection: close`, never
   retrying: a request without its answer is a failure. It records every request's send time
   and latency.
5. At 1/3 of the run `bin/donation_platform upgrade 0.2.0` (checksum, unpack, hand-off), at 2/3
   `bin/donation_platform rollback`; each command's wall time and the hand-off time it prints are
   recorded.
6. Latency percentiles over requests sent during a replacement (from the command's start to its
   return, which includes the old instance's drain) vs all other requests after a 2 s warm-up
   (steady state). Then the donations table is counted and compared with the 201s.

Prints a Markdown section; `--write` replaces `## Zero-downtime upgrade` in BENCHMARKS.md.
"""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Zero-downtime upgrade"
CURRENT, NEXT = "0.1.0", "0.2.0"



def run(command, env=None, check=True, **kwargs):
    result = subprocess.run(command, env=env, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def build():
    common.log(f"building release {NEXT}, then {CURRENT}, then loadgen (LTO: minutes)")
    subprocess.run(["cargo", "xtask", "release"], cwd=ROOT, check=True,
                   env={**os.environ, "DONATION_PLATFORM_VERSION": NEXT})
    subprocess.run(["cargo", "xtask", "release"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-p", "loadgen"], cwd=ROOT, check=True)


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def stats(latencies_us):
    return {
        "requests": len(latencies_us),
        "p50_ms": percentile(latencies_us, 0.50) / 1000,
        "p99_ms": percentile(latencies_us, 0.99) / 1000,
        "max_ms": max(latencies_us) / 1000 if latencies_us else float("nan"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if not args.skip_build:
        build()
    rel = os.path.join(ROOT, "target", "rel")
    tarball = os.path.join(rel, f"donation_platform-{NEXT}.tar.gz")
    loadgen = os.path.join(ROOT, "target", "release", "loadgen")
    for needed in (os.path.join(rel, "donation_platform"), tarball, tarball + ".sha256", loadgen):
        if not os.path.exists(needed):
            raise SystemExit(f"{needed} is missing: run without --skip-build")

    with tempfile.TemporaryDirectory(prefix="dp-upgrade-") as temp:
        root = os.path.join(temp, "rel")
        shutil.copytree(os.path.join(rel, "donation_platform"), root, symlinks=True)
        for version in os.listdir(os.path.join(root, "releases")):
            if version not in (CURRENT, "CURRENT"):
                shutil.rmtree(os.path.join(root, "releases", version))
        with open(os.path.join(root, "releases", "CURRENT"), "w") as f:
            f.write(CURRENT + "\n")
        shutil.rmtree(os.path.join(root, "tmp"))
        os.makedirs(os.path.join(root, "tmp"), mode=0o700)
        os.makedirs(os.path.join(root, "releases", NEXT))
        for name in (tarball, tarball + ".sha256"):
            shutil.copy(name, os.path.join(root, "releases", NEXT))

        entry = os.path.join(root, "bin", "donation_platform")
        database = os.path.join(root, "var", "bench.db")
        port = common.free_port()
        env = {
            "PATH": os.environ["PATH"],
            "SECRET_KEY_BASE": run([entry, "gen-secret"]).stdout.strip(),
            "DATABASE_URL": f"sqlite://{database}",
            "PORT": str(port),
        }
        run([entry, "migrate"], env=env)
        password = os.path.join(temp, "password")
        with open(password, "w") as f:
            f.write("correct horse battery staple\n")
        run([entry, "user", "create", "--email", "bench@example.org", "--role", "amil",
             "--password-file", password], env=env)
        token = run([entry, "token", "create", "--email", "bench@example.org"], env=env).stdout.strip()
        common.log(run([entry, "daemon"], env=env).stdout.strip())
        try:
            result = measure(entry, env, port, token, loadgen, args, temp)
        finally:
            run([entry, "stop"], env=env, check=False)
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT count(*) FROM donations").fetchone()[0]
        result["stored"] = stored
    text = report(result, args)
    print(text)
    if args.write:
        write_section(text)


def measure(entry, env, port, token, loadgen, args, temp):
    latencies_csv = os.path.join(temp, "latencies.csv")
    load = subprocess.Popen(
        [loadgen, "--address", f"127.0.0.1:{port}", "--token", token,
         "--connections", str(args.connections), "--seconds", str(args.seconds),
         "--latencies", latencies_csv],
        stdout=subprocess.PIPE, text=True)
    started = time.time()
    events = []

    def replace(at, command):
        time.sleep(max(0.0, started + at - time.time()))
        begun = time.time()
        result = run([entry, *command], env=env)
        events.append({"command": " ".join(command), "begun": begun, "ended": time.time(),
                       "output": result.stdout.strip()})
        common.log(result.stdout.strip())

    operator = threading.Thread(target=lambda: (replace(args.seconds / 3, ["upgrade", NEXT]),
                                                replace(2 * args.seconds / 3, ["rollback"])))
    operator.start()
    summary = json.loads(load.communicate()[0])
    operator.join()
    windows = [(e["begun"] * 1000, e["ended"] * 1000) for e in events]
    warm_up = summary["started_unix_ms"] + 2000
    during, steady = [], []
    with open(latencies_csv) as f:
        for line in f:
            sent, latency = (int(x) for x in line.split(","))
            if any(begin <= sent <= end for begin, end in windows):
                during.append(latency)
            elif sent >= warm_up:
                steady.append(latency)
    for event in events:
        match = re.search(r"hand-off took (\d+) ms", event["output"])
        event["handoff_ms"] = int(match.group(1)) if match else None
        match = re.search(r"drained and exited after (\d+) ms", event["output"])
        event["drain_ms"] = int(match.group(1)) if match else None
        event["wall_ms"] = round((event["ended"] - event["begun"]) * 1000)
    return {"summary": summary, "events": events, "during": stats(during), "steady": stats(steady)}


def report(result, args):
    summary, events = result["summary"], result["events"]
    versions = " → ".join(v for _, v in summary["versions"])
    rows = [
        "| | requests | p50 | p99 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, key in (("steady state", "steady"), ("during upgrade/rollback", "during")):
        s = result[key]
        rows.append(f"| {name} | {s['requests']:,} | {s['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms | {s['max_ms']:.1f} ms |")
    handoffs = "; ".join(
        f"`{e['command']}`: hand-off {e['handoff_ms']} ms, old instance drained and gone "
        f"{e['drain_ms']} ms later, command {e['wall_ms']} ms in all" for e in events)
    failures = summary["failed_requests"] + summary["connection_errors"]
    return f"""{SECTION}

`python3 bench/upgrade.py --write` (method in its docstring): release {CURRENT} (LTO build,
SQLite WAL + `synchronous=FULL`, prod) serving {args.connections} keep-alive connections that
alternate `GET /healthz` and a donation `POST`, back to back, for {args.seconds} s; `upgrade
{NEXT}` (from the tarball: checksum, unpack, hand-off) at {args.seconds // 3} s and `rollback` at
{2 * args.seconds // 3} s. Load generator (`bench/loadgen`) on the same 2 cores.

- **Failed requests: {summary['failed_requests']}, connection errors: {summary['connection_errors']}**
  ({summary['answered']:,} requests answered, {summary['donations']:,} donations acknowledged,
  {result['stored']:,} stored); `/healthz` version seen: {versions}.
- {handoffs}.

{chr(10).join(rows)}

"During" counts requests sent from a command's start until it returned (which includes the old
instance's drain); "steady state" is every other request after a 2 s warm-up, in the same run.
{"" if failures == 0 else "**FAILURES:** " + json.dumps(summary.get('failed_examples')) + json.dumps(summary.get('connection_error_examples'))}
"""


def write_section(text):
    common.log(f"wrote section to {common.write_section(SECTION, text)}")


if __name__ == "__main__":
    main()

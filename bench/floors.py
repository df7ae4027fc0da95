#!/usr/bin/env python3
"""What one client's donation latency stands on (issue 15's "≤ 0.35 ms, one fsync + work"): the
platform's one-client p50 beside the two floors under it, measured in one run on one server.

Usage: python3 bench/floors.py [--binary PATH] [--repeat 3] [--seconds 5] [--commits 2000]
Builds nothing: run `cargo build --release` first. Needs `wrk`.

One server (SQLite, dev mode, a fresh data directory, as bench/donations.py starts it) with an
amil's token. Then, per round, back to back:

1. **The HTTP round trip**: `GET /healthz` from one wrk connection (`-t1 -c1`) for `--seconds`,
   its p50: what any answer costs on this machine, with the client on the same two cores.
2. **The platform**: `POST /api/v1/donations` from one connection for `--seconds`, each with its
   own `Idempotency-Key` (bench/donations.py's wrk script), its p50.
3. **Pages a donation writes**: the server's WAL read after step 2 (`<db>-wal`, frames of the
   current generation: those whose salts match the WAL header), cut at each commit frame; the
   median number of frames per transaction is the pages one donation's transaction dirties.
4. **The raw commit**: Python's sqlite3 on a fresh file in the same file system, WAL,
   `synchronous=FULL` (the platform's settings), `--commits` transactions of a one-row INSERT
   (one page), and as many each inserting one row into each of N tables (N pages, N = the pages
   of step 3, checked the same way in this file's WAL); timed after SQLite's checkpoints have
   begun rewriting the WAL in place, as they have on the platform's; p50 of each commit's
   time, BEGIN to COMMIT's return.

Floor with one page = step 1 + step 4 (one page): a request that commits one page and does
no work at all. Floor with the donation's pages = step 1 + step 4 (N pages). What is above the
second floor is the platform's own work per donation (parsing, the writer's hand-overs, its
reads and checks, hashing and signing, the response and the log line).

Prints a Markdown section (for BENCHMARKS.md, "Durable donation recording"); it writes nothing
itself. Everything started is stopped and every temp directory removed on exit.
"""

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import struct
import subprocess
import tempfile
import time

import common
import donations

WAL_HEADER = 32
FRAME_HEADER = 24


def transactions_in_wal(path):
    """Frames per transaction in a WAL file's current generation (those after the last one that
    ended are dropped): a list of counts, oldest first."""
    with open(path, "rb") as f:
        wal = f.read()
    if len(wal) < WAL_HEADER:
        return []
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    counts, frames, at = [], 0, WAL_HEADER
    while at + FRAME_HEADER + page_size <= len(wal):
        header = wal[at:at + FRAME_HEADER]
        if header[8:16] != salts:
            break  # a frame of an earlier generation: the current one ended before it
        frames += 1
        if struct.unpack(">I", header[4:8])[0] != 0:  # "database size after commit": a commit
            counts.append(frames)
            frames = 0
        at += FRAME_HEADER + page_size
    return counts


def raw_commits(scratch, tables, commits):
    """p50 µs of a transaction inserting one row into each of `tables` tables on a fresh WAL file
    with `synchronous=FULL`, and the frames each writes (median)."""
    path = os.path.join(tempfile.mkdtemp(dir=scratch, prefix="raw-"), "raw.db")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        conn.execute("PRAGMA synchronous=FULL")
        for t in range(tables):
            conn.execute(f"CREATE TABLE t{t} (v BLOB NOT NULL)")
        inserts = [f"INSERT INTO t{t} (v) VALUES (randomblob(100))" for t in range(tables)]

        def commit():
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            for insert in inserts:
                conn.execute(insert)
            conn.execute("COMMIT")
            return time.perf_counter() - started

        # Frames first, with no checkpoint to restart the WAL under the count.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        for _ in range(50):
            commit()
        frames = statistics.median(transactions_in_wal(path + "-wal")[10:])
        # Then timed as the platform runs: SQLite's default checkpoints, and past the first
        # ones, so that the WAL is rewritten in place rather than grown (growing it changes
        # the file's size, which each fsync would write too).
        conn.execute("PRAGMA wal_autocheckpoint=1000")
        for _ in range(2 * 1000 // tables + 100):
            commit()
        times = [commit() for _ in range(commits)]
    finally:
        conn.close()
    return statistics.median(times) * 1e6, frames


def healthz_p50(port, seconds):
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency",
                          f"http://127.0.0.1:{port}/healthz"],
                         capture_output=True, text=True, timeout=seconds + 60, check=True)
    value, unit = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out.stdout, re.M).groups()
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(donations.ROOT, "target", "release",
                                                         "donation_platform"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--commits", type=int, default=2000)
    args = parser.parse_args()
    cleanup = donations.Cleanup()
    scratch = tempfile.mkdtemp(prefix="floors-")
    cleanup.push(f"remove {scratch}", lambda: shutil.rmtree(scratch, ignore_errors=True))
    try:
        rounds = measure(args, scratch, cleanup)
    finally:
        cleanup.run()
    print(markdown(args, rounds))


def measure(args, scratch, cleanup):
    server = donations.Server(args.binary, scratch, cleanup, "floors")
    server.start()
    token = server.amil_token()
    wal = os.path.join(server.env["DATA_DIR"], "donation_platform.db-wal")
    donations.run_wrk(server.port, token, 1, 1, scratch)  # warm-up
    rounds = []
    for n in range(args.repeat):
        r = {"healthz_us": healthz_p50(server.port, args.seconds)}
        donated = donations.run_wrk(server.port, token, 1, args.seconds, scratch)
        if donated["other"] or donated["wrk_errors"]:
            server.fail(f"non-201 answers or socket errors: {donated}")
        r["donation_us"] = donated["p50_us"]
        # The last transactions of the WAL: the donations just recorded (a checkpoint may have
        # restarted the WAL meanwhile; what follows it is still only donations).
        pages = transactions_in_wal(wal)[-200:]
        if not pages:
            server.fail(f"no committed transaction in {wal} after the donations")
        r["pages"] = statistics.median(pages)
        r["raw_1_us"], r["raw_1_frames"] = raw_commits(scratch, 1, args.commits)
        r["raw_n_us"], r["raw_n_frames"] = raw_commits(scratch, round(r["pages"]), args.commits)
        common.log(f"round {n + 1}: " + ", ".join(f"{k} {v:,.0f}" for k, v in r.items()))
        rounds.append(r)
    if server.stop() != 0:
        server.fail("the server did not stop cleanly on SIGTERM")
    return rounds


def machine():
    nproc, kernel, cpu, fs = donations.machine()
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {nproc} cores ({cpu}), "
            f"Linux {kernel}, temp dirs on {fs}, load average {os.getloadavg()[0]:.2f} at the end")


def markdown(args, rounds):
    med = lambda key: statistics.median(r[key] for r in rounds)  # noqa: E731
    floor_1 = statistics.median(r["healthz_us"] + r["raw_1_us"] for r in rounds)
    floor_n = statistics.median(r["healthz_us"] + r["raw_n_us"] for r in rounds)
    rows = [
        ("`GET /healthz`, one connection (the HTTP round trip)", f"{med('healthz_us'):,.0f} µs"),
        ("raw SQLite commit, one page (Python, WAL, `synchronous=FULL`)",
         f"{med('raw_1_us'):,.0f} µs ({med('raw_1_frames'):.0f} frame)"),
        (f"raw SQLite commit, the donation's pages ({med('raw_n_frames'):.0f} frames)",
         f"{med('raw_n_us'):,.0f} µs"),
        ("**floor, one page** (round trip + one-page commit)", f"**{floor_1:,.0f} µs**"),
        ("**floor, the donation's pages**", f"**{floor_n:,.0f} µs**"),
        (f"`POST /api/v1/donations`, one connection ({med('pages'):.0f} pages per donation)",
         f"**{med('donation_us'):,.0f} µs**"),
        ("the platform's own work above the second floor",
         f"{med('donation_us') - floor_n:,.0f} µs"),
    ]
    return "\n".join([
        "```sh",
        f"python3 bench/floors.py --repeat {args.repeat} --seconds {args.seconds} "
        f"--commits {args.commits}",
        "```",
        "",
        f"{machine()}; {args.repeat} rounds, medians of the per-round p50s.",
        "",
        "| one client, p50 | |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in rows],
    ])


if __name__ == "__main__":
    main()

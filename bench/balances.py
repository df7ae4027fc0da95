#!/usr/bin/env python3
"""Balances kept, not recomputed: `GET /api/v1/funds` and one distribution at 10k and 1M
donations, on SQLite and PostgreSQL (issue 11, Build item 4).

Usage: python3 bench/balances.py [--sizes 10000,1000000] [--backends sqlite,postgres]
                                 [--reads 200] [--writes 100] [--binary PATH] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).
Needs the PostgreSQL 15 server programs (/usr/lib/postgresql/15/bin); as root, PostgreSQL runs
as the `postgres` user via `runuser`.

For each backend and size N:

1. A fresh `donation_platform start` (dev mode, which migrates; for PostgreSQL a fresh database
   on a throwaway cluster), a user (role amil) and a token made with the CLI, and ONE donation
   through the API: zakat_maal, Rp 1,000,000, bank transfer (a donation row, a journal entry
   of three lines: asset:bank, fund:zakat, fund:amil).
2. The server is stopped and that donation is cloned N-1 times in SQL, in one transaction:
   identical rows with fresh ids and the next receipt serials (donations, journal_entries,
   journal_lines; not the audit entries or idempotency keys, which neither read touches).
   This is how a million donations are filled in about a minute instead of the ~2 minutes
   through the API. On PostgreSQL the kept balances move by themselves (the statement trigger
   of migration 0008 sees the 3N lines); on SQLite, where the application's writer keeps them,
   the fill adds the clones' sums in the same transaction, as the writer would. Then
   `donation_platform ledger check` must exit 0 (kept == journal), and its time is reported:
   the whole-journal sum moved off the request path into the check.
   PostgreSQL gets an `ANALYZE` after the fill (autovacuum would do it on its own).
3. The server is started again on the filled database, and over one keep-alive connection
   (Python's http.client, sequential, so each distribution is a batch of its own):
   - `GET /api/v1/funds`: 20 warm-up requests, then `--reads` measured;
   - `POST /api/v1/distributions` (zakat fund, asnaf fakir, Rp 1,000 by bank transfer, a new
     recipient each time): 5 warm-up requests, then `--writes` measured.
   Medians (and p90) of the client-side latency, which includes the HTTP round trip.
4. Before (what the code did until migration 0008): the old queries alone, timed in the
   database on the same filled data, 5 runs each, median: the whole-journal `SUM … GROUP BY
   account, currency` that `/funds` ran, and the `SUM … WHERE account IN (…) GROUP BY` of the
   two accounts a distribution's snapshot read (under the writer's lock). SQLite through
   Python's sqlite3, PostgreSQL through psql's `\\timing`. These are lower bounds of what the
   old endpoints took (no HTTP, no JSON).

Prints a Markdown section; `--write` also replaces (or appends) the section
`## Balances kept, not recomputed` in BENCHMARKS.md. Everything started is stopped and every
temp directory removed on exit, on errors and on Ctrl-C.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import common
from donations import PGBIN, PASSWORD, Cleanup, Postgres, Server, machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Balances kept, not recomputed"
TARGET_MS = 5.0

# The old queries (crates/storage/src/ledger/sql.rs before migration 0008).
OLD_FUNDS = ("SELECT account, currency, CAST(SUM(amount_minor) AS BIGINT) AS total FROM journal_lines "
             "GROUP BY account, currency ORDER BY account, currency")
OLD_SNAPSHOT = ("SELECT account, currency, CAST(SUM(amount_minor) AS BIGINT) AS total FROM journal_lines "
                "WHERE account IN ('fund:zakat', 'asset:bank') GROUP BY account, currency")


def log(msg):
    common.log(msg)


def today():
    return datetime.date.today().isoformat()


class Client:
    """One keep-alive HTTP/1.1 connection with the bearer token."""

    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method, path, body=None, expect=200):
        data = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers)
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        start = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:500]!r}")
        return elapsed, payload

    def close(self):
        self.conn.close()


def donation_body():
    return {"type": "zakat_maal", "amount": "1000000", "currency": "IDR", "method": "bank_transfer",
            "received_on": today(), "anonymous": True}


def distribution_body(i):
    return {"fund": "zakat", "asnaf": "fakir", "program": "Bantuan pangan", "amount": "1000",
            "currency": "IDR", "method": "bank_transfer",
            "recipient": {"name": f"Penerima {i}"}}


# Cloning the one donation N-1 times. `:k` is N-1. Both backends read the template as the
# donation with the lowest serial and its one journal entry.
SQLITE_FILL = """
CREATE TEMP TABLE clone (i INTEGER PRIMARY KEY, donation_id BLOB NOT NULL, entry_id BLOB NOT NULL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {k})
INSERT INTO clone SELECT i, randomblob(16), randomblob(16) FROM c;
CREATE TEMP TABLE model AS SELECT * FROM donations ORDER BY receipt_serial LIMIT 1;
CREATE TEMP TABLE model_entry AS SELECT * FROM journal_entries WHERE source_id = (SELECT id FROM model);
INSERT INTO donations (id, receipt_year, receipt_serial, type, fund, campaign_id, donor_id, amount_minor,
    currency, method, received_on, note, amil_share_minor, recorded_by, recorded_at, account, rate_to_idr,
    booked_minor)
  SELECT c.donation_id, t.receipt_year, t.receipt_serial + c.i, t.type, t.fund, t.campaign_id, t.donor_id,
    t.amount_minor, t.currency, t.method, t.received_on, t.note, t.amil_share_minor, t.recorded_by,
    t.recorded_at, t.account, t.rate_to_idr, t.booked_minor
  FROM clone c, model t ORDER BY c.i;
INSERT INTO journal_entries (id, kind, source_id, posted_at)
  SELECT c.entry_id, e.kind, c.donation_id, e.posted_at FROM clone c, model_entry e ORDER BY c.i;
INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor)
  SELECT c.entry_id, l.line_no, l.account, l.currency, l.amount_minor
  FROM clone c, model_entry e JOIN journal_lines l ON l.entry_id = e.id ORDER BY c.i, l.line_no;
UPDATE account_balances SET balance_minor = balance_minor + {k} * (
  SELECT SUM(l.amount_minor) FROM model_entry e JOIN journal_lines l ON l.entry_id = e.id
  WHERE l.account = account_balances.account AND l.currency = account_balances.currency)
  WHERE EXISTS (SELECT 1 FROM model_entry e JOIN journal_lines l ON l.entry_id = e.id
  WHERE l.account = account_balances.account AND l.currency = account_balances.currency);
"""

POSTGRES_FILL = """
BEGIN;
CREATE TEMP TABLE clone AS SELECT i, gen_random_uuid() AS donation_id, gen_random_uuid() AS entry_id
  FROM generate_series(1, {k}) AS i;
CREATE TEMP TABLE model AS SELECT * FROM donations ORDER BY receipt_serial LIMIT 1;
CREATE TEMP TABLE model_entry AS SELECT * FROM journal_entries WHERE source_id = (SELECT id FROM model);
INSERT INTO donations (id, receipt_year, receipt_serial, type, fund, campaign_id, donor_id, amount_minor,
    currency, method, received_on, note, amil_share_minor, recorded_by, recorded_at, account, rate_to_idr,
    booked_minor)
  SELECT c.donation_id, t.receipt_year, t.receipt_serial + c.i, t.type, t.fund, t.campaign_id, t.donor_id,
    t.amount_minor, t.currency, t.method, t.received_on, t.note, t.amil_share_minor, t.recorded_by,
    t.recorded_at, t.account, t.rate_to_idr, t.booked_minor
  FROM clone c, model t ORDER BY c.i;
INSERT INTO journal_entries (id, kind, source_id, posted_at)
  SELECT c.entry_id, e.kind, c.donation_id, e.posted_at FROM clone c, model_entry e ORDER BY c.i;
INSERT INTO journal_lines (entry_id, line_no, account, currency, amount_minor)
  SELECT c.entry_id, l.line_no, l.account, l.currency, l.amount_minor
  FROM clone c, model_entry e JOIN journal_lines l ON l.entry_id = e.id ORDER BY c.i, l.line_no;
COMMIT;
ANALYZE;
"""


def sqlite_path(server):
    return os.path.join(server.env["DATA_DIR"], "donation_platform.db")


def fill_sqlite(server, k):
    conn = sqlite3.connect(sqlite_path(server), isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        # One transaction: the clones and the balances they move, together.
        conn.executescript("BEGIN IMMEDIATE;" + SQLITE_FILL.format(k=k) + "COMMIT;")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def fill_postgres(pg, db, k):
    subprocess.run([f"{PGBIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *pg.conn_args(db)],
                   input=POSTGRES_FILL.format(k=k), text=True, check=True, capture_output=True)


def old_sqlite(server, query, runs=5):
    conn = sqlite3.connect(f"file:{sqlite_path(server)}?mode=ro", uri=True)
    try:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            conn.execute(query).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)
    finally:
        conn.close()


def old_postgres(pg, db, query, runs=5):
    script = "\\timing on\n" + (query + ";\n") * runs
    out = subprocess.run([f"{PGBIN}/psql", "-X", "-q", "-A", "-t", *pg.conn_args(db)],
                         input=script, text=True, check=True, capture_output=True).stdout
    times = [float(t) for t in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
    assert len(times) == runs, out
    return statistics.median(times)


def ledger_check(server):
    start = time.perf_counter()
    out = subprocess.run([server.binary, "ledger", "check", "--json"], cwd=server.dir, env=server.env,
                         capture_output=True, text=True, timeout=600)
    elapsed = (time.perf_counter() - start) * 1000
    if out.returncode != 0:
        raise RuntimeError(f"`ledger check` exited {out.returncode}: {out.stdout}\n{out.stderr}")
    return elapsed, json.loads(out.stdout)


def count(server, pg, db):
    sql = "SELECT COUNT(*) FROM donations"
    if pg is None:
        conn = sqlite3.connect(f"file:{sqlite_path(server)}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    return int(pg.psql(sql, db=db))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def point(args, scratch, cleanup, backend, size, pg):
    label = f"{backend}-{size}"
    db = url = None
    if backend == "postgres":
        db = f"balances_{size}"
        pg.psql(f"CREATE DATABASE {db}")
        url = pg.url(db)
    server = Server(args.binary, scratch, cleanup, label, database_url=url)
    server.start()
    pw = os.path.join(server.dir, "password")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(pw, 0o600)
    server.cli("user", "create", "--email", "bench@example.org", "--role", "amil", "--password-file", pw)
    token = server.cli("token", "create", "--email", "bench@example.org").strip()
    client = Client(server.port, token)
    client.request("POST", "/api/v1/donations", donation_body(), expect=201)
    client.close()
    if server.stop() != 0:
        server.fail("server did not stop cleanly before the fill")

    log(f"{label}: cloning the donation {size - 1:,} times")
    start = time.perf_counter()
    if pg is None:
        fill_sqlite(server, size - 1)
    else:
        fill_postgres(pg, db, size - 1)
    fill_s = time.perf_counter() - start
    donations = count(server, pg, db)
    if donations != size:
        raise RuntimeError(f"{label}: {donations} donations after the fill, expected {size}")
    check_ms, check = ledger_check(server)
    log(f"{label}: filled in {fill_s:.1f} s; ledger check ok over {check['balances_checked']} balances "
        f"in {check_ms:.0f} ms")

    before_funds = (old_sqlite(server, OLD_FUNDS) if pg is None else old_postgres(pg, db, OLD_FUNDS))
    before_snapshot = (old_sqlite(server, OLD_SNAPSHOT) if pg is None
                       else old_postgres(pg, db, OLD_SNAPSHOT))

    server.start()
    client = Client(server.port, token)
    try:
        for _ in range(20):
            client.request("GET", "/api/v1/funds")
        funds = [client.request("GET", "/api/v1/funds")[0] for _ in range(args.reads)]
        for i in range(5):
            client.request("POST", "/api/v1/distributions", distribution_body(i), expect=201)
        distributions = [client.request("POST", "/api/v1/distributions", distribution_body(i), expect=201)[0]
                         for i in range(5, 5 + args.writes)]
    finally:
        client.close()
    code = server.stop()
    if code != 0:
        server.fail(f"server exit code {code} after SIGTERM")
    _, after = ledger_check(server)
    problems = server.log_problems()[0]
    if problems:
        raise RuntimeError(f"{label}: ERROR/WARN in the server log:\n" + "\n".join(problems[:5]))
    result = {
        "backend": backend, "size": size, "fill_s": fill_s, "check_ms": check_ms,
        "balances_checked": after["balances_checked"],
        "funds_ms": statistics.median(funds), "funds_p90_ms": percentile(funds, 90),
        "dist_ms": statistics.median(distributions), "dist_p90_ms": percentile(distributions, 90),
        "before_funds_ms": before_funds, "before_snapshot_ms": before_snapshot,
    }
    log(f"{label}: {json.dumps(result)}")
    return result


def versions(binary, pg):
    platform_version = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
    pg_version = pg.psql("SHOW server_version") if pg else "n/a"
    return platform_version, pg_version


def markdown(args, command, results, platform_version, pg_version, loads):
    nproc, kernel, cpu, fs = machine()
    lines = [SECTION, "", "```sh", "cargo build --release && " + command, "```", ""]
    lines.append(
        f"{platform_version}, {datetime.date.today().isoformat()}, {nproc} cores ({cpu}), Linux {kernel}, "
        f"temp dirs on {fs}, load average {loads[0]} at the start and {loads[1]} at the end; PostgreSQL "
        f"{pg_version} (defaults), SQLite bundled with the binary (Python's {sqlite3.sqlite_version} for the "
        f"\"before\" queries). N donations are one zakat donation recorded through the API and cloned N-1 "
        f"times in SQL (3 journal lines each; `ledger check` exits 0 after the fill and after the run). "
        f"Medians of {args.reads} sequential `GET /api/v1/funds` and of {args.writes} sequential "
        f"`POST /api/v1/distributions` (each its own batch: lock, snapshot, books, insert, commit with "
        f"its fsync) over one keep-alive connection, client-side, after warm-up; p90 in brackets. "
        f"\"Before\" is the query the code ran until migration 0008, timed alone in the database "
        f"(no HTTP): the whole-journal sum behind `/funds` and the two-account sum a distribution read "
        f"under the writer's lock.")
    lines += ["", "| backend | donations | `GET /funds` | distribution | before: `/funds` sum | before: snapshot sum | `ledger check` |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {r['funds_ms']:.2f} ms ({r['funds_p90_ms']:.2f}) | "
            f"{r['dist_ms']:.2f} ms ({r['dist_p90_ms']:.2f}) | {r['before_funds_ms']:,.1f} ms | "
            f"{r['before_snapshot_ms']:,.1f} ms | {r['check_ms']:,.0f} ms |")
    lines.append("")
    verdicts = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        by_size = {r["size"]: r for r in results if r["backend"] == backend}
        if len(by_size) < 2:
            continue
        small, large = by_size[min(by_size)], by_size[max(by_size)]
        for what, key in (("`GET /funds`", "funds_ms"), ("a distribution", "dist_ms")):
            ratio = large[key] / small[key]
            met = large[key] <= TARGET_MS and ratio <= 2
            verdicts.append(f"{backend} {what}: {large[key]:.2f} ms at {large['size']:,}, "
                            f"{ratio:.2f}× the {small['size']:,} figure — "
                            f"{'met' if met else 'NOT met'}")
    if verdicts:
        lines.append(f"Target (issue 11: each ≤ {TARGET_MS:g} ms at 1M and within 2× of the 10k figure):")
        lines.append("")
        lines += [f"- {v}" for v in verdicts]
        lines.append("")
    lines.append(
        "The journal stays the source of truth: a balance edited in the database is caught by "
        "`ledger check` (exit 1, naming the account, the currency, the kept and the journal figures) "
        "and fails `audit verify` — `crates/cli/tests/it/balances.rs`, "
        "`a_balance_edited_in_the_database_is_named_by_ledger_check_and_fails_audit_verify`, on both "
        "backends; every test's teardown asserts kept == journal.")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "donation_platform"))
    parser.add_argument("--write", action="store_true", help="write the section into BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    command = "python3 bench/balances.py " + " ".join(
        a for a in sys.argv[1:] if not a.startswith("--binary"))
    cleanup = Cleanup()
    scratch = tempfile.mkdtemp(prefix="bench-balances-")
    os.chmod(scratch, 0o755)  # the postgres user must reach its data directory inside
    cleanup.push("remove scratch", lambda: subprocess.run(["rm", "-rf", scratch], check=False))
    try:
        loads = [open("/proc/loadavg").read().split()[0]]
        pg = Postgres(scratch, cleanup) if "postgres" in backends else None
        results = []
        for backend in backends:
            for size in sizes:
                results.append(point(args, scratch, cleanup, backend, size,
                                     pg if backend == "postgres" else None))
        loads.append(open("/proc/loadavg").read().split()[0])
        platform_version, pg_version = versions(args.binary, pg)
        common.publish(SECTION, markdown(args, command.strip(), results, platform_version, pg_version, loads),
                       args.write)
        return 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", None) or ""
        log(f"FAILED: {e}\n{detail}".rstrip())
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cleanup.run()
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Exports, statements and receipts (issue 12): a period's donations as streamed CSV, the PSAK 109
statement of a period, and Bukti Setor Zakat PDFs per second.

Usage: python3 bench/exports.py [--sizes 10000,100000,1000000] [--backends sqlite,postgres]
                                [--donors 500] [--seconds 10] [--binary PATH] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).
Needs wrk, and for PostgreSQL the server programs (/usr/lib/postgresql/15/bin).

For each backend and size N:

1. A fresh `donation_platform start` (dev mode, which migrates), an admin and an amil with
   tokens, the institution profile, and ONE donation through the API received on day D, 400
   days ago, which the fill of bench/balances.py clones N-1 times in SQL (identical rows with
   fresh ids and the next receipt serials, journal entries and lines, kept balances moved);
   `ledger check` must pass.
2. The server is started again on the filled database. Warm-up: the export of an empty day and
   a statement. Then the resident memory is read (idle) and the kernel's high-water mark reset
   (`/proc/PID/clear_refs` 5), and `GET /api/v1/exports/donations.csv?from=D&to=D` is read to
   the end: rows/s, and the high-water mark after it (`VmHWM`) over idle — the export streams,
   so this must stay flat as N grows (target ≤ 2×). The rows are counted and must be N.
3. `GET /api/v1/reports/changes-in-funds?from=D&to=D` (every donation in the period: the work
   is the period's rows), the same for this month (no row in it or after it: the opening
   balance is the kept balance less what moved since `from`, so its work must not grow with
   the books) and `/financial-position?to=<today>`: median of 5 over one keep-alive connection.

Then, on the smallest size of the first backend only (a receipt does not read the table):

4. `GET /api/v1/donations/{id}/receipt` with `Accept: application/pdf`, and as HTML, by wrk
   (`--seconds`, 2 threads, 2 and 8 connections): receipts/s and p99.
5. `--donors` donors registered with a zakat donation each, then `donation_platform receipts
   annual --year Y --out DIR` (the bulk generator, PDF): files/s.

Prints a Markdown section; `--write` replaces `## Exports, statements and receipts` in
BENCHMARKS.md.
"""

import argparse
import datetime
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import common
from balances import Client, count, fill_postgres, fill_sqlite, ledger_check
from donations import PASSWORD, Cleanup, Postgres, Server, machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Exports, statements and receipts"

INSTITUTION = {
    "name": "LAZ Amanah Umat Bandung", "licence_type": "laz_provincial",
    "licence_number": "KEP-BAZNAS/JB/77/2024", "address": "Jl. Asia Afrika No. 1, Bandung 40111",
    "officer_name": "Ahmad Fauzi", "officer_title": "Kepala Bagian Pengumpulan", "code": "3173",
}

RECEIPT_LUA = r"""
local non_2xx = 0
request = function()
  return wrk.format("GET", "%(path)s", {["Accept"] = "%(accept)s", ["Authorization"] = "Bearer %(token)s"})
end
response = function(status, headers, body)
  if status ~= 200 then non_2xx = non_2xx + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "non_2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), non_2xx))
end
"""


def log(msg):
    common.log(msg)


def today():
    return datetime.date.today()


def filled_day():
    """The day every cloned donation was received: over a year ago, so this year's statements
    have none of them in their period nor after it."""
    return today() - datetime.timedelta(days=400)


def donation_body(donor=None, day=None):
    body = {"type": "zakat_maal", "amount": "1000000", "currency": "IDR", "method": "bank_transfer",
            "received_on": (day or today()).isoformat()}
    if donor is None:
        body["anonymous"] = True
    else:
        body["donor"] = donor
    return body


def hwm_kib(pid):
    """The process's resident high-water mark (`VmHWM`) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def reset_hwm(pid):
    """Resets the high-water mark to the current RSS (Linux: write 5 to clear_refs)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def stream(port, token, path):
    """GETs `path` and reads the body to the end in 64 KiB pieces without keeping it: seconds,
    bytes, and the number of lines."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {response.read()[:300]!r}")
    size = lines = 0
    while True:
        piece = response.read(65536)
        if not piece:
            break
        size += len(piece)
        lines += piece.count(b"\n")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, size, lines


def timed(client, path, runs=5):
    return statistics.median(client.request("GET", path)[0] for _ in range(runs))


def start_filled(args, scratch, cleanup, backend, size, pg, day=None, env=None):
    """A server on `size` cloned donations received on `day` (default: `filled_day()`), with an
    amil token and an admin token; `env`: more of the server's environment."""
    label = f"{backend}-{size}"
    url = None
    if backend == "postgres":
        db = f"exports_{size}"
        pg.psql(f"CREATE DATABASE {db}")
        url = pg.url(db)
    else:
        db = None
    server = Server(args.binary, scratch, cleanup, label, database_url=url)
    server.env.update(env or {})
    server.start()
    pw = os.path.join(server.dir, "password")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(pw, 0o600)
    tokens = {}
    for role in ("amil", "admin"):
        server.cli("user", "create", "--email", f"{role}@example.org", "--role", role, "--password-file", pw)
        tokens[role] = server.cli("token", "create", "--email", f"{role}@example.org").strip()
    admin = Client(server.port, tokens["admin"])
    admin.request("PUT", "/api/v1/settings/institution", INSTITUTION)
    admin.close()
    client = Client(server.port, tokens["amil"])
    client.request("POST", "/api/v1/donations", donation_body(day=day or filled_day()), expect=201)
    client.close()
    if size > 1:
        if server.stop() != 0:
            server.fail("server did not stop cleanly before the fill")
        log(f"{label}: cloning the donation {size - 1:,} times")
        if pg is None:
            fill_sqlite(server, size - 1)
        else:
            fill_postgres(pg, db, size - 1)
        if count(server, pg, db) != size:
            raise RuntimeError(f"{label}: the fill did not give {size} donations")
        ledger_check(server)
        server.start()
    return server, tokens


def stop(server, label):
    """Stops the server; fails on an ERROR/WARN line in its log other than the slow-statement
    warning (a statement over 1 s: counted and reported, since a loaded machine makes them),
    and returns how many of those there were."""
    code = server.stop()
    if code != 0:
        server.fail(f"{label}: server exit code {code} after SIGTERM")
    lines = server.log_problems()[0]
    problems = [line for line in lines if "slow statement" not in line]
    if problems:
        raise RuntimeError(f"{label}: ERROR/WARN in the server log:\n" + "\n".join(problems[:5]))
    return len(lines)


def export_point(args, scratch, cleanup, backend, size, pg):
    label = f"{backend}-{size}"
    server, tokens = start_filled(args, scratch, cleanup, backend, size, pg)
    day = filled_day().isoformat()
    day_before = (filled_day() - datetime.timedelta(days=1)).isoformat()
    this_month = today().replace(day=1).isoformat()
    now = today().isoformat()
    client = Client(server.port, tokens["amil"])
    try:
        stream(server.port, tokens["amil"], f"/api/v1/exports/donations.csv?from={day_before}&to={day_before}")
        client.request("GET", f"/api/v1/reports/changes-in-funds?from={day}&to={day}")
        time.sleep(1)
        pid = server.proc.pid
        idle = common.rss_kib(pid)
        reset_hwm(pid)
        try:
            seconds, size_bytes, lines = stream(server.port, tokens["amil"],
                                                f"/api/v1/exports/donations.csv?from={day}&to={day}")
        except http.client.HTTPException as e:
            server.fail(f"{label}: the export broke off: {e!r}")
        peak = hwm_kib(pid)
        if lines - 1 != size:
            raise RuntimeError(f"{label}: the export has {lines - 1} rows, expected {size}")
        # A new connection: the first one may have idled past KEEP_ALIVE_TIMEOUT meanwhile.
        client.close()
        client = Client(server.port, tokens["amil"])
        statement_ms = timed(client, f"/api/v1/reports/changes-in-funds?from={day}&to={day}")
        recent_ms = timed(client, f"/api/v1/reports/changes-in-funds?from={this_month}&to={now}")
        position_ms = timed(client, f"/api/v1/reports/financial-position?to={now}")
    except http.client.HTTPException as e:
        server.fail(f"{label}: {e!r}")
    finally:
        client.close()
    result = {"backend": backend, "size": size, "idle_kib": idle, "peak_kib": peak,
              "export_s": seconds, "export_mib": size_bytes / 2**20, "rows_per_s": size / seconds,
              "statement_ms": statement_ms, "recent_ms": recent_ms, "position_ms": position_ms}
    log(f"{label}: {json.dumps(result)}")
    receipts = receipt_rates(args, server, tokens) if args.receipts_here(backend, size) else None
    result["slow_statements"] = stop(server, label)
    return result, receipts


def receipt_rates(args, server, tokens):
    """Receipts per second by HTTP (PDF and HTML) and by the bulk generator."""
    client = Client(server.port, tokens["amil"])
    try:
        _, body = client.request("POST", "/api/v1/donations", donation_body(
            {"name": "Siti Aminah", "nik": "3273015708850001", "npwp": "01.234.567.8-901.000"}), expect=201)
        donation = json.loads(body)["id"]
        for i in range(args.donors):
            client.request("POST", "/api/v1/donations", donation_body({"name": f"Muzakki {i}"}), expect=201)
    finally:
        client.close()
    rates = {}
    path = f"/api/v1/donations/{donation}/receipt"
    for kind, accept in (("pdf", "application/pdf"), ("html", "text/html")):
        for connections in (2, 8):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
                f.write(RECEIPT_LUA % {"path": path, "accept": accept, "token": tokens["amil"]})
                script = f.name
            try:
                result = common.wrk(script, server.port, argparse.Namespace(
                    seconds=args.seconds, connections=connections))
            finally:
                os.unlink(script)
            if result["non_2xx"]:
                raise RuntimeError(f"receipt {kind}: {result['non_2xx']} answers were not 200")
            rates[(kind, connections)] = result
    out = tempfile.mkdtemp(dir=server.dir, prefix="annual-")
    start = time.perf_counter()
    server.cli("receipts", "annual", "--year", str(today().year), "--out", out)
    bulk_s = time.perf_counter() - start
    files = len(os.listdir(out))
    if files < args.donors:
        raise RuntimeError(f"receipts annual wrote {files} files for {args.donors + 1} donors")
    rates["bulk"] = {"files": files, "seconds": bulk_s}
    log(f"receipts: {files} annual PDFs in {bulk_s:.1f} s")
    return rates


def markdown(command, results, receipts, platform_version, loads):
    nproc, kernel, cpu, fs = machine()
    lines = [
        SECTION, "",
        f"`{command}` — {platform_version}, {nproc} cores ({cpu}), Linux {kernel}, data on {fs}; "
        f"load average {loads[0]} before, {loads[1]} after. Donations cloned in SQL from one recorded "
        "through the API (bench/balances.py's fill), all received on one day D, 400 days ago.", "",
        "**Export** (`GET /api/v1/exports/donations.csv?from=D&to=D`, read to the end by one client; "
        "RSS: before the export, idle after a warm-up; peak: the kernel's high-water mark during it). "
        "**Statements** (median of 5, client-side, keep-alive): changes in funds for D (every row in "
        "the period: linear in them), for this month (no row in or after the period: its opening is "
        "the kept balance less what moved since, so it must not grow with the books), and the "
        "financial position today.", "",
        "| backend | donations | rows/s | CSV | idle RSS | peak RSS | peak ÷ idle | statement of D | "
        "this month | position today |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['size']:,} | {r['rows_per_s']:,.0f} | {r['export_mib']:.1f} MiB "
            f"| {r['idle_kib'] / 1024:.1f} MiB | {r['peak_kib'] / 1024:.1f} MiB "
            f"| {r['peak_kib'] / r['idle_kib']:.2f}× | {r['statement_ms']:.1f} ms "
            f"| {r['recent_ms']:.1f} ms | {r['position_ms']:.1f} ms |")
    if receipts:
        lines += ["", "**Receipts** (`GET /api/v1/donations/{id}/receipt`, wrk, 2 threads; "
                  "the bulk generator `receipts annual` writing one PDF per donor):", "",
                  "| form | connections | receipts/s | p50 | p99 |", "|---|---:|---:|---:|---:|"]
        for (kind, connections), r in ((k, v) for k, v in receipts.items() if k != "bulk"):
            lines.append(f"| {kind} | {connections} | {r['rate']:,.0f} | {r['p50_us'] / 1000:.2f} ms "
                         f"| {r['p99_us'] / 1000:.2f} ms |")
        bulk = receipts["bulk"]
        lines += ["", f"`receipts annual`: {bulk['files']} annual PDFs in {bulk['seconds']:.1f} s "
                  f"({bulk['files'] / bulk['seconds']:,.0f} files/s, including the process start)."]
    slow = sum(r["slow_statements"] for r in results)
    lines += ["", f"Statements over the 1 s slow-statement threshold in the servers' logs: {slow}."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--donors", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "donation_platform"))
    parser.add_argument("--write", action="store_true", help="write the section into BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    args.receipts_here = lambda backend, size: backend == backends[0] and size == sizes[0]
    command = "python3 bench/exports.py " + " ".join(a for a in sys.argv[1:] if not a.startswith("--binary"))
    cleanup = Cleanup()
    scratch = tempfile.mkdtemp(prefix="bench-exports-")
    os.chmod(scratch, 0o755)  # the postgres user must reach its data directory inside
    cleanup.push("remove scratch", lambda: subprocess.run(["rm", "-rf", scratch], check=False))
    try:
        loads = [open("/proc/loadavg").read().split()[0]]
        pg = Postgres(scratch, cleanup) if "postgres" in backends else None
        results, receipts = [], None
        for backend in backends:
            for size in sizes:
                result, rates = export_point(args, scratch, cleanup, backend, size,
                                             pg if backend == "postgres" else None)
                results.append(result)
                receipts = receipts or rates
        loads.append(open("/proc/loadavg").read().split()[0])
        version = subprocess.run([args.binary, "version"], capture_output=True, text=True).stdout.strip()
        common.publish(SECTION, markdown(command.strip(), results, receipts, version, loads), args.write)
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

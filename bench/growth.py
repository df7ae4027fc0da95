#!/usr/bin/env python3
"""Cost as the books grow (issue 15): what the write path, the listings, a year's statement and
`audit verify` cost at 10k, 100k and 1M donations, each per unit of its work.

Usage: python3 bench/growth.py [--sizes 10000,100000,1000000] [--backends sqlite,postgres]
                               [--seconds 10] [--clients 64] [--requests 200] [--binary PATH]
                               [--explain] [--resume DATA_DIR] [--from-log LOG,LOG] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).
Needs `wrk`, and for PostgreSQL the server programs (/usr/lib/postgresql/15/bin); the server,
the throwaway PostgreSQL cluster and the process helpers are bench/donations.py's, the HTTP
client bench/balances.py's.

For each backend, ONE database grows through the sizes (dev mode, a fresh data directory; for
PostgreSQL a fresh database on a throwaway cluster started as bench/donations.py starts it):

0. Set-up: an admin and an amil with bearer tokens (`user create`, `token create`, the CLI in
   the server's environment) and four campaigns (`POST /api/v1/campaigns`). Three of them are
   open throughout; the fourth, "closed", takes donations only while the books grow to the
   first size, so filtering by it must find the same few hundred old rows under ever more new
   ones.
1. Growth to the size, through the real write path only: `POST /api/v1/donations` driven by wrk
   (`--fill-clients` keep-alive connections, 2 threads) with a generated Lua script. Every
   request has its own `Idempotency-Key` and a varied valid body: seven donation types (the
   three zakat, infak, sedekah, wakaf, fidyah), six payment methods, amounts of 1,000 to
   5,000,000 IDR, `received_on` uniform over every day from 1 January of last year to today in
   WIB (so this year's statement has about half the rows), and one donation in five for a
   campaign. Each wrk thread sends exactly its share of the requests and then stops (it answers
   any further send with `GET /readyz`, whose 200 is not counted), writing a marker file; when
   every thread has, the script sends wrk SIGINT. Fill rate = 201s / wall time. The rows are
   counted after each fill and must equal the size; any non-201 fails the run.
2. At the size, on the server that filled it (nothing else writes meanwhile), over one
   keep-alive connection, 5 warm-up requests then `--requests` sequential ones each (or as many
   as fit in `--list-seconds`, at least 10), median and p99 client-side: `GET /api/v1/donations`
   (the first page: newest 50), the same filtered by `type=zakat_maal` and a March-of-this-year
   `received_from`/`received_to`, by an open campaign, and by the closed campaign. Then
   `GET /api/v1/reports/changes-in-funds` for this year to date (1 January to today in WIB, as a
   statement may not end in the future; the PSAK 109 statement): median of `--statement-runs`.
   Then `donation_platform audit verify --json` in the server's environment (same database, the
   server idle): wall time of one run and the entries it verified.
3. The write rate at the size: the server is stopped and its data copied (SQLite: the data
   directory; PostgreSQL: the data directory for its secret and `CREATE DATABASE … TEMPLATE
   … STRATEGY FILE_COPY`), the copy flushed to disk (`sync`), a server started on it, and wrk drives `POST
   /api/v1/donations` with the same bodies for `--seconds` at `--clients` connections, exactly
   as bench/donations.py does (donations/s = 201s per second, wrk's p50/p99; every 201 must have
   its row in the copy). The copy is then dropped, so the next size grows from exactly this one.

`--resume DATA_DIR` (SQLite) carries on with the books a run cut short left (copy or hard-link
its data directory first: a run removes its own on exit): fresh tokens for the same users, the
campaigns found by name. `--from-log` then puts the points of several runs in one table.

`--explain` logs, after the timings at each size, each listing's plan as the server's SQL
(copied here from storage: `EXPLAIN QUERY PLAN` and a timed run in Python's sqlite3, or
PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS)`).

Cost per unit of work, and the growth flag: write µs per donation (1/rate); listings µs per row
returned (the page); the statement µs per donation received in its period (counted in SQL);
audit verify µs per entry verified. A figure whose cost per unit at the largest size is more than
`--flag` (2) times its cost at the smallest is flagged: it grows faster than its work.

The load generator and the Python client share the 2 cores with the server and PostgreSQL, and
the machine may be shared with other builds: prefer the ratios within one run. Prints a Markdown
section; `--write` replaces (or appends) `## Cost as the books grow` in BENCHMARKS.md. Everything
started is stopped and every temp directory removed on exit, on errors and on Ctrl-C/SIGTERM.
"""

import argparse
import datetime
import json
import os
import secrets
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuid_module

import common
from balances import Client, percentile
from donations import PASSWORD, Cleanup, Postgres, Server, load_average, machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Cost as the books grow"
TYPES = ["zakat_maal", "zakat_penghasilan", "zakat_fitrah", "infak", "sedekah", "wakaf", "fidyah"]
LISTS = ["first page", "type + March", "open campaign", "closed campaign"]
METHODS = ["cash", "bank_transfer", "qris", "virtual_account", "card", "e_wallet"]
WIB = datetime.timezone(datetime.timedelta(hours=7))  # receipts and `received_on` are WIB days

# A wrk script (Lua, generated per run): varied valid donations, one Idempotency-Key each; each
# thread sends `quota` of them, then stops and drops a marker file (wrk itself only stops on its
# duration or SIGINT). Prints one `BENCH_JSON {...}` line at the end, like bench/donations.py's.
FILL_LUA = r"""
local nonce = "%(nonce)s"
local token = "%(token)s"
local total = %(total)d
local nthreads = %(threads)d
local marker = "%(marker)s"
local types = {%(types)s}
local methods = {%(methods)s}
local campaigns = {%(campaigns)s}
local first_day = %(first_day)d  -- days since the epoch
local days = %(days)d
threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  -- The first thread takes the remainder, so the shares add up to `total` exactly.
  local share = math.floor(total / nthreads)
  if next_id == 1 then share = share + total %% nthreads end
  thread:set("quota", share)
  table.insert(threads, thread)
end

sent = 0
answered = 0
ok = 0
other = 0
sample = ""
local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
local stopped = false

-- wrk 4.1 calls the first thread's request() once before it starts, to check the script, and
-- discards that request: answer it with a GET that is never sent, or that thread's count of
-- POSTs sent would be one too many (and its quota never reached).
local checked

function init(args)
  math.randomseed(%(seed)d + tid * 7919)
  checked = tid ~= 1
end

local function day(n)
  return os.date("!%%Y-%%m-%%d", (first_day + n) * 86400)
end

function request()
  if not checked then
    checked = true
    return wrk.format("GET", "/readyz")
  end
  if sent >= quota then
    return wrk.format("GET", "/readyz")
  end
  sent = sent + 1
  headers["Idempotency-Key"] = "growth-" .. nonce .. "-" .. tid .. "-" .. sent
  local campaign = ""
  if #campaigns > 0 and math.random(5) == 1 then
    campaign = ',"campaign_id":"' .. campaigns[math.random(#campaigns)] .. '"'
  end
  local body = '{"type":"' .. types[math.random(#types)] .. '","amount":"' ..
    (math.random(5000) * 1000) .. '","currency":"IDR","method":"' ..
    methods[math.random(#methods)] .. '","received_on":"' .. day(math.random(days) - 1) ..
    '","anonymous":true' .. campaign .. '}'
  return wrk.format("POST", "/api/v1/donations", headers, body)
end

function response(status, hdrs, rbody)
  if status == 200 then return end  -- a /readyz after the quota
  answered = answered + 1
  if status == 201 then
    ok = ok + 1
  else
    other = other + 1
    if sample == "" then sample = status .. " " .. string.sub(rbody or "", 1, 300) end
  end
  if answered >= quota and not stopped then
    stopped = true
    local f = io.open(marker .. "-" .. tid, "w")
    f:write(ok .. "\n")
    f:close()
    wrk.thread:stop()
  end
end

local function esc(s)
  return (string.gsub(s, '[%%c"\\]', function(c) return string.format("\\u%%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
  local oks, others, samples = 0, 0, {}
  for _, t in ipairs(threads) do
    oks = oks + t:get("ok")
    others = others + t:get("other")
    local s = t:get("sample")
    if s ~= "" then samples[#samples + 1] = '"' .. esc(s) .. '"' end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%%d,"ok":%%d,"other":%%d,"samples":[%%s],"p50_us":%%d,' ..
    '"p99_us":%%d,"errors":%%d}\n',
    summary.duration, oks, others, table.concat(samples, ","), latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout))
end
"""


def log(msg):
    common.log(msg)


def today_wib():
    return datetime.datetime.now(WIB).date()


def lua_list(values):
    return ",".join(f'"{v}"' for v in values)


def run_wrk(scratch, port, token, campaigns, total, clients, seconds, seed, min_rate=300):
    """Sends `total` donations (or, with `total=None`, as many as fit in `seconds`) from wrk over
    `clients` connections; wrk's result with the wall time (`wall_s`) added."""
    nonce = secrets.token_hex(4)
    marker = os.path.join(scratch, f"done-{nonce}")
    threads = min(2, clients)
    first = datetime.date(today_wib().year - 1, 1, 1)
    days = (today_wib() - first).days + 1
    script = os.path.join(scratch, f"growth-{nonce}.lua")
    with open(script, "w") as f:
        f.write(FILL_LUA % {
            "nonce": nonce, "token": token, "total": total or 10**15, "threads": threads,
            "marker": marker, "types": lua_list(TYPES), "methods": lua_list(METHODS),
            "campaigns": lua_list(campaigns), "first_day": (first - datetime.date(1970, 1, 1)).days,
            "days": days, "seed": seed})
    duration = seconds if total is None else 24 * 3600
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{duration}s", "--timeout", "30s",
           "-s", script, f"http://127.0.0.1:{port}"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if total is not None:
            wait_for_markers(proc, marker, threads, deadline=start + 120 + total / min_rate)
        out, err = proc.communicate(timeout=seconds + 120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    wall = time.perf_counter() - start
    line = next((l for l in out.splitlines() if l.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    r = json.loads(line.split(" ", 1)[1])
    r["wall_s"] = wall
    r["rate"] = r["ok"] / (r["duration_us"] / 1e6 if total is None else wall)
    if r["other"] or r["errors"]:
        raise RuntimeError(f"wrk: {r['other']} non-201 answers, {r['errors']} socket errors; "
                           f"first: {r['samples'][:2]}")
    return r


def wait_for_markers(proc, marker, threads, deadline):
    """Waits until every wrk thread has dropped its marker (sent and been answered its share),
    then stops wrk with SIGINT, which makes it print its summary."""
    while not all(os.path.exists(f"{marker}-{t}") for t in range(1, threads + 1)):
        if proc.poll() is not None:
            return
        if time.perf_counter() > deadline:
            proc.send_signal(signal.SIGINT)
            raise RuntimeError("the fill did not finish in time")
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)


class Books:
    """One backend's growing database: the server on it, its tokens and campaigns, and SQL."""

    CAMPAIGNS = ("Closed Ramadan", "Banjir", "Sekolah", "Masjid")

    def __init__(self, args, scratch, cleanup, backend, pg, resume=None):
        self.args, self.scratch, self.cleanup, self.backend, self.pg = args, scratch, cleanup, backend, pg
        self.db = f"growth_{secrets.token_hex(3)}" if pg else None
        if pg:
            pg.psql(f"CREATE DATABASE {self.db}")
        self.server = self.start_server(resume)
        self.data_dir = self.server.env["DATA_DIR"]
        if resume:
            self.tokens = {role: self.server.cli("token", "create", "--email",
                                                 f"{role}@example.org").strip()
                           for role in ("admin", "amil")}
            self.campaigns = [str(uuid_module.UUID(bytes=self.sql_value(
                "SELECT id FROM campaigns WHERE name = ?", name))) for name in self.CAMPAIGNS]
        else:
            self.tokens = self.make_users(self.server)
            admin = Client(self.server.port, self.tokens["admin"])
            self.campaigns = [json.loads(admin.request(
                "POST", "/api/v1/campaigns", {"name": name, "purpose": f"Bench campaign {name}"},
                expect=201)[1])["id"] for name in self.CAMPAIGNS]
            admin.close()
        self.closed, self.open = self.campaigns[0], self.campaigns[1:]

    def start_server(self, data_dir, db=None):
        url = self.pg.url(db or self.db) if self.pg else None
        server = Server(self.args.binary, self.scratch, self.cleanup, self.backend, database_url=url)
        if data_dir:
            server.env["DATA_DIR"] = data_dir
        server.start()
        return server

    @staticmethod
    def make_users(server):
        pw = os.path.join(server.dir, "password")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pw, 0o600)
        tokens = {}
        for role in ("admin", "amil"):
            server.cli("user", "create", "--email", f"{role}@example.org", "--role", role,
                       "--password-file", pw)
            tokens[role] = server.cli("token", "create", "--email", f"{role}@example.org").strip()
        return tokens

    def sql(self, query, data_dir=None, db=None):
        """One number from `query` (read-only), on this database or a copy of it."""
        if self.pg:
            return int(self.pg.psql(query, db=db or self.db))
        return self.sql_value(query, data_dir=data_dir)

    def sql_value(self, query, *params, data_dir=None):
        """One value from `query` on the SQLite file (read-only)."""
        path = os.path.join(data_dir or self.data_dir, "donation_platform.db")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute(query, params).fetchone()[0]
        finally:
            conn.close()

    def count(self, **where):
        return self.sql("SELECT count(*) FROM donations", **where)

    def stop(self, server, label):
        """Stops `server`; fails on an ERROR/WARN line in its log other than a slow statement
        (counted: a loaded machine makes them) or a non-zero exit."""
        code = server.stop()
        if code != 0:
            server.fail(f"{label}: server exit code {code} after SIGTERM")
        lines = server.log_problems()[0]
        problems = [line for line in lines if "slow statement" not in line]
        if problems:
            raise RuntimeError(f"{label}: ERROR/WARN in the server log:\n" + "\n".join(problems[:5]))
        return len(lines)

    def grow(self, size, first):
        """Grows the books to `size` donations through the API."""
        have = self.count()
        need = size - have
        if need <= 0:
            return {"added": 0, "rate": None}
        campaigns = self.campaigns if first else self.open
        log(f"{self.backend}: growing {have:,} -> {size:,} ({self.args.fill_clients} clients)")
        r = run_wrk(self.scratch, self.server.port, self.tokens["amil"], campaigns, need,
                    self.args.fill_clients, 0, seed=size, min_rate=self.args.fill_min_rate)
        rows = self.count()
        if r["ok"] != need or rows != size:
            raise RuntimeError(f"{self.backend}: the fill answered {r['ok']} 201s for {need} "
                               f"requests, {rows} rows for {size}")
        log(f"  {need:,} donations in {r['wall_s']:.1f} s: {r['rate']:,.0f}/s")
        return {"added": need, "rate": r["rate"]}

    def reads(self):
        """The listings, the year's statement and `audit verify` at the current size."""
        year = today_wib().year
        client = Client(self.server.port, self.tokens["amil"])
        out = {}
        lists = {
            LISTS[0]: "/api/v1/donations",
            "type + March": f"/api/v1/donations?type=zakat_maal&received_from={year}-03-01"
                            f"&received_to={year}-03-31",
            "open campaign": f"/api/v1/donations?campaign_id={self.open[0]}",
            "closed campaign": f"/api/v1/donations?campaign_id={self.closed}",
        }
        for name, path in lists.items():
            for _ in range(5):
                client.request("GET", path)
            times, rows = [], None
            # At most `--list-seconds` of samples (at least 10): a listing that walks the whole
            # table would otherwise take most of an hour at 1M rows on a loaded machine.
            deadline = time.perf_counter() + self.args.list_seconds
            while len(times) < self.args.requests and (len(times) < 10
                                                       or time.perf_counter() < deadline):
                ms, body = client.request("GET", path)
                times.append(ms)
                rows = len(json.loads(body)["donations"])
            out[name] = {"median_ms": statistics.median(times), "p99_ms": percentile(times, 99),
                         "rows": rows, "path": path, "samples": len(times)}
            log(f"  {name}: median {out[name]['median_ms']:.2f} ms, p99 "
                f"{out[name]['p99_ms']:.2f} ms, {rows} rows, {len(times)} requests")
        # The year to date: a statement may not end in the future.
        path = f"/api/v1/reports/changes-in-funds?from={year}-01-01&to={today_wib().isoformat()}"
        times = [client.request("GET", path)[0] for _ in range(self.args.statement_runs)]
        client.close()
        in_period = self.sql("SELECT count(*) FROM donations WHERE received_on >= "
                             f"'{year}-01-01' AND received_on <= '{today_wib().isoformat()}'")
        out["statement"] = {"median_ms": statistics.median(times), "rows": in_period, "path": path}
        log(f"  statement {year}: median {out['statement']['median_ms']:.1f} ms, "
            f"{in_period:,} donations in it")
        out["audit"] = self.audit_verify()
        log(f"  audit verify: {out['audit']['ms']:.0f} ms, {out['audit']['rows']:,} entries")
        return out

    def audit_verify(self):
        start = time.perf_counter()
        proc = subprocess.run([self.args.binary, "audit", "verify", "--json"], cwd=self.server.dir,
                              env=self.server.env, capture_output=True, text=True, timeout=3600)
        ms = (time.perf_counter() - start) * 1000
        if proc.returncode != 0:
            raise RuntimeError(f"`audit verify` exited {proc.returncode}: {proc.stdout}\n{proc.stderr}")
        report = json.loads(proc.stdout)
        if report["problem"] is not None or report["balance_differences"]:
            raise RuntimeError(f"`audit verify` found a problem: {proc.stdout}")
        return {"ms": ms, "rows": report["entries"]}

    def write_rate(self, label):
        """Donations/s at `--clients` on a copy of the books, so they stay at their size."""
        slow = self.stop(self.server, label)
        copy_dir = tempfile.mkdtemp(dir=self.scratch, prefix="copy-")
        copy_data = os.path.join(copy_dir, "data")
        copy_db = None
        try:
            shutil.copytree(self.data_dir, copy_data)
            # The copy's pages are dirty in the OS's cache until written back: unflushed, the
            # first fsync of the SQLite file (its first WAL checkpoint) writes back the whole
            # copy, 1.8 GB at 1M donations, and stalls the writer for seconds (p99 1,045 ms at
            # 1M in the run of 2026-12-08). PostgreSQL's FILE_COPY flushes its own copy.
            os.sync()
            if self.pg:
                copy_db = f"{self.db}_copy"
                self.pg.psql(f"CREATE DATABASE {copy_db} TEMPLATE {self.db} STRATEGY FILE_COPY")
            server = self.start_server(copy_data, copy_db)
            before = self.count(data_dir=copy_data, db=copy_db)
            log(f"{self.backend}: write rate at {before:,}, {self.args.clients} clients, "
                f"{self.args.seconds} s")
            r = run_wrk(self.scratch, server.port, self.tokens["amil"], self.open, None,
                        self.args.clients, self.args.seconds, seed=before + 1)
            slow += self.stop(server, f"{label} write")
            after = self.count(data_dir=copy_data, db=copy_db)
            if not r["ok"] <= after - before <= r["ok"] + self.args.clients:
                raise RuntimeError(f"{label}: {r['ok']} 201s but {after - before} new rows")
            log(f"  {r['rate']:,.0f} donations/s, p50 {r['p50_us'] / 1000:.2f} ms, "
                f"p99 {r['p99_us'] / 1000:.2f} ms")
        finally:
            if copy_db:
                self.pg.psql(f"DROP DATABASE IF EXISTS {copy_db}")
            shutil.rmtree(copy_dir, ignore_errors=True)
        self.server = self.start_server(self.data_dir)
        return {"rate": r["rate"], "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
                "slow": slow}


# `storage::ledger::read::DONATION_SELECT` and the filters of `storage::ledger::sql::donations`,
# copied for `--explain` (the server does not log its SQL at the default level): keep in step.
DONATION_SELECT = (
    "SELECT d.id, d.receipt_year, d.receipt_serial, d.type, d.fund, d.campaign_id, d.donor_id, "
    "d.amount_minor, d.currency, d.method, d.received_on, d.note, d.amil_share_minor, "
    "d.recorded_by, d.recorded_at, d.account, d.rate_to_idr, d.booked_minor, "
    "CAST(COALESCE((SELECT SUM(r.amount_minor) FROM donation_reversals r "
    "WHERE r.donation_id = d.id), 0) AS BIGINT) AS reversed_minor, "
    "EXISTS (SELECT 1 FROM donation_reversals r WHERE r.donation_id = d.id AND r.kind = 'void') "
    "AS voided FROM donations d WHERE 1 = 1")


def list_sql(books, name):
    """The listing `name` of `Books.reads` as the server's SQL, with its values inlined."""
    year = today_wib().year
    not_by_date = "" if books.pg else "+"  # `NOT_BY_DATE`: SQLite walks the receipt order

    def uuid(value):
        return f"'{value}'" if books.pg else f"X'{value.replace('-', '')}'"

    where = {
        "first page": "",
        "type + March": f" AND {not_by_date}d.received_on >= '{year}-03-01' AND "
                        f"{not_by_date}d.received_on <= '{year}-03-31' AND d.type = 'zakat_maal'",
        "open campaign": f" AND d.campaign_id = {uuid(books.open[0])}",
        "closed campaign": f" AND d.campaign_id = {uuid(books.closed)}",
    }[name]
    return (DONATION_SELECT + where +
            " ORDER BY d.receipt_year DESC, d.receipt_serial DESC LIMIT 50")


def explain(books, names):
    """Logs each listing's plan: SQLite's `EXPLAIN QUERY PLAN` and the query's time in Python's
    sqlite3 (median of 5), PostgreSQL's `EXPLAIN (ANALYZE, BUFFERS)`."""
    for name in names:
        sql = list_sql(books, name)
        if books.pg:
            plan = books.pg.psql("EXPLAIN (ANALYZE, BUFFERS) " + sql, db=books.db)
        else:
            path = os.path.join(books.data_dir, "donation_platform.db")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                plan = "\n".join(f"{row[0]} {row[1]} {row[3]}"
                                 for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
                times = []
                for _ in range(5):
                    start = time.perf_counter()
                    conn.execute(sql).fetchall()
                    times.append((time.perf_counter() - start) * 1000)
                plan += f"\n(sqlite3 {sqlite3.sqlite_version}: median {statistics.median(times):.2f} ms)"
            finally:
                conn.close()
        log(f"plan of {name} at {books.count():,} ({books.backend}):\n{sql}\n{plan}")


def measure(args, scratch, cleanup, backend, pg):
    books = Books(args, scratch, cleanup, backend, pg, resume=args.resume)
    results = []
    for i, size in enumerate(args.sizes):
        label = f"{backend}-{size}"
        # A resumed run's books are past their first size: the closed campaign stays closed.
        fill = books.grow(size, first=i == 0 and not args.resume)
        # The books' own count: a resumed run's books may hold more than the size asked.
        point = {"backend": backend, "size": books.count(), "fill": fill}
        point.update(books.reads())
        if args.explain:
            explain(books, LISTS)
        point["write"] = books.write_rate(label)
        results.append(point)
        log(f"point {json.dumps(point)}")  # the raw figures, kept in the log if a later one fails
    books.stop(books.server, f"{backend} end")
    return results


# ---------------------------------------------------------------------------------------------
# report

def figures(p, clients, requests):
    """Each figure at one size: (label, the figure as text, its cost per unit in µs, the unit)."""
    rows = []
    w = p["write"]
    rows.append((f"write, {clients} clients", f"{w['rate']:,.0f}/s (p99 {w['p99_ms']:.1f} ms)",
                 1e6 / w["rate"], "donation"))
    for name in LISTS:
        r = p.get(name)
        if r is None:  # left out of a point (see the section's notes)
            rows.append((f"list: {name}", None, None, "row returned"))
            continue
        few = f", {r['samples']} requests" if r.get("samples", requests) < requests else ""
        rows.append((f"list: {name}", f"{r['median_ms']:.2f} ms (p99 {r['p99_ms']:.2f} ms{few})",
                     r["median_ms"] * 1000 / max(r["rows"], 1), f"row returned ({r['rows']})"))
    s = p["statement"]
    rows.append(("statement of the year", f"{s['median_ms']:,.1f} ms",
                 s["median_ms"] * 1000 / max(s["rows"], 1), f"donation in it ({s['rows']:,})"))
    a = p["audit"]
    rows.append(("audit verify", f"{a['ms']:,.0f} ms", a["ms"] * 1000 / max(a["rows"], 1),
                 f"entry ({a['rows']:,})"))
    return rows


def markdown(args, command, results, versions, loads):
    nproc, kernel, cpu, fs = machine()
    lines = [SECTION, "", "```sh", "cargo build --release && " + command, "```", ""]
    lines.append(
        f"{versions['platform']}, {datetime.date.today().isoformat()}, {nproc} cores ({cpu}), "
        f"Linux {kernel}, temp dirs on {fs}; PostgreSQL {versions['pg']}; load average "
        f"{loads[0]} at the start and {loads[1]} at the end. **The machine was shared**: other "
        f"engineers built and benchmarked during this run, so single figures are noisy; the "
        f"ratios between sizes come from one run. Method: the docstring of `bench/growth.py`. "
        f"Every donation went through `POST /api/v1/donations` (wrk, "
        f"{args.fill_clients} connections); cost per unit = the figure ÷ its work.")
    for backend in dict.fromkeys(p["backend"] for p in results):
        points = [p for p in results if p["backend"] == backend]
        sizes = [p["size"] for p in points]
        lines += ["", f"**{backend}**", ""]
        head = "| figure | " + " | ".join(f"{s:,}" for s in sizes) + " | unit cost ×, " \
            f"{sizes[0]:,} → {sizes[-1]:,} |"
        lines += [head, "|---|" + "---:|" * (len(sizes) + 1)]
        table = [figures(p, args.clients, args.requests) for p in points]
        fill = " | ".join(f"{p['fill']['rate']:,.0f}/s" if p["fill"]["rate"] else "–"
                          for p in points)
        lines.append(f"| fill rate (to this size) | {fill} | |")
        for k, (label, _, _, unit) in enumerate(table[0]):
            unit = unit.split(" (")[0]
            cells = [f"{t[k][1]}<br>{t[k][2]:,.1f} µs/{t[k][3]}" if t[k][1] else "n/a"
                     for t in table]
            costs = [t[k][2] for t in table if t[k][2] is not None]
            ratio = costs[-1] / costs[0]
            flag = f"**{ratio:.1f}× ⚠**" if ratio > args.flag else f"{ratio:.1f}×"
            lines.append(f"| {label} (µs per {unit}) | " + " | ".join(cells) + f" | {flag} |")
        slow = sum(p["write"]["slow"] for p in points)
        lines += ["", f"Slow-statement warnings (over 1 s) in the {backend} servers' logs: {slow}."]
    return "\n".join(lines) + "\n"


def from_logs(args):
    """The section from runs' logs: their `command`, `load` and `point` lines, in order."""
    results, commands, loads = [], [], []
    for path in args.from_log.split(","):
        with open(path) as f:
            for line in f:
                kind, _, rest = line.removeprefix("bench: ").partition(" ")
                if kind == "point":
                    results.append(json.loads(rest))
                elif kind == "command":
                    commands.append(rest.strip())
                elif kind == "load":
                    loads.append(rest.strip())
    if not results:
        sys.exit(f"no `point` lines in {args.from_log}")
    versions = {"pg": "15", "platform": subprocess.run(
        [args.binary, "version"], capture_output=True, text=True).stdout.strip()}
    load = (loads[0], loads[-1]) if loads else ("?", "?")
    text = markdown(args, " && ".join(commands) or "python3 bench/growth.py", results, versions, load)
    common.publish(SECTION, text, args.write)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/donation_platform"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration of the write rate")
    parser.add_argument("--clients", type=int, default=64, help="connections for the write rate")
    parser.add_argument("--fill-clients", type=int, default=64, help="connections for the fill")
    parser.add_argument("--fill-min-rate", type=float, default=300,
                        help="fail a fill slower than this many donations/s (plus 120 s)")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per listing")
    parser.add_argument("--list-seconds", type=float, default=120,
                        help="stop a listing's samples after this long (at least 10 requests)")
    parser.add_argument("--statement-runs", type=int, default=5)
    parser.add_argument("--resume", metavar="DATA_DIR", help="SQLite only: grow and measure the "
                        "books in this data directory (of a run cut short), from their size on")
    parser.add_argument("--flag", type=float, default=2.0,
                        help="flag a unit cost that grows more than this from the first size")
    parser.add_argument("--explain", action="store_true",
                        help="log each listing's query plan at each size (after its timings)")
    parser.add_argument("--from-log", metavar="LOG,LOG", help="measure nothing: the table from the "
                        "`point` lines of these logs (runs' stderr), e.g. of one run per backend")
    parser.add_argument("--write", action="store_true", help="put the section in BENCHMARKS.md")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.sizes != sorted(set(args.sizes)) or args.sizes[0] < 1:
        parser.error("--sizes: increasing positive numbers")
    backends = [b for b in args.backends.split(",") if b]
    if not set(backends) <= {"sqlite", "postgres"}:
        parser.error("--backends takes sqlite and/or postgres")
    if args.from_log:
        return from_logs(args)
    if args.resume and backends != ["sqlite"]:
        parser.error("--resume takes a SQLite data directory: --backends sqlite")
    if not shutil.which("wrk"):
        sys.exit("missing wrk: apt-get install -y wrk")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no binary at {args.binary}: cargo build --release (or --binary PATH)")
    command = shlex.join(["python3", "bench/growth.py",
                          *[a for a in sys.argv[1:] if a != "--write"]])
    log(f"command {command}")
    log(f"load {load_average()}")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cleanup = Cleanup()
    scratch = tempfile.mkdtemp(prefix="growth-bench-")
    os.chmod(scratch, 0o755)  # the postgres user needs to reach its data directory
    cleanup.push(f"remove {scratch}", lambda: shutil.rmtree(scratch, ignore_errors=True))
    try:
        loads = [load_average(), None]
        pg = None
        if "postgres" in backends:
            log("starting a throwaway PostgreSQL 15 ...")
            pg = Postgres(scratch, cleanup)
        versions = {"pg": pg.setting("server_version") if pg else "-",
                    "platform": subprocess.run([args.binary, "version"], capture_output=True,
                                               text=True).stdout.strip()}
        results = []
        for backend in backends:
            results += measure(args, scratch, cleanup, backend, pg if backend == "postgres" else None)
        loads[1] = load_average()
        common.publish(SECTION, markdown(args, command, results, versions, loads), args.write)
        return 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish cleaning up
        cleanup.run()
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())

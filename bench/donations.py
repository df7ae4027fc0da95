#!/usr/bin/env python3
"""Durable donation recording: the platform over HTTP against the raw commit rate of its database.

Usage: python3 bench/donations.py [--seconds 10] [--clients 1,16,64] [--repeat N] [--binary PATH] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).
Needs the PostgreSQL 15 server programs (/usr/lib/postgresql/15/bin, with pgbench) and `wrk`
(`apt-get install -y wrk`); as root, PostgreSQL runs as the `postgres` user via `runuser`.

One run measures, side by side:

1. Raw SQLite: a fresh file next to the platform's data directories (same file system),
   `journal_mode=WAL`, `synchronous=FULL` (the platform's settings), single-row INSERTs each in
   its own transaction (autocommit) for `--sqlite-seconds` -> commits/s. SQLite has one writer
   at a time, so this one number is the ceiling for every client count.
2. Raw PostgreSQL: a throwaway PostgreSQL 15 cluster (temp data directory, free port on
   127.0.0.1, defaults: fsync=on, synchronous_commit=on; max_connections=200), a one-column
   table, `pgbench -n -f <one INSERT> -c C -j min(2, C) -T <pgbench-seconds>` per client count -> TPS.
3. The platform: for each backend and client count, a fresh `donation_platform start` (clean
   environment: PATH, DATA_DIR=<fresh temp dir>, PORT=<free port>, and for PostgreSQL
   DATABASE_URL=postgres://postgres@127.0.0.1:<port>/<fresh database> on the same cluster as
   pgbench; dev mode, which migrates on start), ready when `GET /readyz` answers 200. A user
   (role amil) and a bearer token are made with the CLI (`user create`, `token create`) in the
   same environment, then `wrk` drives `POST /api/v1/donations` for `--seconds`.

Why wrk: a Python client saturates one of the machine's two cores long before the server does.
wrk (C, epoll, keep-alive) with a Lua script gives every request a unique `Idempotency-Key`
(`bench-<run nonce>-<wrk thread>-<counter>`), counts 201 responses (the successes) and every
other status separately; wrk runs `-t min(2, C)` threads and `-c C` keep-alive connections.
donations/s = 201 responses / measured duration; p50/p99 are wrk's latency percentiles over
all completed responses (wrk, not wrk2: no coordinated-omission correction, so this is a
closed-loop measurement, like pgbench). The load generator shares the 2 cores with the server
and the database, as pgbench does with PostgreSQL in part 2.

After each platform run the rows in the `donations` table are counted (`--verify-table`) and
compared with the 201 responses: every 201 must have its row (rows may exceed 201s by at most
the requests in flight when wrk stopped). Non-201 responses, wrk socket errors, a failed
verification, and ERROR/WARN/panic lines in the server's stderr are reported loudly; server
logs live in the temp directory (`--keep-logs DIR` keeps copies), their tail is printed on
failure, and log problems are split into "under load" and "after SIGTERM" (shutdown).

Order within a round: raw SQLite, the SQLite points, then for each client count pgbench and the
PostgreSQL point, so every raw rate is measured right before what it is compared with (the
machine is shared; its fsync latency drifts). `--repeat N` runs N rounds and reports medians
with (min–max); the ratio is the median of the per-round ratios.

Prints a Markdown section for BENCHMARKS.md; `--write` also replaces (or appends) the section
`## Durable donation recording` in BENCHMARKS.md. Everything started is stopped and every temp
directory removed on exit, on errors and on Ctrl-C/SIGTERM.
"""

import argparse
import datetime
import json
import os
import platform
import re
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

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PGBIN = "/usr/lib/postgresql/15/bin"
SECTION = "## Durable donation recording"
PASSWORD = "bench-password-" + secrets.token_hex(8)
SERVER_ENV = {}  # --server-env
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def loud(msg):
    bar = "!" * 78
    print(f"\n{bar}\n!!! {msg}\n{bar}\n", file=sys.stderr, flush=True)



def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"(cannot read {path}: {e})"


def as_postgres():
    """Prefix for commands that must run as the `postgres` user (only when we are root)."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Cleanup:
    """A stack of undo actions, run in reverse order, each one even if another fails."""

    def __init__(self):
        self.actions = []

    def push(self, what, fn):
        self.actions.append((what, fn))

    def run(self):
        while self.actions:
            what, fn = self.actions.pop()
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - keep cleaning up
                log(f"cleanup: {what} failed: {e!r}")


# ---------------------------------------------------------------------------------------------
# 1. raw SQLite


def raw_sqlite(scratch, seconds):
    path = os.path.join(tempfile.mkdtemp(dir=scratch, prefix="raw-sqlite-"), "raw.db")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous=FULL")
        sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        assert mode == "wal" and sync == 2, (mode, sync)
        conn.execute("CREATE TABLE bench (v INTEGER NOT NULL)")
        n = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            # Autocommit: every INSERT is its own transaction, one WAL fsync each.
            for _ in range(20):
                conn.execute("INSERT INTO bench (v) VALUES (?)", (n,))
                n += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        elapsed = now - start
        stored = conn.execute("SELECT count(*) FROM bench").fetchone()[0]
        assert stored == n, (stored, n)
    finally:
        conn.close()
    return n / elapsed, n, elapsed


# ---------------------------------------------------------------------------------------------
# 2. PostgreSQL cluster and pgbench


class Postgres:
    def __init__(self, scratch, cleanup):
        self.base = tempfile.mkdtemp(dir=scratch, prefix="pg-")
        os.chmod(self.base, 0o700)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.data = os.path.join(self.base, "data")
        self.logfile = os.path.join(self.base, "postgres.log")
        self.port = common.free_port()
        self.running = False
        subprocess.run(as_postgres() + [f"{PGBIN}/initdb", "-D", self.data, "-U", "postgres",
                                         "--auth=trust", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                f"-c max_connections=200")
        cleanup.push("stop PostgreSQL", self.stop)
        # Own session: a Ctrl-C on the terminal must not reach the postmaster; stop() does.
        subprocess.run(as_postgres() + [f"{PGBIN}/pg_ctl", "-D", self.data, "-o", opts,
                                         "-l", self.logfile, "-w", "-t", "60", "start"],
                       check=True, stdout=subprocess.DEVNULL, start_new_session=True)
        self.running = True

    def stop(self):
        if self.running:
            subprocess.run(as_postgres() + [f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast",
                                             "-w", "-t", "60", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            self.running = False

    def conn_args(self, db="postgres"):
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db]

    def psql(self, sql, db="postgres"):
        out = subprocess.run([f"{PGBIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              *self.conn_args(db), "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def url(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def setting(self, name):
        return self.psql(f"SHOW {name}")


def pgbench(pg, scratch, clients, seconds):
    pg.psql("TRUNCATE bench")
    pg.psql("CHECKPOINT")
    script = os.path.join(scratch, "insert.sql")
    with open(script, "w") as f:
        f.write("INSERT INTO bench (v) VALUES (1);\n")
    threads = min(2, clients)
    cmd = [f"{PGBIN}/pgbench", "-n", "-f", script, "-c", str(clients), "-j", str(threads),
           "-T", str(seconds), *pg.conn_args("postgres")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    tps = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", out.stdout, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", out.stdout, re.M)
    lat = re.search(r"^latency average = ([0-9.]+) ms", out.stdout, re.M)
    if not tps:
        raise RuntimeError(f"cannot parse pgbench output:\n{out.stdout}")
    if failed and int(failed.group(1)):
        loud(f"pgbench: {failed.group(1)} failed transactions at -c {clients}")
    return {"tps": float(tps.group(1)), "failed": int(failed.group(1)) if failed else 0,
            "latency_ms": float(lat.group(1)) if lat else None,
            "command": f"pgbench -n -f insert.sql -c {clients} -j {threads} -T {seconds}"}


# ---------------------------------------------------------------------------------------------
# 3. the platform under wrk

WRK_LUA = r"""
-- generated by bench/donations.py
local nonce = "%(nonce)s"
local path = "%(path)s"
local body = '%(body)s'
local headers = {
  ["Authorization"] = "Bearer %(token)s",
  ["Content-Type"] = "application/json",
}

threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local prefix
counter = 0
ok = 0
other = 0
statuses = ""
sample = ""
local by_status = {}

function init(args)
  prefix = "bench-" .. nonce .. "-" .. tid .. "-"
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, rbody)
  if status == 201 then
    ok = ok + 1
  else
    other = other + 1
    by_status[status] = (by_status[status] or 0) + 1
    local parts = {}
    for s, n in pairs(by_status) do parts[#parts + 1] = s .. ":" .. n end
    statuses = table.concat(parts, ",")
    if sample == "" then sample = status .. " " .. string.sub(rbody or "", 1, 300) end
  end
end

local function esc(s)
  return (string.gsub(s, '[%%c"\\]', function(c) return string.format("\\u%%04x", string.byte(c)) end))
end

function done(summary, latency, requests)
  local sent, oks, others, samples, stats = 0, 0, 0, {}, {}
  for _, t in ipairs(threads) do
    sent = sent + t:get("counter")
    oks = oks + t:get("ok")
    others = others + t:get("other")
    local s = t:get("sample")
    if s ~= "" then samples[#samples + 1] = '"' .. esc(s) .. '"' end
    local st = t:get("statuses")
    if st ~= "" then stats[#stats + 1] = st end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%%d,"completed":%%d,"sent":%%d,"ok":%%d,"other":%%d,' ..
    '"statuses":"%%s","samples":[%%s],"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"mean_us":%%f,"err_connect":%%d,"err_read":%%d,"err_write":%%d,"err_status":%%d,' ..
    '"err_timeout":%%d}\n',
    summary.duration, summary.requests, sent, oks, others, table.concat(stats, ","),
    table.concat(samples, ","), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout))
end
"""


class Server:
    def __init__(self, binary, scratch, cleanup, label, database_url=None, pool_size=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(dir=scratch, prefix=f"srv-{label}-")
        self.port = common.free_port()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "DATA_DIR": os.path.join(self.dir, "data"), "PORT": str(self.port)}
        if database_url:
            self.env["DATABASE_URL"] = database_url
        if pool_size:
            self.env["POOL_SIZE"] = str(pool_size)
        self.env.update(SERVER_ENV)
        self.logfile = os.path.join(self.dir, "server.log")
        self.proc = None
        self.term_offset = None  # log size when SIGTERM was sent
        cleanup.push(f"stop server {label}", self.stop)

    def start(self):
        with open(self.logfile, "wb") as logf:
            self.proc = subprocess.Popen([self.binary, "start"], cwd=self.dir, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.ready():
            if self.proc.poll() is not None:
                self.fail(f"server exited with {self.proc.returncode} before ready")
            if time.monotonic() > deadline:
                self.fail("server not ready after 60 s")
            time.sleep(0.02)

    def ready(self):
        return common.ready(self.port)

    def cli(self, *args):
        out = subprocess.run([self.binary, *args], cwd=self.dir, env=self.env,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            self.fail(f"`donation_platform {shlex.join(args)}` exited {out.returncode}:\n"
                      f"stdout: {out.stdout}\nstderr: {out.stderr}")
        return out.stdout

    def amil_token(self):
        """A bearer token of a new amil user (`user create`, `token create`, in the server's
        environment)."""
        pw = os.path.join(self.dir, "password")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pw, 0o600)
        self.cli("user", "create", "--email", "bench@example.org", "--role", "amil",
                 "--password-file", pw)
        token = self.cli("token", "create", "--email", "bench@example.org").strip()
        if not token or "\n" in token or " " in token:
            self.fail(f"`token create` printed something other than one token line: {token!r}")
        return token

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.term_offset = os.path.getsize(self.logfile)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                log(f"server pid {self.proc.pid} did not stop after SIGTERM; SIGKILL")
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def fail(self, msg):
        raise RuntimeError(f"{msg}\n--- server log tail ({self.logfile}) ---\n{tail(self.logfile)}")

    def log_problems(self):
        """ERROR/WARN/panic lines in the server's stderr: (under load, after SIGTERM)."""
        bad = ([], [])
        try:
            with open(self.logfile, "rb") as f:
                for line in f:
                    clean = ANSI.sub("", line.decode(errors="replace"))
                    if re.search(r"\b(ERROR|WARN)\b|panicked|\"level\":\"(ERROR|WARN)\"", clean):
                        after = self.term_offset is not None and f.tell() > self.term_offset
                        bad[after].append(clean.rstrip())
        except OSError:
            pass
        return bad


def run_wrk(port, token, clients, seconds, scratch):
    nonce = secrets.token_hex(4)
    today = datetime.date.today().isoformat()
    body = json.dumps({"type": "infak", "amount": "100000", "currency": "IDR", "method": "cash",
                       "received_on": today, "anonymous": True}, separators=(",", ":"))
    script = os.path.join(scratch, f"wrk-{nonce}.lua")
    with open(script, "w") as f:
        f.write(WRK_LUA % {"nonce": nonce, "path": "/api/v1/donations", "body": body,
                           "token": token})
    threads = min(2, clients)
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s",
           "-s", script, f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    m = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    r["rate"] = r["ok"] / (r["duration_us"] / 1e6)
    r["wrk_errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
    r["command"] = f"wrk -t {threads} -c {clients} -d {seconds}s --timeout 30s -s donations.lua"
    return r


def count_rows_sqlite(server, table):
    path = os.path.join(server.env["DATA_DIR"], "donation_platform.db")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as e:
        return f"n/a ({e})"


def count_rows_pg(pg, db, table):
    try:
        return int(pg.psql(f'SELECT count(*) FROM "{table}"', db=db))
    except subprocess.CalledProcessError as e:
        return f"n/a ({e.stderr.strip().splitlines()[0] if e.stderr.strip() else e})"


def platform_point(args, scratch, cleanup, backend, clients, pg):
    label = f"{backend}-c{clients}"
    db = None
    url = None
    if backend == "postgres":
        db = f"bench_{clients}_{secrets.token_hex(3)}"
        pg.psql(f"CREATE DATABASE {db}")
        url = pg.url(db)
    server = Server(args.binary, scratch, cleanup, label, database_url=url,
                    pool_size=args.pool_size)
    server.start()
    token_out = server.amil_token()
    if pg:
        pg.psql("CHECKPOINT")
    try:
        r = run_wrk(server.port, token_out, clients, args.seconds, scratch)
    except Exception:
        log(f"--- server log tail ({label}) ---\n{tail(server.logfile)}")
        raise
    code = server.stop()
    if args.keep_logs:
        os.makedirs(args.keep_logs, exist_ok=True)
        shutil.copy(server.logfile, os.path.join(args.keep_logs, f"{os.path.basename(server.dir)}.log"))
    r["exit"] = code
    r["log_problems"] = server.log_problems()
    if backend == "sqlite":
        r["rows"] = count_rows_sqlite(server, args.verify_table)
    else:
        r["rows"] = count_rows_pg(pg, db, args.verify_table)
    problems = []
    if r["other"]:
        problems.append(f"{r['other']} non-201 responses ({r['statuses']}); "
                        f"first: {r['samples'][:2]}")
    if r["wrk_errors"]:
        problems.append(f"wrk socket errors: connect {r['err_connect']}, read {r['err_read']}, "
                        f"write {r['err_write']}, timeout {r['err_timeout']}")
    if isinstance(r["rows"], int):
        if not r["ok"] <= r["rows"] <= r["ok"] + clients:
            problems.append(f"rows in {args.verify_table}: {r['rows']}, 201 responses: {r['ok']} "
                            f"(expected 201s ≤ rows ≤ 201s + {clients})")
    else:
        log(f"{label}: could not count rows: {r['rows']}")
    if code != 0:
        problems.append(f"server exit code {code} after SIGTERM")
    for lines, when in zip(r["log_problems"], ("under load", "after SIGTERM (shutdown)")):
        if lines:
            problems.append(f"{len(lines)} ERROR/WARN lines in the server log {when}, first:\n  "
                            + "\n  ".join(lines[:3]))
    if problems:
        loud(f"{label}: " + "\n!!! ".join(problems))
        log(f"--- server log tail ({label}) ---\n{tail(server.logfile)}")
    r["problems"] = problems
    return r


# ---------------------------------------------------------------------------------------------
# report


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", tempfile.gettempdir()],
                        capture_output=True, text=True).stdout.strip() or "?"
    return nproc, platform.release(), cpu, fs


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def fmt_ms(us):
    return f"{us / 1000:.2f} ms"


def med(values):
    return statistics.median(values)


def rng(values, fmt="{:,.0f}"):
    """`median (min–max)` over the rounds, or just the value for one round."""
    m = fmt.format(med(values))
    if len(values) == 1:
        return m
    return f"{m} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def markdown(args, command, rounds, versions, loads):
    nproc, kernel, cpu, fs = machine()
    today = datetime.date.today().isoformat()
    n = len(rounds)
    lines = [SECTION, "", "```sh", "cargo build --release && " + command, "```", ""]
    lines.append(
        f"{versions['platform']}, {today}, {nproc} cores ({cpu}), Linux {kernel}, temp dirs on "
        f"{fs}, load average {loads[0]} at the start and {loads[1]} at the end; "
        f"PostgreSQL {versions['pg']} (defaults: fsync=on, synchronous_commit=on), "
        f"SQLite {sqlite3.sqlite_version} (Python's, for the raw rate), {versions['wrk']}. "
        + (f"{n} rounds, each measuring every row once (each raw rate right before the "
           f"platform points it is compared with), "
           f"medians with (min–max); the ratio is the median of the per-round ratios. " if n > 1
           else "One round. ")
        + f"Each platform point is a fresh server and database (dev mode, "
        f"POOL_SIZE={args.pool_size or 'default'}), "
        f"{args.seconds} s of `POST /api/v1/donations` from wrk over C keep-alive connections, "
        f"every request with its own `Idempotency-Key`; raw SQLite is {args.sqlite_seconds:g} s of "
        f"autocommit single-row INSERTs (WAL, synchronous=FULL), raw PostgreSQL is "
        f"`pgbench -n -c C -j min(2,C) -T {args.pgbench_seconds}` of a one-row INSERT into a "
        f"one-column table on the same cluster. Load generators share the 2 cores with the server.")
    lines.append("")
    lines.append("| backend | clients | donations/s | p50 | p99 | non-201 | raw commits/s "
                 "| donations/s ÷ raw |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    ms = "{:.2f} ms"
    for key in rounds[0]["platform"]:
        backend, clients = key
        rs = [r["platform"][key] for r in rounds]
        if backend == "sqlite":
            raws = [r["sqlite"] for r in rounds]
            raw_txt = f"{rng(raws)} (SQLite, 1 writer)"
        else:
            raws = [r["pgbench"][clients]["tps"] for r in rounds]
            raw_txt = f"{rng(raws)} (pgbench -c {clients})"
        other = sum(r["other"] for r in rs)
        non = f"**{other}**" if other else "0"
        ratio = med([r["rate"] / raw for r, raw in zip(rs, raws)])
        lines.append(f"| {backend} | {clients} | {rng([r['rate'] for r in rs])} | "
                     f"{ms.format(med([r['p50_us'] for r in rs]) / 1000)} | "
                     f"{ms.format(med([r['p99_us'] for r in rs]) / 1000)} | {non} | {raw_txt} | "
                     f"{ratio:.2f} |")
    lines.append("")
    points = [((b, f"{c} clients" + (f", round {i}" if n > 1 else "")), r)
              for i, rd in enumerate(rounds, 1) for (b, c), r in rd["platform"].items()]
    counted = all(isinstance(r.get("rows"), int) for _, r in points)
    if counted and all(not r["problems"] for _, r in points):
        lines.append(f"Every run: each 201 has its row in `{args.verify_table}` (counted after the "
                     "server stopped), no wrk socket errors, no ERROR/WARN in the server log, "
                     "clean exit on SIGTERM.")
    else:
        for (backend, where), r in points:
            if not isinstance(r.get("rows"), int):
                lines.append(f"- {backend}, {where}: rows not counted: {r['rows']}")
            for p in r["problems"]:
                lines.append(f"- **{backend}, {where}**: {p}")
    return "\n".join(lines) + "\n"


def write_section(text):
    log(f"wrote section to {common.write_section(SECTION, text)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/donation_platform"))
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per platform point")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--sqlite-seconds", type=float, default=5)
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the whole sequence; the table shows medians (min–max)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pool-size", type=int, help="POOL_SIZE for the server (default: unset)")
    parser.add_argument("--verify-table", default="donations")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the server, e.g. LOG_LEVEL=info,storage=debug")
    parser.add_argument("--keep-logs", metavar="DIR",
                        help="copy every server's stderr log into DIR (created) before cleanup")
    parser.add_argument("--raw-only", action="store_true", help="skip the platform (parts 1-2)")
    parser.add_argument("--write", action="store_true", help="put the section in BENCHMARKS.md")
    args = parser.parse_args()
    SERVER_ENV.update(item.split("=", 1) for item in args.server_env)
    clients = [int(c) for c in args.clients.split(",")]
    backends = [b for b in args.backends.split(",") if b]
    if not set(backends) <= {"sqlite", "postgres"}:
        parser.error("--backends takes sqlite and/or postgres")
    shown = [a for a in sys.argv[1:] if a != "--write"]
    command = shlex.join(["python3", "bench/donations.py", *shown])

    missing = [t for t in ("wrk",) if not shutil.which(t)]
    if missing and not args.raw_only:
        sys.exit(f"missing {missing}: apt-get install -y wrk")
    if not args.raw_only and not os.access(args.binary, os.X_OK):
        sys.exit(f"no binary at {args.binary}: cargo build --release (or --binary PATH)")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    # Even when started with SIGINT ignored (a background job of a script), Ctrl-C/SIGINT
    # must stop the run and clean up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cleanup = Cleanup()
    scratch = tempfile.mkdtemp(prefix="donations-bench-")
    os.chmod(scratch, 0o755)  # the postgres user needs to reach its data directory
    cleanup.push(f"remove {scratch}", lambda: shutil.rmtree(scratch, ignore_errors=True))
    try:
        loads = [load_average(), None]
        pg = None
        if args.raw_only and "postgres" not in backends:
            backends.append("postgres")
        need_pg = "postgres" in backends
        if need_pg:
            log("starting a throwaway PostgreSQL 15 ...")
            pg = Postgres(scratch, cleanup)
            pg.psql("CREATE TABLE bench (v bigint)")
        versions = {"pg": pg.setting("server_version") if pg else "-",
                    "wrk": (subprocess.run(["wrk", "--version"], capture_output=True, text=True)
                            .stdout.split(" [")[0].strip() if shutil.which("wrk") else "wrk"),
                    "platform": "(raw only)"}
        if not args.raw_only:
            versions["platform"] = subprocess.run([args.binary, "version"], capture_output=True,
                                                  text=True).stdout.strip() or args.binary
        rounds = []
        for i in range(args.repeat):
            if args.repeat > 1:
                log(f"=== round {i + 1} of {args.repeat}")
            rd = {"pgbench": {}, "platform": {}}
            # Each raw rate is measured right before the platform points it is compared with,
            # so that a noisy neighbour skews both sides of a ratio alike.
            log(f"raw SQLite: {args.sqlite_seconds:g} s of single-row autocommit INSERTs ...")
            rate, n, elapsed = raw_sqlite(scratch, args.sqlite_seconds)
            rd["sqlite"] = rate
            log(f"  {rate:,.0f} commits/s ({n} rows in {elapsed:.2f} s)")
            for backend in ["sqlite"] + [b for b in backends if b != "sqlite"]:
                for c in clients:
                    if backend == "postgres" and pg:
                        log(f"pgbench -c {c} for {args.pgbench_seconds} s ...")
                        rd["pgbench"][c] = pgbench(pg, scratch, c, args.pgbench_seconds)
                        log(f"  {rd['pgbench'][c]['tps']:,.0f} TPS")
                    if args.raw_only or backend not in backends:
                        continue
                    log(f"platform {backend}, {c} clients, {args.seconds} s ...")
                    r = platform_point(args, scratch, cleanup, backend, c, pg)
                    rd["platform"][(backend, c)] = r
                    log(f"  {r['rate']:,.0f} donations/s, p50 {fmt_ms(r['p50_us'])}, "
                        f"p99 {fmt_ms(r['p99_us'])}, non-201 {r['other']}, rows {r['rows']}")
            rounds.append(rd)
        loads[1] = load_average()

        if args.raw_only:
            print(f"raw SQLite single-row commits/s: {rng([r['sqlite'] for r in rounds])}")
            for c in clients if pg else []:
                print(f"pgbench -c {c}: {rng([r['pgbench'][c]['tps'] for r in rounds])} TPS")
            return 0
        text = markdown(args, command, rounds, versions, loads)
        print(text)
        if args.write:
            write_section(text)
        points = [r for rd in rounds for r in rd["platform"].values()]
        bad = sum(r["other"] for r in points)
        if bad:
            loud(f"{bad} non-201 responses in total: see the table and the log above")
        return 1 if any(r["problems"] for r in points) else 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", None) or ""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        loud(f"FAILED: {e}\n{detail}".rstrip())
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # finish cleaning up
        cleanup.run()
        signal.signal(signal.SIGINT, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())

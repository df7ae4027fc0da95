#!/usr/bin/env python3
"""Connection bounds and logging cost: RSS with 5,000 idle keep-alive connections (and after
they close), RSS per slow client at its worst, and req/s at LOG_LEVEL=info against warn.

Usage: python3 bench/bounds.py [--binary PATH] [--seconds 10] [--connections 64] [--rounds 2] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).

1. Memory: the release binary, `start` in dev mode on SQLite in a temp directory, default
   configuration (LOG_LEVEL=info, logs to a file). VmRSS of /proc/PID/status when ready
   (after 200 warm-up requests), then with 5,000 keep-alive connections that each made one
   `GET /healthz` and sit idle, then 3 s and 15 s after they closed. Then slow clients: 2,000
   connections that each send 15 KiB of an unfinished request head (just under the 16 KiB head
   limit) and stall: (RSS with them - RSS before) / 2,000, and RSS 3 s and 15 s after they closed.
2. Logging cost: for each of `GET /healthz` and `POST /api/v1/zakat/maal` (the public
   calculator, ZAKAT_RATE_LIMIT=0), a fresh server at LOG_LEVEL=info and one at warn (info
   writes one line per request through the non-blocking writer to a file; warn writes none),
   `wrk -t 2 -c <connections> -d <seconds>s`, alternating info/warn for `--rounds` rounds;
   medians. wrk shares the 2 cores with the server.

Prints a Markdown section; `--write` replaces `## Connection bounds and logging` in BENCHMARKS.md.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Connection bounds and logging"
MAAL = json.dumps({"date": "2025-03-01", "cash": "150000000", "debts": "10000000",
                   "gold_price_per_gram": "1500000"}, separators=(",", ":"))

WRK_LUA = r"""
local body = %(body)s
local path = %(path)s
local method = %(method)s
request = function()
  if method == "POST" then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p99_us": %%d, "errors": %%d, "non_2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


class Server:
    def __init__(self, binary, temp, **env):
        self.port = common.free_port()
        self.dir = tempfile.mkdtemp(dir=temp)
        environment = {"PATH": os.environ["PATH"], "DATA_DIR": os.path.join(self.dir, "data"),
                       "PORT": str(self.port), "ZAKAT_RATE_LIMIT": "0"}
        environment.update(env)
        self.log_path = os.path.join(self.dir, "server.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([binary, "start"], cwd=self.dir, env=environment,
                                         stdout=log, stderr=log)
        deadline = time.time() + 30
        while not common.ready(self.port):
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"the server did not become ready:\n{open(self.log_path).read()}")
            time.sleep(0.05)

    def rss(self):
        return common.rss_kib(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=40)
        if code != 0:
            raise SystemExit(f"exit {code} after SIGTERM:\n{open(self.log_path).read()[-2000:]}")


def healthz_on(sock):
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("closed")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(answer[:100])


def rss_while_open(server, sockets):
    """The server's RSS 1 s after `sockets` were opened, then 3 s and 15 s after they are closed."""
    time.sleep(1)
    opened = server.rss()
    for s in sockets:
        s.close()
    time.sleep(3)
    after = server.rss()
    time.sleep(12)
    return opened, after, server.rss()


def memory(binary, temp):
    server = Server(binary, temp)
    try:
        for _ in range(200):
            with socket.create_connection(("127.0.0.1", server.port)) as s:
                healthz_on(s)
        time.sleep(1)
        ready = server.rss()
        idle = []
        for _ in range(5000):
            s = socket.create_connection(("127.0.0.1", server.port))
            healthz_on(s)
            idle.append(s)
        with_idle, after_idle, later_idle = rss_while_open(server, idle)
        common.log(f"RSS ready {ready} KiB, 5,000 idle {with_idle} KiB, after {after_idle} KiB, {later_idle} KiB")
        slow = []
        head = b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: " + b"a" * (15 * 1024)
        for _ in range(2000):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(head)
            slow.append(s)
        with_slow, after_slow, later_slow = rss_while_open(server, slow)
        common.log(f"RSS 2,000 slow heads {with_slow} KiB, after {after_slow} KiB, {later_slow} KiB")
        return {"ready": ready, "with_idle": with_idle, "after_idle": after_idle, "later_idle": later_idle,
                "before_slow": later_idle, "with_slow": with_slow, "after_slow": after_slow,
                "later_slow": later_slow}
    finally:
        server.stop()


def wrk(server, temp, method, path, args):
    script = os.path.join(temp, "bounds.lua")
    with open(script, "w") as f:
        f.write(WRK_LUA % {"body": "[[" + MAAL + "]]", "path": "[[" + path + "]]",
                           "method": "[[" + method + "]]"})
    return common.wrk(script, server.port, args)


def logging_cost(binary, temp, args):
    results = {}
    for name, method, path in [("GET /healthz", "GET", "/healthz"),
                               ("POST /api/v1/zakat/maal", "POST", "/api/v1/zakat/maal")]:
        for _ in range(args.rounds):
            for level in ("info", "warn"):
                server = Server(binary, temp, LOG_LEVEL=level)
                try:
                    result = wrk(server, temp, method, path, args)
                finally:
                    server.stop()
                lines = sum(1 for _ in open(server.log_path))
                common.log(f"{name} {level}: {result['rate']:,.0f}/s, p99 {result['p99_us'] / 1000:.2f} ms, "
                           f"non-2xx {result['non_2xx']}, errors {result['errors']}, log lines {lines}")
                results.setdefault((name, level), []).append((result, lines))
    return results


def report(mem, cost, args):
    per_idle = (mem["with_idle"] - mem["ready"]) / 5000
    per_slow = (mem["with_slow"] - mem["before_slow"]) / 2000
    rows = []
    for name in ("GET /healthz", "POST /api/v1/zakat/maal"):
        info = [r["rate"] for r, _ in cost[(name, "info")]]
        warn = [r["rate"] for r, _ in cost[(name, "warn")]]
        bad = sum(r["non_2xx"] + r["errors"] for level in ("info", "warn") for r, _ in cost[(name, level)])
        lines = statistics.median([n for _, n in cost[(name, "info")]])
        ratio = statistics.median(info) / statistics.median(warn)
        rows.append(f"| `{name}` | {statistics.median(info):,.0f} ({min(info):,.0f}–{max(info):,.0f}) "
                    f"| {statistics.median(warn):,.0f} ({min(warn):,.0f}–{max(warn):,.0f}) "
                    f"| {ratio:.2f} | {lines:,.0f} | {bad} |")
    table = "\n".join(rows)
    return f"""{SECTION}

```sh
cargo build --release && python3 bench/bounds.py --write
```

{time.strftime('%Y-%m-%d')}, 2 cores shared with the other work on the machine, release binary, SQLite, dev
mode; method in `bench/bounds.py`'s docstring.

| memory (VmRSS) | MiB |
|---|---:|
| ready (after 200 requests) | {mem['ready'] / 1024:.1f} |
| **with 5,000 idle keep-alive connections** (target ≤ 64 MiB) | **{mem['with_idle'] / 1024:.1f}** ({per_idle:.1f} KiB per connection) |
| 3 s / 15 s after they closed | {mem['after_idle'] / 1024:.1f} / {mem['later_idle'] / 1024:.1f} |
| with 2,000 slow clients, each 15 KiB into an unfinished head | {mem['with_slow'] / 1024:.1f} ({per_slow:.1f} KiB per connection) |
| 3 s / 15 s after they closed | {mem['after_slow'] / 1024:.1f} / {mem['later_slow'] / 1024:.1f} |

Requests/s at `LOG_LEVEL=info` (one line per request, written by the log thread to a file) and
`warn` (none), `wrk -t 2 -c {args.connections}`, {args.seconds} s per run, {args.rounds} runs each,
median (min–max); the target is info within 10 % of warn (ratio ≥ 0.90):

| request | info | warn | info ÷ warn | log lines (info run) | non-2xx + socket errors |
|---|---:|---:|---:|---:|---:|
{table}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "donation_platform"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dp-bounds-") as temp:
        args.binary = os.path.abspath(args.binary)
        mem = memory(args.binary, temp)
        cost = logging_cost(args.binary, temp, args)
    text = report(mem, cost, args)
    common.publish(SECTION, text, args.write)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Web pages under load (issue 14): server time of the staff dashboard and the public zakat
calculator page, p50/p99, on books of a given size.

Usage: python3 bench/pages.py [--sizes 10000,100000] [--backends sqlite,postgres]
                              [--seconds 10] [--connections 16,64] [--binary PATH] [--write]
Builds nothing: run `cargo build --release` first (the default binary is target/release/).

For each backend and size N:

1. A fresh `donation_platform start` (dev mode), users with tokens, and ONE donation received
   30 days ago, cloned N-1 times in SQL by bench/balances.py's fill (identical rows, fresh ids
   and serials, journal and kept balances moved; `ledger check` passes): all N donations fall
   inside the dashboard's twelve months, the worst case for its monthly sums.
2. An amil signs in through the sign-in form (GET /login for the CSRF token and the session
   cookie, POST /login), and wrk (2 threads, keep-alive) GETs `/staff` with that cookie, then
   the calculator page `/zakat/maal?…` (a full calculation with its trace, rendered as HTML),
   each for `--seconds` at each `--connections`; every answer that is not 200 is counted and
   must be 0. p50/p99 from wrk's latency histogram: on 2 cores shared with wrk, at 16
   connections this is mostly server time; at 64 it includes queueing.

Prints a Markdown section; `--write` replaces `## Web pages under load` in BENCHMARKS.md.
"""

import argparse
import datetime
import http.client
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

import common
from donations import PASSWORD, Cleanup, Postgres, load_average, machine
from exports import start_filled, stop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Web pages under load"

# The calculator page's query: zakat maal on savings, gold and debts, with the price given.
CALCULATOR = "/zakat/maal?" + urllib.parse.urlencode({
    "date": "2025-03-01", "cash": "150000000", "debts": "10000000",
    "gold_price_per_gram": "1500000",
})

PAGE_LUA = r"""
local non_200 = 0
request = function()
  return wrk.format("GET", "%(path)s", {["Cookie"] = "%(cookie)s", ["Accept"] = "text/html"})
end
response = function(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, "non_2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, non_200))
end
"""


def sign_in(port, email):
    """Signs in through the form; the session cookie (`name=value`)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(r'name="_csrf" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"_csrf": csrf, "email": email, "password": PASSWORD})
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status != 303:
        raise RuntimeError(f"sign-in answered {response.status}")
    cookie = response.getheader("Set-Cookie").split(";")[0]
    conn.close()
    return cookie


def check_page(port, path, cookie):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return len(body)


def load(port, path, cookie, connections, args, scratch):
    script = os.path.join(scratch, "page.lua")
    with open(script, "w") as f:
        f.write(PAGE_LUA % {"path": path, "cookie": cookie})
    run = argparse.Namespace(seconds=args.seconds, connections=connections)
    result = common.wrk(script, port, run)
    if result["non_2xx"]:
        raise RuntimeError(f"GET {path}: {result['non_2xx']} answers were not 200")
    return result


def point(args, scratch, cleanup, backend, size, pg):
    day = datetime.date.today() - datetime.timedelta(days=30)
    server, _ = start_filled(args, scratch, cleanup, backend, size, pg, day=day,
                             # The calculator's per-client limit would answer wrk with 429s.
                             env={"ZAKAT_RATE_LIMIT": "0", "LOG_LEVEL": "warn"})
    cookie = sign_in(server.port, "amil@example.org")
    results = {}
    for name, path in (("dashboard", "/staff"), ("calculator", CALCULATOR)):
        size_bytes = check_page(server.port, path, cookie)
        for connections in args.connections:
            result = load(server.port, path, cookie, connections, args, scratch)
            result["bytes"] = size_bytes
            results[(name, connections)] = result
            common.log(f"{backend} {size:,} {name} c{connections}: {result['rate']:,.0f}/s, "
                       f"p50 {result['p50_us'] / 1000:.2f} ms, p99 {result['p99_us'] / 1000:.2f} ms")
    slow = stop(server, f"{backend}-{size}")
    return results, slow


def markdown(command, table, args):
    nproc, kernel, cpu, fs = machine()
    lines = [SECTION, "", f"`{command}` (method in bench/pages.py's docstring; {nproc} cores, "
             f"{cpu}, Linux {kernel}, {fs}; load average {load_average()} at the end).", "",
             "| backend | donations | page | connections | pages/s | p50 ms | **p99 ms** | max ms | HTML bytes |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for (backend, size), (results, _) in table.items():
        for (name, connections), r in results.items():
            lines.append(f"| {backend} | {size:,} | {name} | {connections} | {r['rate']:,.0f} | "
                         f"{r['p50_us'] / 1000:.2f} | **{r['p99_us'] / 1000:.2f}** | "
                         f"{r['max_us'] / 1000:.1f} | {r['bytes']:,} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "donation_platform"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    shown = []
    skip = False
    for arg in sys.argv[1:]:  # the command as run, without the binary's path
        if skip or arg.startswith("--binary"):
            skip = arg == "--binary"
            continue
        shown.append(arg)
    command = "python3 bench/pages.py " + " ".join(shown)
    cleanup = Cleanup()
    scratch = tempfile.mkdtemp(prefix="bench-pages-")
    os.chmod(scratch, 0o755)  # the postgres user must reach its data directory inside
    cleanup.push("remove scratch", lambda: subprocess.run(["rm", "-rf", scratch], check=False))
    try:
        pg = Postgres(scratch, cleanup) if "postgres" in backends else None
        table = {}
        for backend in backends:
            for size in sizes:
                table[(backend, size)] = point(args, scratch, cleanup, backend, size,
                                               pg if backend == "postgres" else None)
        common.publish(SECTION, markdown(command.strip(), table, args), args.write)
        return 0
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        common.log(f"FAILED: {e}")
        return 1
    finally:
        cleanup.run()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Zakat calculator: calculations/s in-process, and requests/s with p99 over HTTP at 64 connections.

Usage: python3 bench/zakat.py [--seconds 10] [--connections 64] [--skip-build] [--write]

1. In-process: `cargo bench -p domain --bench zakat` (crates/domain/benches/zakat.rs): one
   question of each of the 11 categories in turn, `calculate` alone and with the JSON the API
   sends, 5 rounds of 2 s; medians with (min-max).
2. Over HTTP: the release binary (`cargo build --release`, skipped with --skip-build), `start`
   in dev mode on SQLite in a temp directory (migrations applied, so the seeded decree figures
   are there), `ZAKAT_RATE_LIMIT=0` (the limit is per client address and every request here
   comes from 127.0.0.1), ready when `/readyz` answers 200. wrk (`-t 2 -c <connections>`,
   keep-alive, Lua) posts to `/api/v1/zakat/{category}` cycling through one body per category
   (the data in force comes from the instance's copy, re-read once a second), for `--seconds`; every response that is
   not 200 is counted. requests/s = 200s / duration; p50/p99 from wrk's latency histogram
   (closed loop, like the other benches). wrk shares the 2 cores with the server.

Prints a Markdown section; `--write` replaces `## Zakat calculator` in BENCHMARKS.md.
"""

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTION = "## Zakat calculator"

BODIES = [
    ("maal", {"date": "2025-03-01", "cash": "150000000", "debts": "10000000", "gold_price_per_gram": "1500000"}),
    ("gold", {"date": "2025-03-01", "grams": "100", "karat": 22, "jewellery": "stored", "gold_price_per_gram": "1500000"}),
    ("silver", {"date": "2025-03-01", "grams": "700", "silver_price_per_gram": "15000"}),
    ("trade", {"date": "2025-03-01", "cash": "50000000", "inventory": "100000000", "receivables": "20000000",
               "debts": "30000000", "gold_price_per_gram": "1500000"}),
    ("income", {"date": "2025-03-01", "income": "10000000", "period": "monthly"}),
    ("fitrah", {"date": "2025-03-20", "persons": 4, "form": "cash", "region": "jabodetabek"}),
    ("agriculture", {"date": "2025-03-01", "harvest_kg": "1000", "irrigation": "mixed"}),
    ("livestock", {"date": "2025-03-01", "animal": "camel", "count": 130, "madhhab": "hanafi"}),
    ("mining", {"date": "2025-03-01", "value": "200000000", "gold_price_per_gram": "1500000"}),
    ("rikaz", {"date": "2025-03-01", "value": "10000000"}),
    ("stocks", {"date": "2025-03-01", "market_value": "300000000", "holding": "trading", "gold_price_per_gram": "1500000"}),
]

WRK_LUA = r"""
local requests = {}
%(requests)s
local n = 0
local non_200 = 0
request = function()
  n = n + 1
  local r = requests[(n %% #requests) + 1]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/json"}, r[2])
end
response = function(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, "err_connect": %%d, "err_read": %%d, "err_write": %%d, "err_timeout": %%d, "non_2xx": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
"""



def in_process():
    common.log("cargo bench -p domain --bench zakat (LTO build: minutes the first time)")
    out = subprocess.run(["cargo", "bench", "-p", "domain", "--bench", "zakat"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("{"))
    return json.loads(line)


def lua_string(text):
    return "[[" + text + "]]"


def over_http(args, temp):
    binary = os.path.join(ROOT, "target", "release", "donation_platform")
    port = common.free_port()
    env = {"PATH": os.environ["PATH"], "DATA_DIR": os.path.join(temp, "data"), "PORT": str(port),
           "ZAKAT_RATE_LIMIT": "0", "LOG_LEVEL": "warn"}
    log_path = os.path.join(temp, "server.log")
    with open(log_path, "w") as server_log:
        server = subprocess.Popen([binary, "start"], cwd=temp, env=env, stdout=server_log,
                                  stderr=server_log)
    try:
        deadline = time.time() + 30
        while not common.ready(port):
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"the server did not become ready:\n{open(log_path).read()}")
            time.sleep(0.05)
        requests = "\n".join(
            f"requests[{i + 1}] = {{{lua_string('/api/v1/zakat/' + category)}, "
            f"{lua_string(json.dumps(body, separators=(',', ':')))}}}"
            for i, (category, body) in enumerate(BODIES))
        script = os.path.join(temp, "zakat.lua")
        with open(script, "w") as f:
            f.write(WRK_LUA % {"requests": requests})
        result = common.wrk(script, port, args)
        result["errors"] = sum(result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout"))
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)



def report(local, http, args):
    return f"""{SECTION}

`python3 bench/zakat.py --write` (method in its docstring): one question of each of the 11
categories in turn (a maal, gold 22 k, silver, trade, monthly income with the seeded BAZNAS
nisab, fitrah for Jabodetabek, mixed-irrigation harvest, 130 camels (Hanafi), mining, rikaz,
stocks).

- **In-process** (`calculate`, exact decimals, full trace): **{local['calculations_per_s']:,.0f}
  calculations/s** median of {local['rounds']} × {local['round_s']} s
  ({local['calculations_per_s_min']:,.0f}–{local['calculations_per_s_max']:,.0f}); with the API's JSON
  serialization {local['with_json_per_s']:,.0f}/s ({local['with_json_per_s_min']:,.0f}–{local['with_json_per_s_max']:,.0f}).
- **Over HTTP** (release build, SQLite, data in force from the instance's copy re-read once a second, `-c {args.connections}`,
  {args.seconds} s): **{http['rate']:,.0f} requests/s**, p50 {http['p50_us'] / 1000:.2f} ms,
  **p99 {http['p99_us'] / 1000:.2f} ms**, max {http['max_us'] / 1000:.1f} ms; non-200 responses:
  {http['non_2xx']}, socket errors: {http['errors']}.
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    local = in_process()
    if not args.skip_build:
        subprocess.run(["cargo", "build", "--release", "-p", "donation_platform"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="dp-zakat-") as temp:
        http = over_http(args, temp)
    text = report(local, http, args)
    common.publish(SECTION, text, args.write)


if __name__ == "__main__":
    main()

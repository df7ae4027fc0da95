"""What the bench scripts share: BENCHMARKS.md sections (each script owns one `## ` section and
replaces or appends it), a free loopback port, the readiness probe, a process's RSS and a wrk
run."""

import json
import os
import re
import socket
import subprocess
import sys

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "BENCHMARKS.md")


def write_section(heading, text):
    """Replaces the section that starts with `heading` by `text`, or appends `text`."""
    with open(PATH) as f:
        doc = f.read()
    pattern = re.compile(r"^" + re.escape(heading) + r"[^\n]*\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(doc):
        doc = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", doc, count=1).rstrip("\n") + "\n"
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    with open(PATH, "w") as f:
        f.write(doc)
    return PATH


def publish(heading, text, write):
    """Prints the section `text` and, if `write`, puts it in BENCHMARKS.md under `heading`."""
    print(text)
    if write:
        log(f"wrote section to {write_section(heading, text)}")


def log(message):
    """A progress line on stderr (stdout carries the Markdown)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ready(port, timeout=1.0):
    """Whether the server on `port` answers `GET /readyz` with 200 within `timeout` seconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /readyz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def rss_kib(pid):
    """The resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wrk(script, port, args):
    """Runs wrk with the Lua `script` (which prints one `BENCH_JSON {...}` line when done) against
    127.0.0.1:`port` for `args.seconds` with `args.connections`; that JSON, with the `rate` of
    2xx answers per second added."""
    command = ["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s",
               "--timeout", "30s", "-s", script, f"http://127.0.0.1:{port}"]
    log(" ".join(command))
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60)
    match = re.search(r"^BENCH_JSON (.*)$", out.stdout, re.M)
    if out.returncode != 0 or not match:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    result = json.loads(match.group(1))
    result["rate"] = (result["requests"] - result["non_2xx"]) / (result["duration_us"] / 1e6)
    return result

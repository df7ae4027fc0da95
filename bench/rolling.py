#!/usr/bin/env python3
"""Rolling deploy across hosts behind HAProxy, under keep-alive load: failures, latency during
the rollouts vs steady state, time per host.

Usage: cargo xtask rolling [--write]     (builds, packs, starts PostgreSQL, then runs this)
       python3 bench/rolling.py --tarballs DIR --loadgen PATH --database-url URL --ca-file PEM
                                [--check | --write] [--steady-seconds N] [--connections N]

What it does, in one run, with deploy/ansible's own playbooks:

1. Three "hosts" on this machine: release roots host1..host3 in a temp directory, each with its
   own port, `ansible_connection=local`, sharing one PostgreSQL database (`--database-url`, TLS
   verified with `--ca-file`), as production's hosts share one. HAProxy (configured by
   haproxy.yml from templates/haproxy.cfg.j2: health checks on /readyz, runtime API socket)
   runs in the foreground on a free loopback port.
2. deploy.yml installs 0.1.0 on the three (migrate once, unpack, `daemon`); an amil and a token
   are filed with the release's own commands.
3. `loadgen` (bench/loadgen: one task per keep-alive connection, alternating `GET /healthz` and
   a donation `POST`, never retrying) runs through HAProxy from here to the end.
4. Steady state, deploy.yml 0.2.0 (one host at a time: drain, `upgrade`, /readyz, back in),
   steady, rollback.yml, steady, then deploy.yml 0.3.0, a release whose env file asks for a
   metrics listener on an address the hosts lack (its `migrate` works; a new instance exits 69
   before it is ready), steady.
5. Checks: zero failed requests and zero connection errors over the whole run; after each
   playbook, every host's version (its own /healthz and releases/CURRENT); the 0.3.0 rollout
   failed on host1 and never touched host2 and host3 (no releases/0.3.0/ there), every host
   still serves 0.1.0 and HAProxy has all three up; every acknowledged donation is stored.

Latency: requests sent while a playbook ran ("during") vs every other request after a 2 s
warm-up ("steady"). Per host: how long the playbook spent on it, and how long HAProxy had it
out of the pool (polled every 100 ms). Prints a Markdown section; `--write` replaces
`## Rolling deploy across hosts` in BENCHMARKS.md; `--check` exits 1 when a check fails.
"""

import argparse
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from xml.etree import ElementTree

import common

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(ROOT, "deploy", "ansible")
SECTION = "## Rolling deploy across hosts"
FIRST, NEXT, BROKEN = "0.1.0", "0.2.0", "0.3.0"
HOSTS = ("host1", "host2", "host3")
BACKEND = "donation_platform"

# How long a release may take to get ready (debug builds on a loaded machine take seconds).
READY_TIMEOUT_S = 30
# The load generator's own bound; the run stops it with SIGTERM long before.
LOAD_SECONDS_MAX = 1800
# A loop that waits for HAProxy or a host gives up after this.
WAIT_S = 60


class Failed(Exception):
    """A check that did not hold."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tarballs", required=True, help="holds donation_platform-<v>.tar.gz + .sha256")
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--steady-seconds", type=int, default=None,
                        help="each steady phase (default 3 with --check, else 15)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.steady_seconds is None:
        args.steady_seconds = 3 if args.check else 15
    with tempfile.TemporaryDirectory(prefix="dp-rolling-") as temp:
        site = Site(temp, args)
        try:
            result = site.run()
        finally:
            site.stop()
    text = report(result, args)
    common.publish(SECTION, text, args.write)
    if result["problems"]:
        for problem in result["problems"]:
            common.log(f"FAILED: {problem}")
        if args.check:
            sys.exit(1)


class Site:
    """Three release roots, their inventory, HAProxy and the load, in `temp`."""

    def __init__(self, temp, args):
        self.temp = temp
        self.args = args
        self.ports = {host: common.free_port() for host in HOSTS}
        self.roots = {host: os.path.join(temp, host) for host in HOSTS}
        self.frontend_port = common.free_port()
        self.admin_socket = os.path.join(temp, "haproxy.sock")
        self.haproxy_config = os.path.join(temp, "haproxy.cfg")
        self.environment = {
            "DATABASE_URL": args.database_url,
            "SSL_CERT_FILE": args.ca_file,
            "SECRET_KEY_BASE": secrets.token_hex(64),
        }
        self.haproxy = None
        self.load = None
        self.problems = []

    # The sequence -------------------------------------------------------------------------

    def run(self):
        self.write_inventory()
        self.playbook("haproxy.yml", expect_success=True)
        self.start_haproxy()
        first = self.playbook("deploy.yml", FIRST, expect_success=True)
        self.expect_versions(FIRST)
        self.expect_all_up()
        token = self.file_token()
        latencies = os.path.join(self.temp, "latencies.csv")
        self.load = subprocess.Popen(
            [self.args.loadgen, "--address", f"127.0.0.1:{self.frontend_port}", "--token", token,
             "--connections", str(self.args.connections), "--seconds", str(LOAD_SECONDS_MAX),
             "--latencies", latencies],
            stdout=subprocess.PIPE, text=True)
        poller = PoolWatch(self.admin_socket)
        poller.start()
        self.steady()
        rollout = self.playbook("deploy.yml", NEXT, expect_success=True)
        self.expect_versions(NEXT)
        self.steady()
        rollback = self.playbook("rollback.yml", expect_success=True)
        self.expect_versions(FIRST)
        self.steady()
        stopped = self.playbook("deploy.yml", BROKEN, expect_success=False)
        self.expect_stopped_at_first_host()
        self.steady()
        self.load.send_signal(signal.SIGTERM)
        summary = json.loads(self.load.communicate(timeout=120)[0])
        self.load = None
        poller.stop()
        if summary["failed_requests"] or summary["connection_errors"]:
            self.problems.append(
                f"{summary['failed_requests']} failed requests, {summary['connection_errors']} "
                f"connection errors: {summary['failed_examples']} {summary['connection_error_examples']}")
        stored = self.stored_donations()
        if stored is not None and stored != summary["donations"]:
            self.problems.append(f"{summary['donations']} donations acknowledged, {stored} stored")
        runs = {"install": first, "rollout": rollout, "rollback": rollback, "stopped": stopped}
        return {"summary": summary, "runs": runs, "stored": stored, "problems": self.problems,
                "latency": latency_by_phase(latencies, summary, runs),
                "out_of_pool": poller.out_of_pool(runs)}

    def steady(self):
        time.sleep(self.args.steady_seconds)

    # Ansible -------------------------------------------------------------------------------

    def write_inventory(self):
        lines = ["[donation_platform]"]
        for host in HOSTS:
            lines.append(f"{host} ansible_host=localhost donation_platform_address=127.0.0.1 "
                         f"donation_platform_root={self.roots[host]} "
                         f"donation_platform_port={self.ports[host]}")
        lines += ["[loadbalancers]", "lb1 ansible_host=localhost", "[all:vars]",
                  "ansible_connection=local",
                  "ansible_python_interpreter={{ ansible_playbook_python }}"]
        with open(os.path.join(self.temp, "inventory.ini"), "w") as f:
            f.write("\n".join(lines) + "\n")
        extra = {
            "donation_platform_tarball_dir": os.path.abspath(self.args.tarballs),
            "donation_platform_database_url": self.args.database_url,
            "donation_platform_secret_key_base": self.environment["SECRET_KEY_BASE"],
            "donation_platform_ssl_cert_file": self.args.ca_file,
            "donation_platform_ready_timeout": READY_TIMEOUT_S,
            "haproxy_admin_socket": self.admin_socket,
            "haproxy_config_file": self.haproxy_config,
            "haproxy_reload_with_systemd": False,
            "haproxy_frontend_bind": "127.0.0.1",
            "haproxy_frontend_port": self.frontend_port,
        }
        with open(os.path.join(self.temp, "vars.json"), "w") as f:
            json.dump(extra, f)

    def playbook(self, name, version=None, expect_success=True):
        """Runs playbook `name` (with `donation_platform_version=version`); returns its wall time
        and, per host, the time its tasks took (ansible-core's junit callback times each task)."""
        command = ["ansible-playbook", "-i", os.path.join(self.temp, "inventory.ini"),
                   "-e", "@" + os.path.join(self.temp, "vars.json"), name]
        if version:
            command += ["-e", f"donation_platform_version={version}"]
        junit = tempfile.mkdtemp(prefix="junit-", dir=self.temp)
        env = {**os.environ, "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.junit",
               "JUNIT_OUTPUT_DIR": junit, "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_HOME": os.path.join(self.temp, "ansible-home")}
        label = f"{name} {version or ''}".strip()
        common.log(f"ansible-playbook {label}")
        begun = time.time()
        out = subprocess.run(command, cwd=PLAYBOOKS, env=env, capture_output=True, text=True,
                             timeout=900)
        ended = time.time()
        # The recap always; the whole output when it did not go as expected.
        expected = (out.returncode == 0) == expect_success
        shown = out.stdout if not expected else out.stdout[out.stdout.rfind("PLAY RECAP"):]
        for line in shown.splitlines():
            if line.strip():
                common.log("  " + line)
        if expect_success and out.returncode != 0:
            raise Failed(f"ansible-playbook {label} failed ({out.returncode}): {out.stderr}")
        if not expect_success and out.returncode == 0:
            self.problems.append(f"ansible-playbook {label} succeeded, but release {version} never gets ready")
        return {"label": label, "rc": out.returncode, "begun": begun, "ended": ended,
                "per_host": host_times(junit)}

    # HAProxy -------------------------------------------------------------------------------

    def start_haproxy(self):
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", self.haproxy_config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + WAIT_S
        while not os.path.exists(self.admin_socket):
            if self.haproxy.poll() is not None or time.time() > deadline:
                raise Failed(f"haproxy did not start: {self.haproxy.stderr.read().decode()}")
            time.sleep(0.05)

    def expect_all_up(self):
        deadline = time.time() + WAIT_S
        while (states := server_states(self.admin_socket)) != {host: "UP" for host in HOSTS}:
            if time.time() > deadline:
                self.problems.append(f"HAProxy does not have every host up: {states}")
                return
            time.sleep(0.1)

    # Hosts ---------------------------------------------------------------------------------

    def expect_versions(self, version):
        for host in HOSTS:
            seen = (self.served_version(host), self.current_release(host))
            if seen != (version, version):
                self.problems.append(f"{host} serves {seen[0]}, releases/CURRENT {seen[1]}; expected {version}")

    def expect_stopped_at_first_host(self):
        self.expect_versions(FIRST)
        for host in HOSTS[1:]:
            if os.path.exists(os.path.join(self.roots[host], "releases", BROKEN)):
                self.problems.append(f"the rollout of {BROKEN} went on to {host}")
        self.expect_all_up()
        through = set()
        for _ in range(3 * len(HOSTS)):
            with urllib.request.urlopen(f"http://127.0.0.1:{self.frontend_port}/healthz", timeout=10) as r:
                through.add(json.load(r)["version"])
        if through != {FIRST}:
            self.problems.append(f"through HAProxy after the stopped rollout: versions {through}")

    def served_version(self, host):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[host]}/healthz", timeout=10) as r:
                return json.load(r)["version"]
        except OSError as err:
            return f"nothing ({err})"

    def current_release(self, host):
        with open(os.path.join(self.roots[host], "releases", "CURRENT")) as f:
            return f.read().strip()

    def release_command(self, *args):
        entry = os.path.join(self.roots[HOSTS[0]], "bin", "donation_platform")
        env = {"PATH": os.environ["PATH"], **self.environment}
        out = subprocess.run([entry, *args], env=env, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise Failed(f"{' '.join(args)} failed ({out.returncode}): {out.stdout}{out.stderr}")
        return out.stdout.strip()

    def file_token(self):
        password = os.path.join(self.temp, "password")
        with open(password, "w") as f:
            f.write("correct horse battery staple\n")
        self.release_command("user", "create", "--email", "rolling@example.org", "--role", "amil",
                             "--password-file", password)
        return self.release_command("token", "create", "--email", "rolling@example.org")

    def stored_donations(self):
        """Donations in the shared database (psql), or None without psql."""
        psql = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))), None)
        if not psql:
            common.log("psql not found: acknowledged donations not compared with stored ones")
            return None
        out = subprocess.run([psql, self.args.database_url, "-tAc", "select count(*) from donations"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise Failed(f"psql failed: {out.stderr}")
        return int(out.stdout.strip())

    def stop(self):
        if self.load is not None and self.load.poll() is None:
            self.load.kill()
        for host in HOSTS:
            entry = os.path.join(self.roots[host], "bin", "donation_platform")
            if os.path.exists(entry):
                subprocess.run([entry, "stop"], env={"PATH": os.environ["PATH"], **self.environment},
                               capture_output=True, timeout=120)
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=30)


def haproxy_command(admin_socket, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(admin_socket)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def server_states(admin_socket):
    """Each application server's status in `show stat` (UP, DOWN, MAINT, DRAIN, ...)."""
    states = {}
    for line in haproxy_command(admin_socket, "show stat").splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == BACKEND and fields[1] in HOSTS:
            states[fields[1]] = fields[17]
    return states


class PoolWatch(threading.Thread):
    """Polls HAProxy every 100 ms and keeps when each host was not UP."""

    def __init__(self, admin_socket):
        super().__init__(daemon=True)
        self.admin_socket = admin_socket
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.1):
            self.samples.append((time.time(), server_states(self.admin_socket)))

    def stop(self):
        self.done.set()
        self.join()

    def out_of_pool(self, runs):
        """Per run and host: seconds HAProxy had the host out of the pool."""
        result = {}
        for name, run in runs.items():
            within = [(t, s) for t, s in self.samples if run["begun"] <= t <= run["ended"]]
            result[name] = {host: round(sum(0.1 for _, s in within if s.get(host) != "UP"), 1)
                            for host in HOSTS}
        return result


def host_times(junit_dir):
    """Per application host, the seconds its tasks took in the one-host-at-a-time play, from the
    junit report (one test case per task and host, named `[host] play: task`)."""
    times = {}
    for path in glob.glob(os.path.join(junit_dir, "*.xml")):
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            name = case.get("name", "")
            host = name[1:name.find("]")] if name.startswith("[") else ""
            if host in HOSTS and "one host at a time" in name:
                times[host] = times.get(host, 0.0) + float(case.get("time") or 0)
    return {host: round(seconds, 1) for host, seconds in times.items()}


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latency_by_phase(path, summary, runs):
    """Latencies (µs) of requests sent during each run under load, and at steady state."""
    windows = {name: (run["begun"] * 1000, run["ended"] * 1000)
               for name, run in runs.items() if name != "install"}
    phases = {name: [] for name in windows}
    phases["steady"] = []
    warm_up = summary["started_unix_ms"] + 2000
    with open(path) as f:
        for line in f:
            sent, latency = (int(x) for x in line.split(","))
            phase = next((name for name, (b, e) in windows.items() if b <= sent <= e), None)
            if phase:
                phases[phase].append(latency)
            elif sent >= warm_up:
                phases["steady"].append(latency)
    return {name: {"requests": len(values), "p50_ms": percentile(values, 0.5) / 1000,
                   "p99_ms": percentile(values, 0.99) / 1000,
                   "max_ms": (max(values) / 1000) if values else float("nan")}
            for name, values in phases.items()}


def report(result, args):
    summary, runs = result["summary"], result["runs"]
    names = (("steady state", "steady"), (f"deploy.yml {NEXT} (rollout)", "rollout"),
             ("rollback.yml", "rollback"), (f"deploy.yml {BROKEN} (stops at host1)", "stopped"))
    rows = ["| | requests | p50 | p99 | max | playbook |", "|---|---:|---:|---:|---:|---:|"]
    for label, key in names:
        s = result["latency"][key]
        wall = f"{runs[key]['ended'] - runs[key]['begun']:.1f} s" if key in runs else ""
        rows.append(f"| {label} | {s['requests']:,} | {s['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms "
                    f"| {s['max_ms']:.1f} ms | {wall} |")
    hosts = ["| | " + " | ".join(HOSTS) + " |", "|---|" + "---:|" * len(HOSTS)]
    for label, key in names[1:]:
        per_host = runs[key]["per_host"]
        out = result["out_of_pool"][key]
        hosts.append(f"| {label} | " + " | ".join(
            f"{out[h]:.1f} s" if out[h] or h in per_host else "untouched" for h in HOSTS) + " |")
    failures = summary["failed_requests"] + summary["connection_errors"]
    versions = " and ".join(dict.fromkeys(v for _, v in summary["versions"]))
    stored = "not counted (no psql)" if result["stored"] is None else f"{result['stored']:,} stored"
    verdict = ("every check held" if not result["problems"]
               else "**CHECKS FAILED:** " + "; ".join(result["problems"]))
    return f"""{SECTION}

`cargo xtask rolling{' --write' if args.write else ''}` (runs `bench/rolling.py`, method in its
docstring): deploy/ansible's playbooks against three release roots on this machine
(`ansible_connection=local`, one port each, one shared PostgreSQL with TLS as production's
hosts share one) behind HAProxy {haproxy_version()}, with {args.connections} keep-alive
connections through HAProxy alternating `GET /healthz` and a donation `POST`, back to back, for
the whole run: install {FIRST}, {args.steady_seconds} s steady, `deploy.yml` {NEXT}, steady,
`rollback.yml`, steady, `deploy.yml` {BROKEN} (its env file sets a `METRICS_ADDRESS` the hosts
lack: it migrates, then exits 69 before ready), steady. Debug builds packed with `cargo xtask
pack` (the release layout and packing code, without the optimized build); load generator,
HAProxy, Ansible and the three hosts share the 2 cores.

- **Failed requests: {summary['failed_requests']}, connection errors: {summary['connection_errors']}**
  ({summary['answered']:,} requests answered, {summary['donations']:,} donations acknowledged,
  {stored}); `/healthz` versions seen through HAProxy: {versions}.
- The {BROKEN} rollout: playbook exit {runs['stopped']['rc']}, stopped at host1 (still serving
  {FIRST}, back in the pool), host2 and host3 untouched; {verdict}.

{chr(10).join(rows)}

Per host, how long HAProxy had it out of the pool (drain, maint, hand-off, /readyz, back up;
`show stat` polled every 100 ms):

{chr(10).join(hosts)}

"During" counts requests sent while that playbook ran; "steady state" is every other request
after a 2 s warm-up, in the same run.
{"" if failures == 0 else "**FAILURES:** " + json.dumps(summary.get('failed_examples')) + json.dumps(summary.get('connection_error_examples'))}
"""


def haproxy_version():
    out = subprocess.run(["haproxy", "-v"], capture_output=True, text=True)
    words = out.stdout.split()
    return words[2] if len(words) > 2 else "?"


if __name__ == "__main__":
    try:
        main()
    except Failed as err:
        common.log(f"FAILED: {err}")
        sys.exit(1)

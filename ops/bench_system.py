#!/usr/bin/env python3
"""System benchmarks of DESIGN.md, each against a baseline measured in the same
run: HTTP command ingest (wrk) vs the bare Beast server and vs the seeds' CRUD
path (the same edit as one PostgreSQL transaction, pgbench); command → visible
latency at half of the measured peak vs the same paced requests to the bare
server; projection rebuild vs a superuser COPY of the same rows; peak RSS of
`pagewright serve` under the ingest load. Writes one JSON object (argv[1]).

Needs the Release build (build/release/bin) and ops/pg's cluster running."""
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "release", "bin")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SITES, PAGES_PER_SITE = 16, 8


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


def pg_url(who, db):
    u = urllib.parse.urlsplit(sh(os.path.join(ROOT, "ops", "pg"), "url", who).strip())
    return urllib.parse.urlunsplit(u._replace(path="/" + db))


def psql(*args, stdin=None):
    return subprocess.run([os.path.join(ROOT, "ops", "pg"), "psql", *args], check=True, text=True,
                          input=stdin, capture_output=True).stdout


def fresh_db(name):
    psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql("-d", "postgres", "-c", f"CREATE DATABASE {name} OWNER pagewright_owner")


def start(args, pattern, env=None):
    """Starts a server and returns (process, port) once it printed its port."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    for line in p.stdout:
        m = re.search(pattern, line)
        if m:
            return p, int(m.group(1))
    raise RuntimeError(f"{args[0]} did not start")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def process_cpu_seconds(pid, children=False):
    """utime+stime of a process (all its threads); with children, also of its
    children it has reaped (cutime+cstime)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds():
    """Every PostgreSQL process's CPU so far: the live ones, plus the backends
    that already exited (the postmaster reaps them)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")] != "postgres":
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        total += process_cpu_seconds(entry, children=(ppid == 1 or not is_postgres(ppid)))
    return total


def is_postgres(pid):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.index("(") + 1:stat.rindex(")")] == "postgres"


class CpuMeter:
    """CPU seconds the server, PostgreSQL and the load generator (a waited
    child of this script) spent while the block ran."""

    def __init__(self, server_pid=None):
        self.server_pid = server_pid

    def __enter__(self):
        self.server = process_cpu_seconds(self.server_pid) if self.server_pid else 0.0
        self.pg = postgres_cpu_seconds()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.load = ru.ru_utime + ru.ru_stime
        self.wall = time.monotonic()
        return self

    def __exit__(self, *exc):
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.result = {
            "server": (process_cpu_seconds(self.server_pid) if self.server_pid else 0.0) - self.server,
            "postgres": postgres_cpu_seconds() - self.pg,
            "load": ru.ru_utime + ru.ru_stime - self.load,
            "wall": time.monotonic() - self.wall,
        }


def wrk(port, env, server_pid=None):
    with CpuMeter(server_pid) as cpu:
        out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s",
                              os.path.join(ROOT, "ops", "bench_ingest.lua"), f"http://127.0.0.1:{port}"],
                             check=True, text=True, capture_output=True, env={**os.environ, **env}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    statuses = json.loads(re.search(r"STATUSES (\{.*\})", out).group(1))
    latency = json.loads(re.search(r"LATENCY (\{.*\})", out).group(1))
    requests = sum(statuses.values())
    return {"rps": rps, "statuses": statuses, **latency, "cpu": cpu.result, "requests": requests}


def call(port, method, path, token, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# Clients of the visibility probe on `serve`. Each sends an edit-and-read pair
# every PROBE_CLIENTS / rate seconds and waits for its answer; at half of the
# peak rate that interval (about 70 ms) is longer than the slowest pairs, so a
# slow answer seldom delays the client's next send and a stall of the server
# shows in the samples instead of thinning them. The Kafka run, whose pairs
# take longer than its interval at any count, keeps 64.
PROBE_CLIENTS = 256


def probe(port, rate, extra, clients=PROBE_CLIENTS, server_pid=None):
    """The probe's figures; with server_pid, also the CPU of the whole run
    (warm-up included) and the pairs it made, warm-up included."""
    with CpuMeter(server_pid) as cpu:
        out = sh(os.path.join(BIN, "pw_visibility_probe"), "--port", str(port), "--rate", f"{rate:.0f}",
                 "--seconds", str(SECONDS), "--threads", str(clients), *extra)
    got = {**json.loads(out), "clients": clients}
    if server_pid:
        got["cpu"], got["pairs"] = cpu.result, got["samples"] * (SECONDS + 1) / SECONDS
    return got


def crud_ingest(clients):
    """The seeds' write path for one edit (ops/bench_crud_edit.sql: update the
    page's JSON, insert a version snapshot, insert an audit row, in one
    transaction), with fsync on, as pgbench transactions per second."""
    fresh_db("pw_bench_crud")
    url = pg_url("owner", "pw_bench_crud")
    sh("psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-f", os.path.join(ROOT, "ops", "bench_crud.sql"))
    with CpuMeter() as cpu:
        out = sh("pgbench", url, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(SECONDS),
                 "-f", os.path.join(ROOT, "ops", "bench_crud_edit.sql"))
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    return {"tps": tps, "transactions": transactions, "cpu": cpu.result}


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main():
    result = {}
    secret = secrets.token_hex(32)
    env = {**os.environ, "PW_JWT_SECRET": secret}
    data = tempfile.mkdtemp(prefix="pw-bench-")
    try:
        # Baseline: the bare Beast server, same wrk settings, same requests.
        bare, bare_port = start([os.path.join(BIN, "pw_bare_beast"), "--port", "0", "--threads", "2"],
                                r"listening [\d.]+:(\d+)")
        try:
            result["bare_ingest"] = wrk(bare_port, {"PW_BENCH_PAGES": "p", "PW_BENCH_TOKEN": "x"}, bare.pid)
        finally:
            stop(bare)

        # Baseline: the seeds' CRUD path, with 8 clients (as the seeds' load
        # test) and with as many as wrk opens; the better one counts.
        result["crud_ingest"] = {str(c): crud_ingest(c) for c in (8, CONNECTIONS)}

        fresh_db("pw_bench")
        owner, reader = pg_url("owner", "pw_bench"), pg_url("reader", "pw_bench")
        # One tenant at the full rate on purpose: no rate limit. Connection
        # strings in the environment, as ops/run passes them.
        serve, port = start([os.path.join(BIN, "pagewright"), "serve", "--http", "127.0.0.1:0", "--data", data,
                             "--fsync", "true", "--rate-limit-tenant", "off", "--metrics", "off"],
                            r"listening on http://[\d.]+:(\d+)", {**env, "PW_PG": owner, "PW_PG_READER": reader})
        try:
            token = sh(os.path.join(BIN, "pagewright"), "token", "--tenant", "t-bench", "--user", "u-bench",
                       "--role", "admin", "--ttl", "7200", env=env).strip()
            # wrk renames PAGES_PER_SITE pages of each site; the probe's
            # clients each need pages of their own, so the sites get more.
            pages, probe_pages = [], []
            per_site = max(PAGES_PER_SITE, -(-PROBE_CLIENTS // SITES))
            for s in range(SITES):
                site = call(port, "POST", "/v1/sites", token, {"name": f"Bench {s}", "subdomain": f"bench-{s}"})
                site_id = site["data"]["siteId"]
                for p in range(per_site):
                    page = call(port, "POST", f"/v1/sites/{site_id}/pages", token, {"title": f"Page {p}"})
                    probe_pages.append(page["data"]["pageId"])
                    if p < PAGES_PER_SITE:
                        pages.append(page["data"]["pageId"])
            result["ingest"] = wrk(port, {"PW_BENCH_PAGES": ",".join(pages), "PW_BENCH_TOKEN": token}, serve.pid)
            result["serve_peak_rss_mb"] = peak_rss_mb(serve.pid)
            half = result["ingest"]["rps"] / 2
            result["visibility"] = probe(port, half, ["--token", token, "--pages", ",".join(probe_pages)],
                                         server_pid=serve.pid)
            result["serve_peak_rss_mb"] = max(result["serve_peak_rss_mb"], peak_rss_mb(serve.pid))
        finally:
            stop(serve)
        bare, bare_port = start([os.path.join(BIN, "pw_bare_beast"), "--port", "0", "--threads", "2"],
                                r"listening [\d.]+:(\d+)")
        try:
            result["bare_visibility"] = probe(bare_port, result["ingest"]["rps"] / 2, ["--plain"])
        finally:
            stop(bare)

        # Projection rebuild from the embedded log vs COPY of the rows it wrote.
        fresh_db("pw_bench_rebuild")
        out = sh(os.path.join(BIN, "pagewright"), "rebuild", "--log", "local:" + os.path.join(data, "log"),
                 env={**os.environ, "PW_PG": pg_url("owner", "pw_bench_rebuild")})
        m = re.search(r"rebuilt: (\d+) events applied, .*? in ([\d.e+-]+) s", out)
        events, rebuild_s = int(m.group(1)), float(m.group(2))
        fresh_db("pw_bench_copy")
        sh(os.path.join(BIN, "pagewright"), "migrate", env={**os.environ, "PW_PG": pg_url("owner", "pw_bench_copy")})
        copy_s = 0.0
        for table in ("sites", "pages", "page_events"):
            rows = psql("-d", "pw_bench_rebuild", "-c", f"COPY {table} TO STDOUT")
            t0 = time.monotonic()
            psql("-d", "pw_bench_copy", "-c", f"COPY {table} FROM STDIN", stdin=rows)
            copy_s += time.monotonic() - t0
        result["rebuild"] = {"events": events, "seconds": rebuild_s, "copy_seconds": copy_s}
    finally:
        shutil.rmtree(data, ignore_errors=True)
        for db in ("pw_bench", "pw_bench_crud", "pw_bench_rebuild", "pw_bench_copy"):
            try:
                psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            except subprocess.CalledProcessError:
                pass
    json.dump(result, open(sys.argv[1], "w"), indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

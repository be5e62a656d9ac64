#!/usr/bin/env python3
"""Kafka benchmarks, each against Kafka's own tool on the same broker in the
same run (ops/kafka's one-node cluster):

  - HTTP edit ingest through `pagewright gateway` and a command worker process
    (wrk + ops/bench_ingest.lua, as ops/bench_system.py), against
    `producer-perf-test` with transactions writing records the size of a real
    command record to a topic with as many partitions;
  - command → visible (pw_visibility_probe, with a projection worker) at half
    of the measured ingest rate, against the tool's own send → acknowledged
    latency at the same rate, with transactions.

Everything of one run lives under a fresh namespace on the broker and is
deleted afterwards. Writes one JSON object (argv[1]).

Needs the Release build (build/release/bin, or PW_BENCH_BIN), ops/pg's cluster
and ops/kafka's one-node cluster running. BENCH_SECONDS, BENCH_CONNECTIONS (as
ops/bench_system.py), BENCH_KAFKA_RECORDS (the tool's records at full speed),
BENCH_KAFKA_TXN_MS, BENCH_KAFKA_COMMAND_THREADS, and BENCH_KAFKA_OPTIONS
("&key=value…" appended to the log URI) vary the run."""
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import bench_system as bs

ROOT = bs.ROOT
KAFKA = os.path.join(ROOT, "ops", "kafka")
if os.environ.get("PW_BENCH_BIN"):
    bs.BIN = os.environ["PW_BENCH_BIN"]
SECONDS = bs.SECONDS
PERF_RECORDS = int(os.environ.get("BENCH_KAFKA_RECORDS", "300000"))
# How often the tool commits its transaction.
TXN_MS = int(os.environ.get("BENCH_KAFKA_TXN_MS", "100"))
COMMAND_THREADS = int(os.environ.get("BENCH_KAFKA_COMMAND_THREADS", "2"))
DB = "pw_bench_kafka"


def kafka_tool(*args):
    return bs.sh(KAFKA, "tool", *args)


def spawn(args, env, log):
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "w"), env=env)


def wait_for_schema():
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = bs.psql("-d", DB, "-At", "-c", "SELECT to_regclass('public.projection_offsets') IS NOT NULL")
        if out.strip() == "t":
            return
        time.sleep(0.2)
    raise RuntimeError("the projection worker did not migrate the database")


def command_record_size(bootstrap, topic):
    """Median value size of the command records the ingest run wrote."""
    out = bs.sh("kcat", "-C", "-e", "-q", "-b", bootstrap, "-t", topic, "-X", "isolation.level=read_committed",
                "-o", "beginning", "-f", "%S\n")
    sizes = [int(s) for s in out.split()]
    return int(statistics.median(sizes)), len(sizes)


def producer_perf(topic, records, size, throughput, txn_id):
    out = kafka_tool("producer-perf-test", "--topic", topic, "--num-records", str(records), "--record-size",
                     str(size), "--throughput", str(throughput), "--transactional-id", txn_id,
                     "--transaction-duration-ms", str(TXN_MS), "--producer-props", "acks=all")
    m = re.search(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
                  r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th", out)
    if not m:
        raise RuntimeError("producer-perf-test printed no summary:\n" + out[-2000:])
    return {"records": int(m.group(1)), "rps": float(m.group(2)), "mb_per_s": float(m.group(3)),
            "avg_ms": float(m.group(4)), "max_ms": float(m.group(5)), "p50_ms": float(m.group(6)),
            "p95_ms": float(m.group(7)), "p99_ms": float(m.group(8)), "record_size": size,
            "throughput": throughput, "transaction_ms": TXN_MS}


def settle(port, token, page):
    """Seconds until the read model has caught up with the ingest run: one more
    edit, read back with X-Pagewright-After until it is there. The probe then
    measures visibility, not the backlog wrk left behind."""
    t0 = time.monotonic()
    title = "Settled " + secrets.token_hex(4)
    edit = bs.call(port, "PATCH", f"/v1/pages/{page}", token, {"title": title})
    position = edit["data"]["position"]
    while time.monotonic() - t0 < 300:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/pages/{page}",
                                     headers={"Authorization": f"Bearer {token}", "X-Pagewright-After": position})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                if json.loads(r.read())["data"]["title"] == title:
                    return time.monotonic() - t0
        except urllib.error.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the read model did not catch up in 300 s")


def main():
    result = {"cpus": os.cpu_count(), "bin": os.path.relpath(bs.BIN, ROOT), "command_threads": COMMAND_THREADS,
              "connections": bs.CONNECTIONS, "seconds": SECONDS, "load_before": os.getloadavg()[0],
              "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    bootstrap = bs.sh(KAFKA, "url").strip()
    ns = "bench-" + secrets.token_hex(4)
    uri = f"kafka:{bootstrap}?namespace={ns}" + os.environ.get("BENCH_KAFKA_OPTIONS", "")
    secret = secrets.token_hex(32)
    data = tempfile.mkdtemp(prefix="pw-bench-kafka-")
    procs = []
    try:
        bs.fresh_db(DB)
        owner, reader = bs.pg_url("owner", DB), bs.pg_url("reader", DB)
        env = {**os.environ, "PW_JWT_SECRET": secret, "PW_PG": owner, "PW_PG_READER": reader, "PW_METRICS": "off"}
        pw = os.path.join(bs.BIN, "pagewright")
        procs.append(spawn([pw, "worker", "--pool", "projections", "--log", uri], env,
                           os.path.join(data, "projections.log")))
        wait_for_schema()
        procs.append(spawn([pw, "worker", "--pool", "commands", "--log", uri, "--data", data, "--threads",
                            str(COMMAND_THREADS)], env, os.path.join(data, "commands.log")))
        gateway, port = bs.start([pw, "gateway", "--http", "127.0.0.1:0", "--log", uri, "--sites",
                                  os.path.join(data, "sites"), "--rate-limit-tenant", "off", "--metrics", "off"],
                                 r"listening on http://[\d.]+:(\d+)", env)
        procs.append(gateway)
        token = bs.sh(pw, "token", "--tenant", "t-bench", "--user", "u-bench", "--role", "admin", "--ttl", "7200",
                      env=env).strip()
        pages = []
        for s in range(bs.SITES):
            site = bs.call(port, "POST", "/v1/sites", token, {"name": f"Bench {s}", "subdomain": f"{ns}-{s}"})
            site_id = site["data"]["siteId"]
            for p in range(bs.PAGES_PER_SITE):
                page = bs.call(port, "POST", f"/v1/sites/{site_id}/pages", token, {"title": f"Page {p}"})
                pages.append(page["data"]["pageId"])
        load = {"PW_BENCH_PAGES": ",".join(pages), "PW_BENCH_TOKEN": token}
        result["ingest"] = bs.wrk(port, load)
        result["settle_s"] = settle(port, token, pages[0])
        result["visibility"] = bs.probe(port, result["ingest"]["rps"] / 2,
                                        ["--token", token, "--pages", ",".join(pages)], clients=64)
        # The same ingest with four times the connections: an edit waits for
        # two transactions in turn, so more edits in flight can share them.
        bs.CONNECTIONS = 4 * result["connections"]
        result["ingest_wide"] = {**bs.wrk(port, load), "connections": bs.CONNECTIONS}
        bs.CONNECTIONS = result["connections"]
        size, commands = command_record_size(bootstrap, f"{ns}.pagewright.commands")
        result["command_record"] = {"median_bytes": size, "records": commands}
        for p in reversed(procs):
            bs.stop(p)
        procs.clear()

        # Kafka's own producer on the same broker: a topic shaped like the
        # commands topic, records of the commands' median size.
        perf_topic = f"{ns}.perf"
        kafka_tool("topics", "--create", "--topic", perf_topic, "--partitions", "12")
        result["perf"] = producer_perf(perf_topic, PERF_RECORDS, size, -1, f"{ns}.perf")
        rate = max(1, round(result["visibility"]["rate"]))
        result["perf_paced"] = producer_perf(perf_topic, rate * SECONDS, size, rate, f"{ns}.perf-paced")
    finally:
        for p in reversed(procs):
            bs.stop(p)
        try:
            kafka_tool("topics", "--delete", "--topic", re.escape(ns) + r"\..*")
        except subprocess.CalledProcessError as e:
            print("could not delete the run's topics:", e.stderr, file=sys.stderr)
        try:
            bs.psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(data, ignore_errors=True)
    result["load_after"] = os.getloadavg()[0]
    json.dump(result, open(sys.argv[1], "w"), indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

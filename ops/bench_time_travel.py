#!/usr/bin/env python3
"""Time travel benchmark (DESIGN.md: "time travel to any version of a page with
1,000 versions: p99 within a few times the cost of reading the current page").
Starts `pagewright serve` on a fresh database, makes one page with 1,000
versions, then reads it at random versions (GET /v1/pages/{id}?version=N) and,
as the baseline in the same run, reads the current page (GET /v1/pages/{id}),
one keep-alive connection each, alternating. Writes one JSON object (argv[1]).

argv[2] is the directory of the binaries (default build/release/bin). Needs
ops/pg's cluster running."""
import http.client
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_system as bs  # noqa: E402  (shares start/stop/pg helpers)

VERSIONS = int(os.environ.get("BENCH_VERSIONS", "1000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "2000"))


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


class Client:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={**self.headers, **(headers or {})})
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]}")
        return json.loads(data)

    def timed(self, path):
        t0 = time.perf_counter()
        self.request("GET", path)
        return (time.perf_counter() - t0) * 1000


def main():
    out_path = sys.argv[1]
    bin_dir = sys.argv[2] if len(sys.argv) > 2 else bs.BIN
    secret = secrets.token_hex(32)
    env = {**os.environ, "PW_JWT_SECRET": secret}
    data = tempfile.mkdtemp(prefix="pw-bench-tt-")
    result = {"versions": VERSIONS, "samples": SAMPLES}
    try:
        bs.fresh_db("pw_bench_tt")
        owner, reader = bs.pg_url("owner", "pw_bench_tt"), bs.pg_url("reader", "pw_bench_tt")
        serve, port = bs.start([os.path.join(bin_dir, "pagewright"), "serve", "--http", "127.0.0.1:0", "--data", data,
                                "--fsync", "false", "--rate-limit-tenant", "off", "--metrics", "off"],
                               r"listening on http://[\d.]+:(\d+)", {**env, "PW_PG": owner, "PW_PG_READER": reader})
        try:
            token = bs.sh(os.path.join(bin_dir, "pagewright"), "token", "--tenant", "t-bench", "--user", "u-bench",
                          "--role", "admin", "--ttl", "7200", env=env).strip()
            c = Client(port, token)
            site = c.request("POST", "/v1/sites", {"name": "Bench", "subdomain": "bench-tt"})["data"]["siteId"]
            # Neighbours share the site's partition, so the page's events are
            # not adjacent in the log (as in a real site).
            others = [c.request("POST", f"/v1/sites/{site}/pages", {"title": f"Other {i}"})["data"]["pageId"]
                      for i in range(3)]
            page = c.request("POST", f"/v1/sites/{site}/pages", {"title": "Deep"})["data"]["pageId"]
            comps = [c.request("POST", f"/v1/pages/{page}/components",
                               {"type": "Heading", "props": {"text": f"Heading {i}"}})["data"]["componentId"]
                     for i in range(10)]
            t0 = time.monotonic()
            last = None
            version = 11
            while version < VERSIONS:
                r = c.request("PATCH", f"/v1/pages/{page}/components/{random.choice(comps)}",
                              {"props": {"text": f"Edit {version}"}})
                last = r["data"]["position"]
                version = r["data"]["version"]
                if version % 4 == 0:
                    c.request("PATCH", f"/v1/pages/{random.choice(others)}", {"title": f"Other {version}"})
            result["setup_seconds"] = time.monotonic() - t0
            c.request("GET", f"/v1/pages/{page}", headers={"X-Pagewright-After": last})
            # The first read folds the whole history and keeps its checkpoints.
            result["cold_first_ms"] = c.timed(f"/v1/pages/{page}?version={VERSIONS}")
            current, travel = [], []
            for _ in range(50):  # warm up both paths
                c.timed(f"/v1/pages/{page}")
                c.timed(f"/v1/pages/{page}?version={random.randint(1, VERSIONS)}")
            for _ in range(SAMPLES):
                current.append(c.timed(f"/v1/pages/{page}"))
                travel.append(c.timed(f"/v1/pages/{page}?version={random.randint(1, VERSIONS)}"))
            last_version = [c.timed(f"/v1/pages/{page}?version={VERSIONS}") for _ in range(200)]
            for name, xs in (("current", current), ("travel", travel), ("travel_last", last_version)):
                result[name] = {"p50_ms": percentile(xs, 0.5), "p99_ms": percentile(xs, 0.99),
                                "mean_ms": sum(xs) / len(xs)}
        finally:
            bs.stop(serve)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        try:
            bs.psql("-d", "postgres", "-c", "DROP DATABASE IF EXISTS pw_bench_tt WITH (FORCE)")
        except Exception:
            pass
    json.dump(result, open(out_path, "w"), indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""An auditor's check of Pagewright's hash chains with nothing of Pagewright's:
reads event record values, one per line (e.g. from `kcat -f '%s\\n'`), and for
each site checks that seq runs 1, 2, … and that every prevHash is the SHA-256 of
the previous record's exact bytes (64 zeros for the first).

Prints one line per site: <siteId> <events> <headHash> ok|bad:<seq>"""
import hashlib
import json
import sys

sites = {}
for raw in sys.stdin.buffer:
    line = raw.rstrip(b"\n")
    if not line:
        continue
    event = json.loads(line)
    site = sites.setdefault(event["siteId"], {"events": 0, "head": "0" * 64, "bad": None})
    site["events"] += 1
    if site["bad"] is None and (event["seq"] != site["events"] or event["prevHash"] != site["head"]):
        site["bad"] = site["events"]
    site["head"] = hashlib.sha256(line).hexdigest()

for site_id in sorted(sites):
    s = sites[site_id]
    print(site_id, s["events"], s["head"], "ok" if s["bad"] is None else f"bad:{s['bad']}")

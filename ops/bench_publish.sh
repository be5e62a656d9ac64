#!/usr/bin/env bash
# Publishing benchmark (DESIGN.md: a 10,000-page publish in under half of
# Hugo's build of the same site; a one-edit republish in ≤ 50 ms). Generates the
# site for both tools (ops/bench_publish.py), times RUNS cold `hugo` builds and
# RUNS runs of pw_publish_bench, and writes medians and the ratio to OUT.
#
# usage: ops/bench_publish.sh OUT.json [BIN_DIR]   (BIN_DIR: build/release/bin)
# env:   BENCH_PAGES (10000), BENCH_PUBLISH_RUNS (3), BENCH_EDITS (20), BENCH_THREADS (nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
bin=${2:-build/release/bin}
pages=${BENCH_PAGES:-10000}
runs=${BENCH_PUBLISH_RUNS:-3}
edits=${BENCH_EDITS:-20}
threads=${BENCH_THREADS:-$(nproc)}

work=$(mktemp -d "${TMPDIR:-/tmp}/pw-publish-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 ops/bench_publish.py "$work" --pages "$pages"

# Hugo keeps processed resources in the site's resources/ and downloads in its
# cache dir; both are emptied so every run is as cold as Pagewright's fresh store.
for i in $(seq "$runs"); do
  rm -rf "$work/hugo/resources" "$work/hugo-out" "$work/hugo-cache"
  mkdir "$work/hugo-out"
  start=$(date +%s%N)
  hugo --source "$work/hugo" --destination "$work/hugo-out" --cacheDir "$work/hugo-cache" --quiet --gc=false
  echo $((($(date +%s%N) - start) / 1000)) >>"$work/hugo-us"
done
hugo_files=$(find "$work/hugo-out" -type f | wc -l)

for i in $(seq "$runs"); do
  "$bin/pw_publish_bench" --input "$work/site.json" --threads "$threads" --edits "$edits" --blue-green \
    >>"$work/pw-runs.jsonl"
done

python3 - "$work" "$out" "$hugo_files" <<'EOF'
import json, statistics, sys
work, out, hugo_files = sys.argv[1], sys.argv[2], int(sys.argv[3])
hugo_ms = [int(l) / 1000 for l in open(f"{work}/hugo-us")]
pw = [json.loads(l) for l in open(f"{work}/pw-runs.jsonl")]
med = lambda key: statistics.median(r[key] for r in pw)
result = {
    "pages": pw[0]["pages"], "threads": pw[0]["threads"],
    "hugo_ms_median": statistics.median(hugo_ms), "hugo_ms_runs": hugo_ms, "hugo_files": hugo_files,
    "pw_files": pw[0]["files"],
    "cold_ms_median": med("cold_ms"), "spare_tree_ms_median": med("spare_tree_ms"),
    "republish_ms_median": med("republish_ms_median"), "republish_ms_p95": med("republish_ms_p95"),
    "bluegreen_republish_ms_median": statistics.median(r["blue_green"]["ms_median"] for r in pw),
    "runs": pw,
}
result["ratio"] = result["cold_ms_median"] / result["hugo_ms_median"]
json.dump(result, open(out, "w"), indent=2)
print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
EOF

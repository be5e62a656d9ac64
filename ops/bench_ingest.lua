-- wrk script of the HTTP ingest benchmark (ops/bench_system.py): each request
-- renames one of the pages in PW_BENCH_PAGES (comma-separated ids, spread over
-- threads) with the bearer token PW_BENCH_TOKEN. The bare baseline server gets
-- the same requests and ignores them. done() prints the status counts, so the
-- driver can tell 200s from 202s (not decided in time), and the latencies.
local pages = {}
for id in string.gmatch(os.getenv("PW_BENCH_PAGES") or "p", "[^,]+") do
  table.insert(pages, id)
end
local token = os.getenv("PW_BENCH_TOKEN") or ""
local threads = {}
local counter = 0
statuses = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local page = pages[((counter + id * 7) % #pages) + 1]
  local body = '{"title":"Edit ' .. id .. '-' .. counter .. '"}'
  return wrk.format("PATCH", "/v1/pages/" .. page, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, '"' .. status .. '": ' .. n)
  end
  io.write('STATUSES {' .. table.concat(parts, ", ") .. '}\n')
  io.write(string.format('LATENCY {"p50_ms": %.3f, "p99_ms": %.3f}\n',
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

-- wrk script for bench/clickout.py and bench/pages.py: rotates over the paths in $WRK_PATHS (one per line; a single path if the
-- variable names none), sends a phone's User-Agent, optionally waits $WRK_DELAY_MS between a connection's
-- requests (to hold a lower rate), counts answers by status, and prints one JSON line at the end.
local paths = {}
counts = {}
local threads = {}
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
-- "exponential" (the default): each wait is drawn from an exponential distribution with that mean, so that the
-- connections behave like independent shoppers (arrivals close to a Poisson process). "fixed": every wait is
-- exactly WRK_DELAY_MS, which keeps connections that started together in step, i.e. arriving in bursts.
local delay_dist = os.getenv("WRK_DELAY_DIST") or "exponential"

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("WRK_PATHS")
  if file and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then table.insert(paths, line) end
    end
  end
  if #paths == 0 then table.insert(paths, wrk.path) end
  counter = math.random(#paths)
  wrk.headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/130.0 Mobile Safari/537.36"
  -- a signed-in shopper's cookies (bench/pages.py), when given
  local cookie = os.getenv("WRK_COOKIE")
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function delay()
  if delay_dist == "fixed" or delay_ms == 0 then
    return delay_ms
  end
  -- wrk takes whole milliseconds; 1 - random() is in (0, 1], so the logarithm is finite
  return math.floor(-math.log(1 - math.random()) * delay_ms + 0.5)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}, "status": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(parts, ", ")))
end

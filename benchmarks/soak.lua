-- wrk script for benchmarks/soak.py: a round-robin mix of API requests, optionally paced, with a JSON summary.
--
-- SOAK_DELAY_MS (environment): each connection waits this long (on average; fractions are spread over requests)
-- before each request, so C connections make about C * 1000 / SOAK_DELAY_MS requests per second. Unset or 0:
-- no pacing, as fast as the server answers (the probe for the maximum rate).

local paths = {
  "/v1",
  "/healthz",
  "/v1/quotes?limit=5",
  "/v1/quotes/diplomat-tread-very-carefully",
  "/v1/entities?type=person",
  "/v1/entities/antony-blinken",
  "/v1/search?q=blinken",
  "/v1/events?limit=3&sort=-date",
  "/v1/pledges?recipient=kazakhstan",
  "/v1/articles",
}
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end

local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "0")
if delay_ms > 0 then
  -- wrk paces a connection only when the script defines delay(), so the probe does not define it.
  function delay()
    local whole = math.floor(delay_ms)
    if math.random() < delay_ms - whole then
      return whole + 1
    end
    return whole
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAK-JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_ms": {"p50": %.2f, "p99": %.2f, "max": %.2f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

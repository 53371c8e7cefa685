-- A POST when run.py sets WRK_BODY (a JSON document); a GET otherwise.
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

-- Extra request headers, one "Name: value" a line (e.g. Cache-Control: no-cache).
local headers = os.getenv("WRK_HEADERS")
if headers then
  for name, value in headers:gmatch("([^:\n]+):%s*([^\n]*)") do
    wrk.headers[name] = value
  end
end

-- wrk prints its own summary; this adds one JSON line with the figures the report needs.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"mean_us": %.1f, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end

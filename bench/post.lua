-- wrk script: POST a form body (BODY) with HTTP Basic client authentication (AUTH, already
-- base64), then print one JSON line with throughput and latency percentiles.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("AUTH")

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "per_second": %.1f, "errors": %d, "non_2xx": %d, '
    .. '"p50_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    errors, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

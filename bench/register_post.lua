-- register_post.lua: wrk script for POST /register with a valid CSRF pair
-- (captcha = none). The token and its cookie come from the environment:
-- KC_CSRF (the form field) and KC_COOKIE ("kc_csrf=..."), fetched once
-- with curl; KC_BODY is the rest of the form. Prints one RESULT line with
-- the count of each status (kcd answers 429 once its per-address limit is
-- used up) besides wrk's own report.

local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  counts = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("KC_COOKIE")
  wrk.body = os.getenv("KC_BODY") .. "&csrf=" .. os.getenv("KC_CSRF")
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

done = function(summary, latency, requests)
  local all, e = {}, summary.errors
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("counts")) do
      all[status] = (all[status] or 0) + n
    end
  end
  local list = {}
  for status, n in pairs(all) do
    table.insert(list, string.format("%d:%d", status, n))
  end
  table.sort(list)
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f " ..
    "p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d statuses=%s\n",
    summary.requests, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout,
    table.concat(list, ",")))
end

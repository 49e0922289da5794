-- register_post.lua: wrk script for POST /register with a valid CSRF pair
-- (captcha = none). The token and its cookie come from the environment:
-- KC_CSRF (the form field) and KC_COOKIE ("kc_csrf=..."), fetched once
-- with curl. Each request is a different registration: customer number
-- KC_FIRST + i with its master-data address praxis<i>@kunden.example for a
-- random i below KC_CUSTOMERS, and (with KC_XFF=1) a random client address
-- in X-Forwarded-For, as a reverse proxy in trusted_proxies would send it.
-- Without KC_XFF every request comes from 127.0.0.1 and kcd's
-- per-address limit answers 429 after the first few. Prints one RESULT
-- line with the count of each status besides wrk's own report.

local threads = {}

setup = function(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  counts = {}
  math.randomseed(os.time() * 100 + id)
  first = tonumber(os.getenv("KC_FIRST") or "1000000")
  customers = tonumber(os.getenv("KC_CUSTOMERS") or "1")
  xff = os.getenv("KC_XFF") == "1"
  prefix = "csrf=" .. os.getenv("KC_CSRF") .. "&customer_number="
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("KC_COOKIE")
end

request = function()
  local i = math.random(0, customers - 1)
  local mail = "praxis" .. i .. "%40kunden.example"
  local headers = {} -- wrk.format takes these instead of wrk.headers
  for k, v in pairs(wrk.headers) do
    headers[k] = v
  end
  if xff then
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
      math.random(0, 255), math.random(0, 255), math.random(1, 254))
  end
  return wrk.format(nil, nil, headers, prefix .. (first + i) .. "&email=" ..
    mail .. "&email_repeat=" .. mail)
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

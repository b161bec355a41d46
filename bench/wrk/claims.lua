-- Closed-loop claims for wrk: each connection alternates POST /v1/claims and the release of a claim it got.
--   ICHIBA_TOKEN=... wrk -t2 -c16 -d8s -s bench/wrk/claims.lua http://127.0.0.1:18080
-- Each wrk thread keeps a queue of claim ids from 201 answers; its next request releases the oldest one
-- (POST /v1/claims/{id}/release; a QUEUED claim is cancelled with DELETE instead), else sends a new claim.
-- Since wrk asks for a connection's next request right after its answer, a connection mostly releases the
-- claim it just got. done() prints one line:
--   RESULT requests_per_s=.. claims_per_s=.. releases_per_s=.. p50_ms=.. p99_ms=.. max_ms=.. errors=..
--          claims=.. releases=.. queued=.. requests=..
-- Latencies are wrk's, per request (claims and releases together), from the request's send (closed loop).
-- errors = connect + read + write + timeout errors + answers that were neither 201 with an id nor 200.

local token = os.getenv("ICHIBA_TOKEN") or "bench"
local claim = '{"bundle":{"memory":1,"disk":1,"locks":["bench"]},"priority":5,"leaseSeconds":60}'
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  first, last = 1, 0
  claims, releases, queued, bad = 0, 0, 0, 0
  claim_headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  release_headers = {["Authorization"] = "Bearer " .. token}
end

function request()
  if first <= last then
    local id = ids[first]
    ids[first] = nil
    first = first + 1
    if id:sub(1, 1) == "!" then
      return wrk.format("DELETE", "/v1/claims/" .. id:sub(2), release_headers)
    end
    return wrk.format("POST", "/v1/claims/" .. id .. "/release", release_headers)
  end
  return wrk.format("POST", "/v1/claims", claim_headers, claim)
end

function response(status, headers, body)
  if status == 201 then
    local id = body:match('"id":"([^"]+)"')
    if id == nil then
      bad = bad + 1
      return
    end
    claims = claims + 1
    last = last + 1
    if body:match('"state":"QUEUED"') then
      queued = queued + 1
      ids[last] = "!" .. id
    else
      ids[last] = id
    end
  elseif status == 200 then
    releases = releases + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local c, r, q, b = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("claims")
    r = r + t:get("releases")
    q = q + t:get("queued")
    b = b + t:get("bad")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + b
  io.write(string.format(
    "RESULT requests_per_s=%.1f claims_per_s=%.1f releases_per_s=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
      .. "errors=%d claims=%d releases=%d queued=%d requests=%d\n",
    summary.requests / seconds, c / seconds, r / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors, c, r, q, summary.requests))
end

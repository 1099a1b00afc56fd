-- wrk script: walk a list of request targets (presigned URLs' paths) with one method.
-- Usage: wrk ... -s walk.lua URL -- TARGETS_FILE METHOD BODY_BYTES [HOST]
-- HOST replaces the Host header (the URL still says where to connect).
local targets = {}
local headers = nil
local method = "GET"
local body = nil
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    targets[#targets + 1] = line
  end
  method = args[2] or "GET"
  local size = tonumber(args[3] or "0")
  if size > 0 then
    body = string.rep("x", size)
  end
  if args[4] and args[4] ~= "" then
    headers = {Host = args[4]}
  end
  counter = math.random(#targets)
end

function request()
  counter = counter % #targets + 1
  return wrk.format(method, targets[counter], headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end

-- wrk script for bench/intake.py. With a path argument each thread posts the pre-signed SMS in
-- "<path>.<thread number>", one "<signature> <form body>" per line, each exactly once, in order;
-- without one it sends wrk's plain request (the hello-world GET). done() prints one line that
-- bench/intake.py reads: counts, latency percentiles in microseconds, and how many bodies went.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  signatures, bodies, sent, wrapped = {}, {}, 0, 0
  if args[1] == nil then
    return
  end
  for line in io.lines(args[1] .. "." .. number) do
    local signature, body = line:match("^(%S+) (.*)$")
    table.insert(signatures, signature)
    table.insert(bodies, body)
  end
end

function request()
  if #bodies == 0 then
    return wrk.format()
  end
  sent = sent + 1
  local i = sent
  if i > #bodies then -- ran out: sending one again would be a retry, which bench counts as lost
    wrapped = wrapped + 1
    i = (i - 1) % #bodies + 1
  end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = signatures[i],
  }, bodies[i])
end

function done(summary, latency, requests)
  local handed, wraps = 0, 0
  for _, thread in ipairs(threads) do
    handed = handed + (thread:get("sent") or 0)
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    "WRK requests=%d seconds=%.3f non2xx=%d socket_errors=%d p50_us=%d p99_us=%d max_us=%d sent=%d wrapped=%d\n",
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, handed, wraps))
end

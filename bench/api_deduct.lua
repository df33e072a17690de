-- wrk script for bench/api_bench.py: POST a 1-fen deduction to a random benchmark shop, with a
-- unique Idempotency-Key per request (thread id + counter + a per-run random prefix).
-- Env: BENCH_KEY (API key), BENCH_SHOPS (file with one shop id per line), BENCH_PATH (optional:
-- the path with %s for the shop id; bench/api_floor.py points it at the reference endpoints).

local key = os.getenv("BENCH_KEY")
local path = os.getenv("BENCH_PATH") or "/api/v1/shops/%s/deductions/"
local shops = {}
for line in io.lines(os.getenv("BENCH_SHOPS")) do
  if #line > 0 then shops[#shops + 1] = line end
end

-- setup() runs in the main Lua state; thread:set() makes `thread_no` a global of that thread's
-- own state (a local here would be 0 in every thread, and both threads would send the same keys).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_no", threads)
end

local counter, prefix = 0, nil
local body = '{"amount_minor":1,"currency":"CNY","reason":"bench","reference":"bench"}'

function init(args)
  local t = _G.thread_no or 0
  math.randomseed(os.time() * 1000 + t)
  prefix = string.format("wrk-%d-t%d-%d", os.time(), t, math.random(1, 1e9))
end

function request()
  counter = counter + 1
  local shop = shops[math.random(1, #shops)]
  return wrk.format("POST", string.format(path, shop), {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
    ["Idempotency-Key"] = prefix .. "-" .. counter,
    ["X-Forwarded-Proto"] = "https",  -- as behind the TLS proxy (SECURE_SSL_REDIRECT is on)
  }, body)
end

-- Sliding-window send limits shared by every worker: reserve a slot in each window or
-- say how long to wait. KEYS: one sorted set per window; ARGV: now (ms), a unique member,
-- then per window: limit, window length (ms). Returns 0 (sent slot reserved) or ms to wait.
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i])
  local span = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + span - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then
  return wait
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 + 2 * i]))
end
return 0

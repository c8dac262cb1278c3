-- A device's reading into its time series, once (storage/devices.py).
-- KEYS[1] readings (sorted set by time), KEYS[2] last (hash)
-- ARGV: at, reading ("" when an event), event ("" when a reading), type, cutoff (older goes)
-- Returns {new (1|0), member}: the stored member (JSON: at, reading, event, use); a
-- reading already stored at the same time is returned as it was (new = 0), unchanged.
local at = tonumber(ARGV[1])
local same = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if #same > 0 then
  return {0, same[1]}
end
local reading = tonumber(ARGV[2])
local event = ARGV[3]
local kind = ARGV[4]
local use = false
if kind == 'water_meter' then
  local previous = nil
  local before = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'LIMIT', 0, 1)
  if #before > 0 then
    previous = cjson.decode(before[1])['reading']
  else
    local last = redis.call('HMGET', KEYS[2], 'at', 'reading')
    if last[1] and last[2] and tonumber(last[1]) < at then
      previous = tonumber(last[2])
    end
  end
  use = previous ~= nil and previous ~= cjson.null and reading ~= nil and reading > previous
elseif kind == 'door' then
  use = event == 'open'
end
-- Written by hand, not cjson.encode (14 significant digits would round the time): the
-- numbers as the caller wrote them (Python's repr of a finite float is valid JSON).
local member = '{"at": ' .. ARGV[1] .. ', "use": ' .. tostring(use)
if reading ~= nil then member = member .. ', "reading": ' .. ARGV[2] end
if event ~= '' then member = member .. ', "event": ' .. cjson.encode(event) end
member = member .. '}'
redis.call('ZADD', KEYS[1], at, member)
local last_at = tonumber(redis.call('HGET', KEYS[2], 'at') or '')
if last_at == nil or last_at <= at then
  redis.call('HSET', KEYS[2], 'at', ARGV[1], 'reading', ARGV[2], 'event', event)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[5])
return {1, member}

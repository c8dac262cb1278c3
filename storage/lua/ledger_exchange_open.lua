-- Record a time-bank exchange (help given, not yet confirmed) once per event.
-- KEYS[1] by-event hash, KEYS[2] the exchange hash, KEYS[3] the receiver's exchanges zset,
-- KEYS[4] the giver's exchanges zset
-- ARGV[1] event id, ARGV[2] exchange id, ARGV[3] fields (JSON object of strings),
-- ARGV[4] created at (the score)
-- Returns {exchange id, 1 when created now | 0 when the event had already created it}
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {tonumber(existing), 0}
end
for name, value in pairs(cjson.decode(ARGV[3])) do
  redis.call('HSET', KEYS[2], name, value)
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {tonumber(ARGV[2]), 1}

-- Open a ticket once per event.
-- KEYS[1] by-event hash, KEYS[2] ticket hash, KEYS[3] history list, KEYS[4] tickets zset,
-- KEYS[5] reporter's tickets zset
-- ARGV[1] event id, ARGV[2] ticket id, ARGV[3] fields json, ARGV[4] history entry json, ARGV[5] created at
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {tonumber(existing), 0}
end
local fields = cjson.decode(ARGV[3])
for name, value in pairs(fields) do
  redis.call('HSET', KEYS[2], name, tostring(value))
end
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {tonumber(ARGV[2]), 1}

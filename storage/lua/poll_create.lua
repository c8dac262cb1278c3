-- Create a poll once per event (a redelivered command finds the poll it made).
-- KEYS[1] by-event hash, KEYS[2] poll hash, KEYS[3] voters hash (person -> unit),
-- KEYS[4] open polls zset (score: deadline), KEYS[5] all polls zset (score: created at)
-- ARGV[1] event id, ARGV[2] poll id, ARGV[3] fields json, ARGV[4] voters json,
-- ARGV[5] deadline, ARGV[6] created at
-- Returns {poll id, 1 created | 0 found}
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  return {tonumber(existing), 0}
end
for name, value in pairs(cjson.decode(ARGV[3])) do
  redis.call('HSET', KEYS[2], name, tostring(value))
end
for person, unit in pairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[3], person, unit)
end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {tonumber(ARGV[2]), 1}

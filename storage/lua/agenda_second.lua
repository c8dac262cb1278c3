-- Second a topic (附议): one seconding per unit (a household, or a person), and the
-- threshold checked in the same step, so however many second at once the topic goes onto
-- the agenda exactly once (the seconding that crosses it gets 'reached').
-- KEYS[1] topic hash, KEYS[2] seconds hash (unit -> JSON), KEYS[3] history list,
-- KEYS[4] applied-operations hash, KEYS[5] followers set, KEYS[6] the seconder's topics
-- (sorted set), KEYS[7] the 征集中 index, KEYS[8] the 待议 index
-- ARGV[1] operation key (the event), ARGV[2] unit, ARGV[3] person, ARGV[4] now,
-- ARGV[5] the seconding JSON, ARGV[6] its history entry JSON, ARGV[7] the entry for
-- reaching the threshold
-- Returns {result, detail, count}: ok | reached | replay (detail: what it was) |
-- already (detail: the person who seconded for the unit) | closed (detail: the status) | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', '', 0}
end
local count = redis.call('HLEN', KEYS[2])
local done = redis.call('HGET', KEYS[4], ARGV[1])
if done then
  return {'replay', done, count}
end
local status = redis.call('HGET', KEYS[1], 'status')
local earlier = redis.call('HGET', KEYS[2], ARGV[2])
if earlier then
  return {'already', cjson.decode(earlier).by or '', count}
end
if status ~= 'seconding' then
  return {'closed', status, count}
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[5])
redis.call('SADD', KEYS[5], ARGV[3])
local id = redis.call('HGET', KEYS[1], 'id')
redis.call('ZADD', KEYS[6], 'NX', ARGV[4], id)
redis.call('RPUSH', KEYS[3], ARGV[6])
count = count + 1
local result = 'ok'
if count >= tonumber(redis.call('HGET', KEYS[1], 'threshold')) then
  result = 'reached'
  redis.call('HSET', KEYS[1], 'status', 'agenda', 'reached_at', ARGV[4])
  local created = redis.call('HGET', KEYS[1], 'created_at')
  redis.call('ZREM', KEYS[7], id)
  redis.call('ZADD', KEYS[8], created, id)
  redis.call('RPUSH', KEYS[3], ARGV[7])
end
redis.call('HSET', KEYS[4], ARGV[1], result)
return {result, '', count}

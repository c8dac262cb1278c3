-- Claim a place on a volunteer task: the first N claimants of an N-place task win.
-- KEYS[1] task hash, KEYS[2] claims hash (person -> claimed at), KEYS[3] history list,
-- KEYS[4] applied-operations hash, KEYS[5] the claimant's open-task set
-- ARGV[1] operation key, ARGV[2] person, ARGV[3] now, ARGV[4] history entry json,
-- ARGV[5] most open tasks the claimant may hold
-- Returns {result, claimed, places}: ok | replay | already (holds a place) | taken (no place
-- left) | closed (completed, confirmed or cancelled) | busy (too many open tasks) | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', 0, 0}
end
local places = tonumber(redis.call('HGET', KEYS[1], 'places'))
local claimed = redis.call('HLEN', KEYS[2])
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 1 then
  return {'replay', claimed, places}
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return {'already', claimed, places}
end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'full' then
  return {'taken', claimed, places}
end
if status ~= 'open' then
  return {'closed', claimed, places}
end
if redis.call('SCARD', KEYS[5]) >= tonumber(ARGV[5]) then
  return {'busy', claimed, places}
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
claimed = claimed + 1
if claimed >= places then
  redis.call('HSET', KEYS[1], 'status', 'full')
end
redis.call('SADD', KEYS[5], redis.call('HGET', KEYS[1], 'id'))
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[1], 'claimed')
return {'ok', claimed, places}

-- A claimant gives a place back (退单) or reports their part done (完成).
-- KEYS[1] task hash, KEYS[2] claims hash, KEYS[3] done hash (person -> json), KEYS[4] history
-- list, KEYS[5] applied-operations hash, KEYS[6] the claimant's open-task set
-- ARGV[1] operation key, ARGV[2] person, ARGV[3] "release" | "done", ARGV[4] history entry
-- json, ARGV[5] done json (for "done")
-- Returns {result, status}: ok | replay | not_claimed | already_done | closed | missing.
-- Who asks comes before the task's state: someone who never claimed it hears it is not
-- theirs, and one who reported hears so, whatever state the task is in now.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local status = redis.call('HGET', KEYS[1], 'status')
if redis.call('HEXISTS', KEYS[5], ARGV[1]) == 1 then
  return {'replay', status}
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then
  return {'not_claimed', status}
end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then
  return {'already_done', status}
end
if status ~= 'open' and status ~= 'full' then
  return {'closed', status}
end
if ARGV[3] == 'release' then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('SREM', KEYS[6], redis.call('HGET', KEYS[1], 'id'))
  status = 'open'
else
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
  redis.call('SREM', KEYS[6], redis.call('HGET', KEYS[1], 'id'))
  -- every claimant has reported: the task waits for the beneficiary's confirmation
  if redis.call('HLEN', KEYS[3]) >= redis.call('HLEN', KEYS[2]) then
    status = 'completed'
  end
end
redis.call('HSET', KEYS[1], 'status', status)
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[3])
return {'ok', status}

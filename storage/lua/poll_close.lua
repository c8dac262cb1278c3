-- Close a poll with its result, if no ballot arrived since the result was counted.
-- KEYS[1] poll hash, KEYS[2] open polls zset
-- ARGV[1] the ballot version the result was counted at, ARGV[2] result json, ARGV[3] now,
-- ARGV[4] reason (deadline | decided), ARGV[5] event id, ARGV[6] poll id
-- Returns {'ok'} | {'replay'} (this event closed it) | {'already'} | {'stale'} | {'missing'}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'open' then
  if redis.call('HGET', KEYS[1], 'closed_event') == ARGV[5] then
    return {'replay'}
  end
  return {'already'}
end
if (redis.call('HGET', KEYS[1], 'version') or '0') ~= ARGV[1] then
  return {'stale'}
end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', ARGV[3], 'closed_reason', ARGV[4],
           'result', ARGV[2], 'closed_event', ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[6])
return {'ok'}

-- Cancel an open poll: no more ballots, no result; its timers find it not open and do nothing.
-- KEYS[1] poll hash, KEYS[2] open polls zset
-- ARGV[1] now, ARGV[2] who cancelled it, ARGV[3] the reason, ARGV[4] event id, ARGV[5] poll id
-- Returns {'ok'} | {'replay'} (this event cancelled it) | {'already', status} | {'missing'}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing'}
end
if status ~= 'open' then
  if redis.call('HGET', KEYS[1], 'closed_event') == ARGV[4] then
    return {'replay'}
  end
  return {'already', status}
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'closed_at', ARGV[1], 'closed_reason', 'cancelled',
           'cancelled_by', ARGV[2], 'cancel_reason', ARGV[3], 'closed_event', ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[5])
-- A close counted from the ballots before this finds the poll no longer open.
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'ok'}

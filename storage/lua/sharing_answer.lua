-- One side's answer to a proposed 供需 match (接受 / 不用), once per event: both accepting
-- makes it accepted (exactly one answer sees that happen), one passing ends it.
-- KEYS[1] the match hash
-- ARGV[1] the side answering (need | offer), ARGV[2] yes | no, ARGV[3] the event id, ARGV[4] now
-- Returns {result, status}: result waiting | accepted | passed | replay:<result> | closed | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local side, other = ARGV[1], (ARGV[1] == 'need') and 'offer' or 'need'
local status = redis.call('HGET', KEYS[1], 'status')
if redis.call('HGET', KEYS[1], side .. '_event') == ARGV[3] then
  return {'replay:' .. (redis.call('HGET', KEYS[1], side .. '_result') or ''), status}
end
if status ~= 'proposed' then
  return {'closed', status}
end
local result
if ARGV[2] == 'no' then
  result = 'passed'
  redis.call('HSET', KEYS[1], 'status', 'passed', 'passed_by', side)
elseif redis.call('HGET', KEYS[1], other .. '_answer') == 'yes' then
  result = 'accepted'
  redis.call('HSET', KEYS[1], 'status', 'accepted', 'accepted_at', ARGV[4])
else
  result = 'waiting'
end
redis.call('HSET', KEYS[1], side .. '_answer', ARGV[2], side .. '_event', ARGV[3], side .. '_result', result,
           side .. '_at', ARGV[4])
return {result, redis.call('HGET', KEYS[1], 'status')}

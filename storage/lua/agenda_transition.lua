-- Move a topic from one of the allowed states, once per operation key, keeping the
-- by-state indexes in step (storage/agenda.py TRANSITIONS says which states an action
-- applies to). A note that changes no state (进展, 排期) goes through here too.
-- KEYS[1] topic hash, KEYS[2] history list, KEYS[3] applied-operations hash
-- ARGV[1] operation key, ARGV[2] allowed current states ("a,b" or "*"), ARGV[3] fields
-- JSON ("" deletes a field; "status" moves the indexes), ARGV[4] history entry JSON,
-- ARGV[5] the by-state index prefix (storage/keys.py topics_state_prefix: PREFIX:STATE)
-- Returns {result, status before}: ok | replay | conflict | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local status = redis.call('HGET', KEYS[1], 'status')
local done = redis.call('HGET', KEYS[3], ARGV[1])
if done then
  return {'replay', done}
end
if ARGV[2] ~= '*' then
  local allowed = false
  for state in string.gmatch(ARGV[2], '[^,]+') do
    if state == status then allowed = true end
  end
  if not allowed then
    return {'conflict', status}
  end
end
local fields = cjson.decode(ARGV[3])
for name, value in pairs(fields) do
  if value == '' then
    redis.call('HDEL', KEYS[1], name)
  else
    redis.call('HSET', KEYS[1], name, tostring(value))
  end
end
local after = redis.call('HGET', KEYS[1], 'status')
if after ~= status then
  local id = redis.call('HGET', KEYS[1], 'id')
  redis.call('ZREM', ARGV[5] .. ':' .. status, id)
  redis.call('ZADD', ARGV[5] .. ':' .. after, redis.call('HGET', KEYS[1], 'created_at'), id)
end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], status)
return {'ok', status}

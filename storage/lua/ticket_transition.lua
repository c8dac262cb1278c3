-- Move a ticket from one of the allowed states, once per operation key.
-- KEYS[1] ticket hash, KEYS[2] history list, KEYS[3] applied-operations hash
-- ARGV[1] operation key, ARGV[2] allowed current states ("a,b,c" or "*"),
-- ARGV[3] fields json ("" value deletes the field), ARGV[4] history entry json
-- Returns {result, status before}: ok | replay (this operation was already applied) |
-- conflict (the ticket is in a state the operation does not apply to) | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local status = redis.call('HGET', KEYS[1], 'status')
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  return {'replay', redis.call('HGET', KEYS[3], ARGV[1])}
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
for name, value in pairs(cjson.decode(ARGV[3])) do
  if value == '' then
    redis.call('HDEL', KEYS[1], name)
  else
    redis.call('HSET', KEYS[1], name, tostring(value))
  end
end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[1], status)
return {'ok', status}

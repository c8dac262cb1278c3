-- Take a 供需 item off (closed by its owner, removed by staff, expired) only if it is still
-- open, and out of the inverted index in the same step: a closed item is never proposed.
-- KEYS[1] the item hash, KEYS[2..] the index sets it is in
-- ARGV[1] the item id, ARGV[2] the new status, ARGV[3] fields to set (JSON object of strings)
-- Returns {'ok'} | {'already', status} | {'missing'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing'}
end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'open' then
  return {'already', status or ''}
end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
for name, value in pairs(cjson.decode(ARGV[3])) do
  redis.call('HSET', KEYS[1], name, value)
end
for i = 2, #KEYS do
  redis.call('SREM', KEYS[i], ARGV[1])
end
return {'ok'}

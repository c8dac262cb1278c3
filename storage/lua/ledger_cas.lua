-- Change a record's state only from the state the caller saw (a time-bank exchange
-- disputed, a redemption fulfilled): two people acting at once get a defined answer.
-- KEYS[1] the record hash
-- ARGV[1] field, ARGV[2] expected value, ARGV[3] fields to set (JSON object of strings)
-- Returns {'ok'} | {'conflict', actual value} | {'missing'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing'}
end
local actual = redis.call('HGET', KEYS[1], ARGV[1])
if actual ~= ARGV[2] then
  return {'conflict', actual or ''}
end
for name, value in pairs(cjson.decode(ARGV[3])) do
  redis.call('HSET', KEYS[1], name, value)
end
return {'ok'}

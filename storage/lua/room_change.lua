-- Change a booking's status (approve, refuse, cancel, lapse) if it is still in one of the
-- states the caller read, once per operation key; a booking that stops being live frees
-- its slot, and the month usage counters move by what the caller computed (approved
-- time is counted, anything else is not).
-- KEYS[1] booking hash, KEYS[2] its ops hash, KEYS[3] the room's slots, KEYS[4] the room's
-- ends, KEYS[5] pending bookings, KEYS[6..] usage hashes of the months it covers
-- ARGV[1] operation key, ARGV[2] allowed statuses (comma-separated), ARGV[3] new status,
-- ARGV[4] fields json (strings), ARGV[5] room id, ARGV[6..] seconds to add to KEYS[6..]
-- Returns {result, status before}: ok | replay | conflict | missing
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'missing', ''}
end
local done = redis.call('HGET', KEYS[2], ARGV[1])
if done then
  return {'replay', done}
end
local status = redis.call('HGET', KEYS[1], 'status')
local allowed = false
for name in string.gmatch(ARGV[2], '[^,]+') do
  if name == status then allowed = true end
end
if not allowed then
  return {'conflict', status}
end
local flat = {'status', ARGV[3]}
for name, value in pairs(cjson.decode(ARGV[4])) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
redis.call('HSET', KEYS[1], unpack(flat))
local id = redis.call('HGET', KEYS[1], 'id')
if ARGV[3] ~= 'pending' and ARGV[3] ~= 'approved' then
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
if ARGV[3] ~= 'pending' then
  redis.call('ZREM', KEYS[5], id)
end
for i = 6, #KEYS do
  redis.call('HINCRBYFLOAT', KEYS[i], ARGV[5], ARGV[i])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return {'ok', status}

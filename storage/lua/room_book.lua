-- Book a slot of a room: check that no live booking overlaps it and insert it, in one
-- step, so two residents asking for one slot at once cannot both get it. Once per event.
-- A room's live bookings (pending or approved) never overlap, so sorted by start they are
-- sorted by end too: only the last one starting before the new end can reach into it.
-- Slots are half-open, [start, end): 14:00-16:00 and 16:00-18:00 both fit.
-- KEYS[1] event -> booking hash, KEYS[2] id counter, KEYS[3] the room's slots (id by start),
-- KEYS[4] the room's ends (id -> end), KEYS[5] the person's bookings (id by start),
-- KEYS[6] every booking (id by start), KEYS[7] pending bookings (id by start),
-- KEYS[8..] usage hashes of the months it covers (only when it is approved at once)
-- ARGV[1] event id, ARGV[2] booking key template (its id is "$id"), ARGV[3] start,
-- ARGV[4] end, ARGV[5] fields json (strings), ARGV[6] room id, ARGV[7] status
-- (pending | approved), ARGV[8..] seconds to add to each KEYS[8..]
-- Returns {result, booking id, the booking in the way}: ok | replay | taken
local made = redis.call('HGET', KEYS[1], ARGV[1])
if made then
  return {'replay', made, ''}
end
local start, finish = tonumber(ARGV[3]), tonumber(ARGV[4])
local before = redis.call('ZREVRANGEBYSCORE', KEYS[3], '(' .. ARGV[4], '-inf', 'LIMIT', 0, 1)
if before[1] then
  local ends = tonumber(redis.call('HGET', KEYS[4], before[1]))
  if ends and ends > start then
    return {'taken', '', before[1]}
  end
end
local id = tostring(redis.call('INCR', KEYS[2]))
local key = (string.gsub(ARGV[2], '%$id', id))
local fields = cjson.decode(ARGV[5])
local flat = {'id', id, 'status', ARGV[7], 'start', ARGV[3], 'end', ARGV[4], 'room', ARGV[6]}
for name, value in pairs(fields) do
  flat[#flat + 1] = name
  flat[#flat + 1] = value
end
redis.call('HSET', key, unpack(flat))
redis.call('ZADD', KEYS[3], start, id)
redis.call('HSET', KEYS[4], id, ARGV[4])
redis.call('ZADD', KEYS[5], start, id)
redis.call('ZADD', KEYS[6], start, id)
if ARGV[7] == 'pending' then
  redis.call('ZADD', KEYS[7], start, id)
end
for i = 8, #KEYS do
  redis.call('HINCRBYFLOAT', KEYS[i], ARGV[6], ARGV[i])
end
redis.call('HSET', KEYS[1], ARGV[1], id)
return {'ok', id, ''}

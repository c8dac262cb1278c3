-- A person says which household (building-unit-room) they belong to.
-- KEYS[1] registrations hash (person -> household), KEYS[2] verified hash (person -> household),
-- KEYS[3] details hash (person -> json: at, by, source)
-- ARGV[1] person, ARGV[2] household, ARGV[3] '1' when the claim is verified as it is made
-- (a roster import marked verified, or the unit the community file already gives),
-- ARGV[4] details json
-- Returns {status, previous household or ''}: status 'verified' | 'pending'.
-- A verification belongs to one unit: moving to another unit needs staff to verify again.
local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
local status = 'pending'
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  status = 'verified'
elseif redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  status = 'verified'
else
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return {status, previous}

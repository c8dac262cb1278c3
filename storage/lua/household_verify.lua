-- Staff verify the household a person registered.
-- KEYS[1] registrations hash, KEYS[2] verified hash, KEYS[3] verifications hash (person -> json)
-- ARGV[1] person, ARGV[2] verification json (by, at)
-- Returns {'ok', household} | {'already', household} | {'unregistered', ''}
local household = redis.call('HGET', KEYS[1], ARGV[1])
if not household then
  return {'unregistered', ''}
end
if redis.call('HGET', KEYS[2], ARGV[1]) == household then
  return {'already', household}
end
redis.call('HSET', KEYS[2], ARGV[1], household)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return {'ok', household}

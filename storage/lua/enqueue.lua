-- Durably enqueue an inbound event once per platform message id.
-- KEYS[1] seen marker, KEYS[2] inbound stream; ARGV[1] marker ttl (s), ARGV[2] event json
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', 'event', ARGV[2])
end
return false

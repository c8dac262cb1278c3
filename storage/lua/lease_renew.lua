-- KEYS[1] lease; ARGV[1] owner, ARGV[2] ttl (ms). Extend only a lease we still hold.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0

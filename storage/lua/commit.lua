-- Mark an event handled and queue its outgoing messages, together or not at all.
-- KEYS[1] done marker, KEYS[2..] the channel queue of each message
-- ARGV[1] marker ttl (s), ARGV[2..] the messages, in the order of KEYS[2..]
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  for i = 2, #KEYS do
    redis.call('XADD', KEYS[i], '*', 'msg', ARGV[i])
  end
  return 1
end
return 0

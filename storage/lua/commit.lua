-- Mark an event handled and queue its outgoing messages, together or not at all.
-- KEYS[1] done marker, KEYS[2] dead-letter stream, KEYS[3..] the queue of each message:
-- its channel's queue, or the dead-letter stream when no running channel can reach it
-- ARGV[1] marker ttl (s), ARGV[2] dead-letter stream length, ARGV[3] which message (1-based,
-- 0: none) is the reply a waiting callback may answer with: the marker keeps its stream id,
-- ARGV[4..] the messages, in the order of KEYS[3..]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local marker = '1'
for i = 3, #KEYS do
  local message = ARGV[i + 1]
  if KEYS[i] == KEYS[2] then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'outgoing', message,
               'error', 'no running channel reaches this person')
  else
    local id = redis.call('XADD', KEYS[i], '*', 'msg', message)
    if i - 2 == tonumber(ARGV[3]) then marker = id end
  end
end
redis.call('SET', KEYS[1], marker, 'EX', ARGV[1])
return 1

-- Correct: a moderator re-decides a comment that is no longer pending (decided at intake
-- or by a moderator). The comment's status, a "corrected" entry in the websites' feed,
-- a training label and the audit record change together.
--
-- KEYS[1]  hash   comment:<id>
-- KEYS[2]  stream decisions
-- KEYS[3]  stream labels
-- KEYS[4]  stream audit
-- KEYS[5]  zset   queue:held          a decision still inside its undo window is not corrected
-- ARGV[1]  comment id
-- ARGV[2]  moderator name
-- ARGV[3]  decided_at as shown to clients
-- ARGV[4]  the pending status value ("pending")
-- ARGV[5]  new status ("approved" | "rejected")
-- ARGV[6]  reason ("" | "spam" | "toxic" | "other")
-- ARGV[7]  spam label   ARGV[8] toxic label   ARGV[9] "1" to write a label
-- ARGV[10] where the correction came from ("api" | "page")
-- Returns  {"ok", <feed entry id>, <status before>} or {"not_found"} | {"pending"}
--          | {"same", <status>} | {"held"}
local id, moderator, decided_at = ARGV[1], ARGV[2], ARGV[3]
local status, reason = ARGV[5], ARGV[6]
local f = redis.call('HMGET', KEYS[1], 'status', 'external_id', 'text', 'name', 'email',
  'url', 'thread', 'model_version', 'spam', 'toxicity', 'decision_reason', 'decided_by')
local current = f[1]
if not current then return {'not_found'} end
if current == ARGV[4] then return {'pending'} end
if redis.call('ZSCORE', KEYS[5], id) then return {'held'} end
if current == status and (f[11] or '') == reason then return {'same', current} end
local before_by = f[12] or 'modq'

redis.call('HSET', KEYS[1], 'status', status, 'decided_at', decided_at,
  'decided_by', moderator, 'decision_reason', reason, 'corrected_from', current,
  'corrected_from_by', before_by)
local entry = redis.call('XADD', KEYS[2], '*', 'id', id, 'external_id', f[2] or '',
  'thread', f[7] or '', 'status', status, 'decided_at', decided_at, 'reason', reason,
  'by', moderator, 'event', 'corrected')
if ARGV[9] == '1' then
  local domain = ''
  local at = string.match(f[5] or '', '@([^@]+)$')
  if at then domain = '@' .. string.lower(at) end
  redis.call('XADD', KEYS[3], '*', 'id', id, 'text', f[3] or '', 'name', f[4] or '',
    'email', domain, 'url', f[6] or '', 'spam', ARGV[7], 'toxic', ARGV[8],
    'source', 'moderator', 'thread', f[7] or '', 'model_version', f[8] or '',
    'spam_score', f[9] or '', 'toxicity_score', f[10] or '',
    'decided_by', moderator, 'decided_at', decided_at)
end
redis.call('XADD', KEYS[4], '*', 'action', 'correct', 'id', id, 'moderator', moderator,
  'from', current, 'to', status, 'reason', reason, 'at', decided_at, 'via', ARGV[10],
  'before_by', before_by, 'decision_entry', entry)
return {'ok', entry, current}

-- quota_test.lua: the daily prompt quota (quota.lua). Run: comfygate policy test
--
-- The settings this file's scripts load with (on top of the configured ones):
-- @setting daily_prompts = guest=3, user=200
-- @setting daily_prompts_groups = free=2, trial=1
-- @setting daily_prompts_timezone = UTC

local guest = { username = "gina", role = "guest", groups = {} }
local prompt = { workflow = {}, client_id = "test" }

-- 2026-12-08 22:00:00 UTC: two hours before the quota resets.
policy.test.set_time(1796767200)

for i = 1, 3 do
    assert(policy.call("prompt", guest, prompt) == nil, "prompt " .. i .. " is within the quota")
end
local allowed, reason = policy.call("prompt", guest, prompt)
assert(allowed == false, "the fourth prompt of the day is denied")
assert(reason:find("daily prompt quota reached (3 a day)", 1, true), reason)
assert(reason:find("in 2 h 0 min", 1, true), reason)

-- Another guest has a quota of their own.
assert(policy.call("prompt", { username = "gus", role = "guest" }, prompt) == nil)

-- A group quota wins over the role's, even when it is smaller.
local free = { username = "fred", role = "user", groups = { "free" } }
assert(policy.call("prompt", free, prompt) == nil)
assert(policy.call("prompt", free, prompt) == nil)
assert(policy.call("prompt", free, prompt) == false)

-- Several listed groups: the largest quota applies.
local both = { username = "bo", role = "user", groups = { "trial", "free" } }
assert(policy.call("prompt", both, prompt) == nil)
assert(policy.call("prompt", both, prompt) == nil)
assert(policy.call("prompt", both, prompt) == false)

-- Roles not named are not limited.
local admin = { username = "ada", role = "admin", groups = {} }
for _ = 1, 10 do
    assert(policy.call("prompt", admin, prompt) == nil)
end

-- Midnight: the quota resets.
policy.test.advance(2 * 3600)
assert(policy.call("prompt", guest, prompt) == nil, "a new day, a new quota")

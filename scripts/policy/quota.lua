-- quota.lua: hook `prompt` (fail mode: closed) - a daily prompt quota per role or group.
--
-- "20 prompts a day for guests": every prompt that reaches this handler counts against the
-- user's quota for the current day; once the quota is used up, prompts are denied until
-- midnight (in daily_prompts_timezone), and the reason says when the quota resets.
--
--   subject = { username = "alice", role = "guest", groups = { "free", ... }, ... }
--   request = { workflow = { ... }, client_id = "..." }
--
-- Which quota applies: when the user is in a group named in daily_prompts_groups, the
-- largest of those groups' quotas; otherwise the quota of the user's role in daily_prompts;
-- otherwise none (roles and groups not named are not limited). A quota of 0 denies every
-- prompt. Scripts run in name order and the first deny wins, so a prompt that prompt.lua
-- denies (earlier in the order) is not counted.
--
-- The count lives in policy.counter("prompts_daily", "<username>@<date>"), in the database
-- (shared by every instance on PostgreSQL), and expires a day after the date ends.
--
-- Settings (off unless daily_prompts or daily_prompts_groups is set):
--   daily_prompts           per role, e.g. "guest=20,user=200"
--   daily_prompts_groups    per group, e.g. "free=50"
--   daily_prompts_timezone  when the day starts: an IANA name, default "UTC"

local settings = require("settings")

-- "guest=20,user=200" -> { guest = 20, user = 200 }; a malformed item fails the load here.
local function quotas(name)
    local result = {}
    for _, item in ipairs(settings.list(name, "")) do
        local who, count = item:match("^([%w_.-]+)%s*=%s*(%d+)$")
        if who == nil then
            error(string.format("policy.settings.%s: '%s' is not name=count", name, item), 2)
        end
        result[who] = tonumber(count)
    end
    return result
end

local BY_ROLE = quotas("daily_prompts")
local BY_GROUP = quotas("daily_prompts_groups")
local TIMEZONE = settings.text("daily_prompts_timezone", "UTC")

if next(BY_ROLE) == nil and next(BY_GROUP) == nil then
    return -- not configured: no handler
end

local function quotaOf(subject)
    local best
    for _, group in ipairs(subject.groups or {}) do
        local quota = BY_GROUP[tostring(group):lower()]
        if quota and (best == nil or quota > best) then
            best = quota
        end
    end
    if best then
        return best
    end
    return BY_ROLE[tostring(subject.role):lower()]
end

-- "3 h 12 min" / "12 min" / "less than a minute"
local function duration(seconds)
    local hours, minutes = seconds // 3600, (seconds % 3600) // 60
    if hours > 0 then
        return string.format("%d h %d min", hours, minutes)
    end
    if minutes > 0 then
        return string.format("%d min", minutes)
    end
    return "less than a minute"
end

policy.on("prompt", function(subject, request)
    local quota = quotaOf(subject)
    if quota == nil then
        return
    end
    local now = policy.localtime(TIMEZONE)
    local untilMidnight = 86400 - (now.hour * 3600 + now.min * 60 + now.sec)
    local day = string.format("%04d-%02d-%02d", now.year, now.month, now.day)
    local used = policy.counter("prompts_daily", tostring(subject.username) .. "@" .. day)
    if used:get() >= quota then
        return false, string.format(
            "daily prompt quota reached (%d a day); it resets at midnight %s, in %s",
            quota, TIMEZONE, duration(untilMidnight))
    end
    used:incr(1, untilMidnight + 86400)
end)

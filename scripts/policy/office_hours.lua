-- office_hours.lua: hook `login` (fail mode: closed) - "only staff between 9 and 18".
--
-- Members of the listed roles or groups may sign in only inside the configured hours, on the
-- configured days, in the configured time zone; outside them the sign-in is refused and the
-- reason (shown on the sign-in page and in the API's error) says when sign-in is possible.
-- Sessions already issued stay valid until they end (auth.session_hours,
-- auth.session_idle_minutes), and API tokens are not sign-ins: see the `token` hook for them.
--
--   subject = { username = "alice", role = "user", groups = { "user", "staff" }, mfa = true,
--               account_age_days = 57, address = "203.0.113.7", ... }
--   request = { method = "password", address = "203.0.113.7", user_agent = "..." }
--
-- Windows that cross midnight ("22:00-06:00") are allowed: the hours after midnight belong
-- to the day the window started, so "fri" with "22:00-06:00" covers Friday night until
-- Saturday 06:00. The end is exclusive (18:00 is already closed). The owner is never
-- limited, so that a wrong setting cannot lock everyone out.
--
-- Settings (off unless office_hours is set):
--   office_hours         the window, "HH:MM-HH:MM" (24-hour clock), e.g. "09:00-18:00"
--   office_hours_zone    an IANA time zone name, default "UTC" (e.g. "Europe/Berlin")
--   office_hours_days    days and ranges of days, default "mon-fri" (e.g. "mon-thu,sat",
--                        "*" = every day); mon tue wed thu fri sat sun
--   office_hours_groups  the roles and groups that are limited, default "*" (everyone but
--                        the owner), e.g. "staff" or "user,power"

local settings = require("settings")

local WINDOW = settings.text("office_hours", nil)
if WINDOW == nil then
    return -- not configured: no handler
end

local DAY_NAMES = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" } -- os.date's wday order
local DAY_NUMBER = {}
for number, name in ipairs(DAY_NAMES) do
    DAY_NUMBER[name] = number
end

-- "09:30" -> 570 minutes after midnight; a malformed time fails the load.
local function minutes(text)
    local hours, mins = text:match("^(%d%d?):(%d%d)$")
    hours, mins = tonumber(hours), tonumber(mins)
    if hours == nil or hours > 24 or mins > 59 or (hours == 24 and mins > 0) then
        error(string.format("policy.settings.office_hours: '%s' is not HH:MM-HH:MM (e.g. 09:00-18:00)", WINDOW), 3)
    end
    return hours * 60 + mins
end

local function window(text)
    local from, to = text:match("^%s*([%d:]+)%s*%-%s*([%d:]+)%s*$")
    if from == nil then
        error(string.format("policy.settings.office_hours: '%s' is not HH:MM-HH:MM (e.g. 09:00-18:00)", text), 2)
    end
    local opens, closes = minutes(from), minutes(to)
    if opens == closes then
        error(string.format("policy.settings.office_hours: '%s' is an empty window", text), 2)
    end
    return opens, closes
end

-- "mon-fri,sun" -> { [2] = true, ..., [6] = true, [1] = true }; ranges may wrap ("fri-mon").
local function days(text)
    local set = {}
    for _, item in ipairs(settings.split(text)) do
        if item == "*" then
            for number = 1, 7 do
                set[number] = true
            end
        else
            local first, last = item:match("^(%a+)%s*%-%s*(%a+)$")
            first, last = DAY_NUMBER[first or item], DAY_NUMBER[last or item]
            if first == nil or last == nil then
                error(string.format("policy.settings.office_hours_days: '%s' is not a day or a range of days "
                    .. "(mon tue wed thu fri sat sun, e.g. mon-fri)", item), 2)
            end
            local day = first
            while true do
                set[day] = true
                if day == last then
                    break
                end
                day = day % 7 + 1
            end
        end
    end
    return set
end

local OPENS, CLOSES = window(WINDOW)
local ZONE = settings.text("office_hours_zone", "UTC")
local DAYS_TEXT = settings.text("office_hours_days", "mon-fri")
local DAYS = days(DAYS_TEXT)
local LIMITED = settings.set("office_hours_groups", "*")

local function limited(subject)
    if subject.role == "owner" then
        return false
    end
    if LIMITED["*"] or LIMITED[tostring(subject.role):lower()] then
        return true
    end
    for _, group in ipairs(subject.groups or {}) do
        if LIMITED[tostring(group):lower()] then
            return true
        end
    end
    return false
end

local function isOpen(now)
    local minute = now.hour * 60 + now.min
    if OPENS < CLOSES then
        return DAYS[now.wday] == true and minute >= OPENS and minute < CLOSES
    end
    -- Across midnight: the evening of an office day, or the morning after one.
    local previous = (now.wday + 5) % 7 + 1
    return (DAYS[now.wday] == true and minute >= OPENS) or (DAYS[previous] == true and minute < CLOSES)
end

local function clock(mins)
    return string.format("%02d:%02d", mins // 60, mins % 60)
end

policy.on("login", function(subject, request)
    if not limited(subject) then
        return
    end
    local now = policy.localtime(ZONE)
    if isOpen(now) then
        return
    end
    return false, string.format("sign-in is possible %s-%s on %s (%s); it is %s %02d:%02d there",
        clock(OPENS), clock(CLOSES), DAYS_TEXT, ZONE, DAY_NAMES[now.wday], now.hour, now.min)
end)

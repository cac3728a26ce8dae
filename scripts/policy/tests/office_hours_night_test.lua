-- office_hours_night_test.lua: a window across midnight (office_hours.lua). Run: comfygate policy test
--
-- @setting office_hours = 22:00-06:00
-- @setting office_hours_days = fri
-- @setting office_hours_groups = user

local night = { username = "nina", role = "user", groups = { "user" } }
local login = { method = "mfa", address = "198.51.100.4", user_agent = "test" }

-- Friday 22:30 UTC: the night shift has started.
policy.test.set_time(1797028200)
assert(policy.call("login", night, login) == nil, "Friday 22:30 is inside")

-- Saturday 04:00: still Friday's night.
policy.test.set_time(1797048000)
assert(policy.call("login", night, login) == nil, "the hours after midnight belong to Friday")

-- Saturday 07:00: closed.
policy.test.set_time(1797058800)
local allowed, reason = policy.call("login", night, login)
assert(allowed == false, "Saturday 07:00 is outside")
assert(reason == "sign-in is possible 22:00-06:00 on fri (UTC); it is sat 07:00 there", reason)

-- Admins are not in office_hours_groups.
assert(policy.call("login", { username = "ada", role = "admin", groups = {} }, login) == nil)

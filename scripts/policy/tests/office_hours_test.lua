-- office_hours_test.lua: sign-in only in office hours (office_hours.lua). Run: comfygate policy test
--
-- The settings this file's scripts load with (on top of the configured ones):
-- @setting office_hours = 09:00-18:00
-- @setting office_hours_zone = Europe/Berlin
-- @setting office_hours_days = mon-fri
-- @setting office_hours_groups = staff

local staff = { username = "sam", role = "user", groups = { "user", "staff" } }
local other = { username = "olga", role = "user", groups = { "user" } }
local owner = { username = "boss", role = "owner", groups = { "owner", "staff" } }
local login = { method = "password", address = "203.0.113.7", user_agent = "test" }

-- Monday 2026-12-07 08:59 in Berlin (07:59 UTC; CET is UTC+1): one minute too early.
policy.test.set_time(1796630340)
local allowed, reason = policy.call("login", staff, login)
assert(allowed == false, "staff may not sign in before 09:00")
assert(reason == "sign-in is possible 09:00-18:00 on mon-fri (Europe/Berlin); it is mon 08:59 there", reason)
assert(policy.call("login", other, login) == nil, "users outside the listed groups are not limited")
assert(policy.call("login", owner, login) == nil, "the owner is never limited")

-- 09:00 opens the window.
policy.test.set_time(1796630400)
assert(policy.call("login", staff, login) == nil, "09:00 is inside")

-- 17:59 is inside, 18:00 is closed (the end is exclusive).
policy.test.set_time(1796662740)
assert(policy.call("login", staff, login) == nil, "17:59 is inside")
policy.test.set_time(1796662800)
allowed, reason = policy.call("login", staff, login)
assert(allowed == false, "18:00 is closed")
assert(reason:find("it is mon 18:00 there", 1, true), reason)

-- Saturday 11:00 in Berlin: not an office day.
policy.test.set_time(1797069600)
allowed, reason = policy.call("login", staff, login)
assert(allowed == false, "no sign-in on Saturday")
assert(reason:find("it is sat 11:00 there", 1, true), reason)

-- Roles count like groups.
assert(policy.call("login", { username = "pat", role = "staff", groups = {} }, login) == false)

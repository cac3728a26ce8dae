-- groups.lua: hook `groups` (fail mode: open) - adjusts a user's effective permissions.
--
-- The kernel resolves a user's permissions from the role and etc/groups.json and then asks
-- this hook, e.g. once per request or per session, so handlers must be quick.
--
--   subject = { username = "alice", role = "user", groups = { "artists", ... } }
--   request = { permissions = { "can_run", "can_upload", ... } }
--
-- The kernel remembers the answer per (username, role, groups) until the policies reload or
-- the role table changes: answer from `subject`, `request` and the settings only (not from
-- os.time() or state kept between calls), or set permissions.effective_cache_entries = 0.
--
-- Return nothing to keep the permissions, or a table { permissions = { ... } } to replace
-- them. A failing handler leaves the permissions unchanged (fail open), so a broken edit
-- here cannot lock everyone out; it cannot grant anything either unless a script does.
--
-- Settings (comfygate.properties, policy.settings.<name>):
--   guest_readonly   "true" removes can_run and can_upload from guests (default false):
--                    guests may look around but not queue prompts or upload files.

local settings = require("settings")

local GUEST_READONLY = settings.flag("guest_readonly", false)
local WRITE_PERMISSIONS = { can_run = true, can_upload = true }

policy.on("groups", function(subject, request)
    if not GUEST_READONLY or subject.role ~= "guest" then
        return
    end
    local kept = {}
    for _, permission in ipairs(request.permissions or {}) do
        if not WRITE_PERMISSIONS[permission] then
            kept[#kept + 1] = permission
        end
    end
    request.permissions = kept
    return request
end)

-- priority.lua: hook `queue` (fail mode: open) - admins' prompts go first.
--
--   subject = { user_id = "7", username = "alice", role = "admin", groups = { "staff" }, ... }
--   request = { workflow_nodes = 7,      -- nodes in the accepted prompt
--               client_id = "tab-1",     -- the submitting tab ("" when none)
--               front = false,           -- what the client asked for
--               number = 12 }            -- the client's own number, when it gave one
--
-- The comfy-proxy module asks once per accepted prompt, after the `prompt` hook and the
-- model checks. Returning the request with `front = true` makes ComfyUI run the prompt before
-- everything pending (ComfyUI gives it a negative number); `number = N` orders it among the
-- others instead (lower runs earlier). Nothing else the handler changes is applied.
--
-- Prompts of a user whose role or one of whose groups is listed go to the front; everyone
-- else's stay in arrival order.
--
-- Settings:
--   priority_front   comma-separated roles and group names, e.g. "admin, owner, paying"
--                    (default none: this script does nothing)

local settings = require("settings")

local FRONT = settings.set("priority_front", "")
if next(FRONT) == nil then
    return
end

local function listed(subject)
    if FRONT[string.lower(subject.role or "")] then
        return true
    end
    for _, group in ipairs(subject.groups or {}) do
        if FRONT[string.lower(group)] then
            return true
        end
    end
    return false
end

policy.on("queue", function(subject, request)
    if listed(subject) and not request.front then
        request.front = true
        return request
    end
end)

-- priority_test.lua: admins' and listed groups' prompts go to the front of ComfyUI's queue
-- (priority.lua). Run: comfygate policy test
--
-- @setting priority_front = admin, paying

local request = { workflow_nodes = 7, client_id = "tab-1", front = false }

local changed = policy.call("queue", { username = "ada", role = "admin", groups = {} }, request)
assert(type(changed) == "table", "an admin's prompt is moved")
assert(changed.front == true)
assert(changed.workflow_nodes == 7 and changed.client_id == "tab-1", "nothing else changes")

changed = policy.call("queue", { username = "pia", role = "user", groups = { "Paying" } }, request)
assert(type(changed) == "table" and changed.front == true, "a listed group (any case) goes first too")

assert(policy.call("queue", { username = "alice", role = "user", groups = { "free" } }, request) == nil,
       "everyone else keeps the arrival order")
assert(policy.call("queue", { username = "ada", role = "admin", groups = {} },
                   { workflow_nodes = 3, client_id = "", front = true }) == nil,
       "a prompt already at the front is left alone")

-- prompt.lua: hook `prompt` (fail mode: closed) - size caps for submitted workflows.
--
--   subject = { username = "alice", role = "user", groups = { ... } }
--   request = { workflow = { ["3"] = { class_type = "KSampler",
--                                      inputs = { steps = 20, seed = 1, model = { "4", 0 } } },
--                            ["5"] = { class_type = "EmptyLatentImage",
--                                      inputs = { width = 1024, height = 1024, batch_size = 1 } },
--                            ... },
--               client_id = "..." }
--
-- In every node, whatever its class: a literal `steps` above max_steps, `batch_size` above
-- max_batch, or `width` x `height` above max_pixels denies the prompt; the reason names the
-- node id and the value. Inputs that are links to other nodes are not checked. The owner
-- and admins are exempt. A handler could also rewrite the workflow (return the changed
-- request table); this one only denies, so users learn what to change.
--
-- Settings:
--   max_steps    default 150
--   max_batch    default 8
--   max_pixels   default 4194304 (2048 x 2048)

local settings = require("settings")
local roles = require("roles")
local workflow = require("workflow")

local MAX_STEPS = settings.number("max_steps", 150)
local MAX_BATCH = settings.number("max_batch", 8)
local MAX_PIXELS = settings.number("max_pixels", 4194304)

local show = workflow.show
local literal = workflow.literal

-- The reason for refusing the node, or nil.
local function violation(id, node)
    local inputs = workflow.inputs(node)
    if inputs == nil then
        return nil
    end
    local steps = literal(inputs, "steps")
    if steps and steps > MAX_STEPS then
        return string.format("node %s: steps %s exceeds the limit of %s", id, show(steps), show(MAX_STEPS))
    end
    local batch = literal(inputs, "batch_size")
    if batch and batch > MAX_BATCH then
        return string.format("node %s: batch_size %s exceeds the limit of %s", id, show(batch), show(MAX_BATCH))
    end
    local width, height = literal(inputs, "width"), literal(inputs, "height")
    if width and height and width * height > MAX_PIXELS then
        return string.format("node %s: %sx%s is %s pixels, more than the limit of %s",
            id, show(width), show(height), show(width * height), show(MAX_PIXELS))
    end
    return nil
end

policy.on("prompt", function(subject, request)
    if roles.isAdmin(subject) then
        return
    end
    local graph = request.workflow
    if type(graph) ~= "table" then
        return
    end
    -- Most prompts pass: they are checked in table order, and only a refused one again in id
    -- order (sorting is most of this handler's time), so the reason names the lowest node id.
    local refused = false
    for id, node in pairs(graph) do
        if type(node) == "table" and violation(id, node) then
            refused = true
            break
        end
    end
    if not refused then
        return
    end
    for _, entry in ipairs(workflow.nodes(graph)) do
        local reason = violation(entry.id, entry.node)
        if reason then
            return false, reason
        end
    end
end)

-- model_families.lua: hook `model` (fail mode: closed) - no video models for the free group.
--
--   subject = { user_id = "7", username = "alice", role = "user", groups = { "free" }, ... }
--   request = { name = "wan2.1_t2v_14B.safetensors",   -- as the workflow names it
--               folder = "diffusion_models",           -- the ComfyUI model folder holding it
--               node_id = "37", class_type = "UNETLoader", input = "unet_name" }
--
-- The comfy-proxy module asks once for every model a submitted prompt names (checkpoints,
-- LoRAs, VAEs, UNets, text encoders, ControlNets, upscalers, embeddings, any custom loader's
-- model); the first deny refuses the prompt with 403, naming the model and the reason.
--
-- Per role or group G (the role counts as a group), patterns are matched against
-- "<folder>/<name>", lower-cased; `*` matches any run of characters:
--   model_deny_<G>    denied patterns: a match is refused
--   model_allow_<G>   allowed patterns: when set, a model matching none of them is refused
-- A user is refused when any of their roles/groups refuses. The owner and admins are never
-- limited. Without any model_deny_/model_allow_ setting this script does nothing.
--
-- Settings, for example:
--   model_deny_free    "diffusion_models/*, *wan2*, *hunyuan*video*, *ltx-video*"
--   model_allow_trial  "checkpoints/sd15*, loras/*"

local settings = require("settings")
local roles = require("roles")

--- A `*` glob as an anchored Lua pattern (every other character literal).
local function globPattern(glob)
    local escaped = glob:gsub("[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0")
    return "^" .. escaped:gsub("%*", ".*") .. "$"
end

local function patterns(text)
    local list = {}
    for _, glob in ipairs(settings.split(text)) do
        list[#list + 1] = { glob = glob, pattern = globPattern(glob) }
    end
    return list
end

local DENY, ALLOW = {}, {}
local any = false
for name, value in pairs(policy.settings) do
    local group = name:match("^model_deny_(.+)$")
    if group then
        DENY[group:lower()] = patterns(value)
        any = true
    end
    group = name:match("^model_allow_(.+)$")
    if group then
        ALLOW[group:lower()] = patterns(value)
        any = true
    end
end
if not any then
    return
end

local function matching(list, path)
    for _, entry in ipairs(list) do
        if path:find(entry.pattern) then
            return entry.glob
        end
    end
    return nil
end

local function groupsOf(subject)
    local names = { string.lower(subject.role or "") }
    for _, group in ipairs(subject.groups or {}) do
        names[#names + 1] = string.lower(group)
    end
    return names
end

policy.on("model", function(subject, request)
    if roles.isAdmin(subject) then
        return
    end
    local path = string.lower((request.folder or "") .. "/" .. (request.name or ""))
    for _, group in ipairs(groupsOf(subject)) do
        local deny = DENY[group] and matching(DENY[group], path)
        if deny then
            return false, "the model " .. request.name .. " is not available to the " .. group ..
                " group (matches " .. deny .. ")"
        end
        if ALLOW[group] and not matching(ALLOW[group], path) then
            return false, "the model " .. request.name .. " is not among the models of the " .. group .. " group"
        end
    end
end)

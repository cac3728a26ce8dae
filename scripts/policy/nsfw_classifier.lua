-- nsfw_classifier.lua: hook `event` (asynchronous) - ask our NSFW classifier about each
-- finished image.
--
--   event   = { type = "execution_success", prompt_id = "6f1c...",
--               outputs = { { filename = "ComfyUI_00001_.png", subfolder = "7",
--                             type = "output", node_id = "9" }, ... } }
--   subject = the prompt owner (user_id, username, role, groups, sfw_check, ...)
--
-- For every image output of a finished prompt the classifier is asked with Hugging Face's
-- image-classification inference shape:
--   POST <nsfw_classifier_url>   {"inputs": "<the image's URL>"}
--        → [{"label": "nsfw", "score": 0.93}, {"label": "normal", "score": 0.07}]
-- The image's URL is <nsfw_classifier_image_base>/view?filename=...&subfolder=...&type=...:
-- ComfyUI itself as the classifier reaches it (the classifier runs next to ComfyUI, inside
-- the operator's network). When the "nsfw" label scores at least the threshold, the image is
-- tagged with policy.tag(file, {"nsfw"}), and the `view` hook (nsfw.lua) then keeps it from
-- users with sfw_check. A classifier that fails or answers something else leaves the image
-- untagged and logs why.
--
-- Settings:
--   nsfw_classifier_url          the classifier's endpoint (default none: this script does nothing)
--   nsfw_classifier_image_base   where the classifier fetches images: ComfyUI's URL, e.g.
--                                "http://127.0.0.1:8188" (required with the URL)
--   nsfw_classifier_threshold    0..1, default 0.8
--   nsfw_classifier_token        sent as "Authorization: Bearer <token>" when set (Hugging Face)
-- The classifier's host must be listed in the server's policy.http.allow_hosts.

local settings = require("settings")

local URL = settings.text("nsfw_classifier_url", nil)
if URL == nil then
    return
end
local IMAGE_BASE = settings.text("nsfw_classifier_image_base", nil)
if IMAGE_BASE == nil then
    error("policy.settings.nsfw_classifier_image_base is required with nsfw_classifier_url")
end
local THRESHOLD = settings.number("nsfw_classifier_threshold", 0.8)
local TOKEN = settings.text("nsfw_classifier_token", nil)

local IMAGE_EXTENSIONS = { png = true, jpg = true, jpeg = true, webp = true, gif = true }

local function encode(value)
    return (string.gsub(value, "[^%w%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

local function isImage(filename)
    local extension = filename:match("%.([%w]+)$")
    return extension ~= nil and IMAGE_EXTENSIONS[extension:lower()] == true
end

--- The score of the "nsfw" label in a Hugging Face classification answer, or nil.
local function nsfwScore(answer)
    if type(answer) ~= "table" then
        return nil
    end
    for _, entry in ipairs(answer) do
        if type(entry) == "table" and type(entry.label) == "string" and entry.label:lower() == "nsfw" then
            return tonumber(entry.score)
        end
    end
    return nil
end

local function classify(file)
    local imageUrl = IMAGE_BASE .. "/view?filename=" .. encode(file.filename) .. "&subfolder=" ..
        encode(file.subfolder or "") .. "&type=" .. encode(file.type or "output")
    local headers = { ["Content-Type"] = "application/json" }
    if TOKEN then
        headers["Authorization"] = "Bearer " .. TOKEN
    end
    local answer = policy.http{ url = URL, method = "POST", headers = headers, json = { inputs = imageUrl } }
    if answer.status ~= 200 then
        policy.log("nsfw_classifier: " .. file.filename .. ": the classifier answered " .. tostring(answer.status))
        return
    end
    local score = nsfwScore(answer.json)
    if score == nil then
        policy.log("nsfw_classifier: " .. file.filename .. ": no nsfw label in the classifier's answer")
        return
    end
    if score >= THRESHOLD then
        policy.tag({ filename = file.filename, subfolder = file.subfolder, type = file.type }, { "nsfw" })
    end
end

policy.on("event", function(subject, event)
    if event.type ~= "execution_success" then
        return
    end
    for _, file in ipairs(event.outputs or {}) do
        if type(file.filename) == "string" and isImage(file.filename) then
            classify(file)
        end
    end
end)

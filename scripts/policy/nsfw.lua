-- nsfw.lua: hook `view` (fail mode: closed) - may this user see this output image?
--
--   subject = { username = "alice", role = "user", groups = { ... },
--               sfw_check = true }      -- true (or absent): keep NSFW content away
--   request = { filename = "ComfyUI_00042_.png", subfolder = "alice", type = "output",
--               nsfw = true,            -- the server-side classifier's tag; nil = unknown
--               prompt_text = "..." }   -- the positive prompt that made it; may be absent
--
-- Users with sfw_check (and guests, always) are denied an image that is tagged NSFW, and an
-- image whose prompt contains one of the blocked terms as a whole word (case-insensitive;
-- see lib/text.lua for what counts as a word). Users without sfw_check see everything.
-- The reason says why, without repeating more than the matched term.
--
-- Settings:
--   nsfw_terms   comma-separated words or phrases, e.g. "nude, nsfw, explicit" (default none)

local settings = require("settings")
local text = require("text")

local TERMS = settings.list("nsfw_terms", "")

policy.on("view", function(subject, request)
    local enforced = subject.sfw_check ~= false or subject.role == "guest"
    if not enforced then
        return
    end
    if request.nsfw == true then
        return false, "NSFW content blocked: the image is tagged NSFW"
    end
    local term = text.findWord(request.prompt_text, TERMS)
    if term then
        return false, "NSFW content blocked: the prompt contains the blocked term '" .. term .. "'"
    end
end)

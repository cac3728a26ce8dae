-- download.lua: hook `download` (fail mode: closed) - may this user download this model?
--
--   subject = { username = "alice", role = "user", groups = { ... } }   -- who queued it
--   request = { source = "civitai",            -- "civitai" | "huggingface"
--               folder_type = "loras",          -- the ComfyUI model folder to write into
--               destination_type = "local",     -- "local" | "s3"
--               size_bytes = 228000000,         -- nil when the size is not known yet
--               filename = "detail.safetensors",-- Hugging Face path, or the source's file name
--               model_version_id = "138296",    -- CivitAI only
--               repo_id = "org/name",           -- Hugging Face only
--               target_username = "bob" }       -- when an admin queues it for someone else
--
-- The model-download module asks twice: when the request arrives (no size_bytes yet; a
-- deny answers 403 with the reason) and again once the source has named the file and its
-- size (a deny fails the job with the reason).
--
-- Rules, per role:
--   guest          never (not configurable)
--   user, power    sources in download_sources, folder types in download_folder_types,
--                  files up to download_max_gb (user) / download_max_gb_power (power)
--   admin, owner   any source and folder type, no size cap
--   everyone       never into custom_nodes or configs (code and configuration, not models)
-- Unknown roles are denied. When size_bytes is absent the size cap cannot apply; the second
-- call, after resolution, carries it.
--
-- Settings (lists are comma-separated; "*" allows everything):
--   download_sources              default "civitai,huggingface"
--   download_folder_types         default "checkpoints,loras,vae,embeddings,controlnet,
--                                 upscale_models,clip,clip_vision,unet,diffusion_models,
--                                 text_encoders"
--   download_max_gb               user cap in GiB, default 20 (0 = no cap)
--   download_sources_<role>, download_folder_types_<role>, download_max_gb_<role>
--                                 per-role overrides for user, power, admin and owner
--                                 (power's cap defaults to 100)

local settings = require("settings")

local GIB = 1024 * 1024 * 1024
local NEVER_FOLDERS = { custom_nodes = true, configs = true }

local DEFAULT_SOURCES = settings.text("download_sources", "civitai,huggingface")
local DEFAULT_FOLDERS = settings.text("download_folder_types",
    "checkpoints,loras,vae,embeddings,controlnet,upscale_models,clip,clip_vision,unet," ..
    "diffusion_models,text_encoders")

local function rule(role, defaults)
    return {
        sources = settings.set("download_sources_" .. role, defaults.sources),
        folders = settings.set("download_folder_types_" .. role, defaults.folders),
        maxBytes = settings.number("download_max_gb_" .. role, defaults.maxGb) * GIB,
    }
end

local RULES = {
    owner = rule("owner", { sources = "*", folders = "*", maxGb = 0 }),
    admin = rule("admin", { sources = "*", folders = "*", maxGb = 0 }),
    power = rule("power", { sources = DEFAULT_SOURCES, folders = DEFAULT_FOLDERS, maxGb = 100 }),
    user = rule("user", { sources = DEFAULT_SOURCES, folders = DEFAULT_FOLDERS,
                          maxGb = settings.number("download_max_gb", 20) }),
}

local function allows(set, value)
    return set["*"] == true or (type(value) == "string" and set[value:lower()] == true)
end

local function gigabytes(bytes)
    return string.format("%.1f GiB", bytes / GIB)
end

policy.on("download", function(subject, request)
    local role = subject.role
    if role == "guest" then
        return false, "guests may not download models"
    end
    local limits = RULES[role]
    if limits == nil then
        return false, "the role '" .. tostring(role) .. "' may not download models"
    end

    local folder = request.folder_type
    if type(folder) ~= "string" or folder == "" then
        return false, "the download names no model folder"
    end
    if NEVER_FOLDERS[folder:lower()] then
        return false, "downloads into '" .. folder .. "' are never allowed"
    end
    if not allows(limits.folders, folder) then
        return false, "your role may not download into '" .. folder .. "'"
    end

    if not allows(limits.sources, request.source) then
        return false, "your role may not download from '" .. tostring(request.source) .. "'"
    end

    local size = request.size_bytes
    if type(size) == "number" and limits.maxBytes > 0 and size > limits.maxBytes then
        return false, string.format("the file is %s; your role may download up to %s",
            gigabytes(size), gigabytes(limits.maxBytes))
    end
end)

-- model_families_test.lua: no video models for the free group; the trial group only has
-- SD 1.5 checkpoints and LoRAs (model_families.lua). Run: comfygate policy test
--
-- @setting model_deny_free = diffusion_models/*, *wan2*, *hunyuan*video*
-- @setting model_allow_trial = checkpoints/sd15*, loras/*

local free = { username = "fay", role = "user", groups = { "free" } }
local trial = { username = "tom", role = "user", groups = { "trial" } }
local admin = { username = "ada", role = "admin", groups = { "free" } }

local function model(folder, name)
    return { name = name, folder = folder, node_id = "4", class_type = "Loader", input = "name" }
end

local ok, reason = policy.call("model", free, model("diffusion_models", "wan2.1_t2v_14B.safetensors"))
assert(ok == false, "a video model is refused to the free group")
assert(reason:find("wan2.1_t2v_14B.safetensors", 1, true), reason)
assert(reason:find("free", 1, true), reason)

ok = policy.call("model", free, model("loras", "Wan2.2-motion.safetensors"))
assert(ok == false, "patterns match any case, in any folder")

assert(policy.call("model", free, model("checkpoints", "sd15.safetensors")) == nil, "other models are fine")
assert(policy.call("model", admin, model("diffusion_models", "wan2.1_t2v_14B.safetensors")) == nil,
       "admins are never limited")

assert(policy.call("model", trial, model("checkpoints", "sd15-pruned.safetensors")) == nil)
assert(policy.call("model", trial, model("loras", "detail.safetensors")) == nil)
ok, reason = policy.call("model", trial, model("checkpoints", "sdxl_base.safetensors"))
assert(ok == false, "an allow list refuses what it does not name")
assert(reason:find("trial", 1, true), reason)

assert(policy.call("model", { username = "u", role = "user", groups = {} },
                   model("diffusion_models", "wan2.1.safetensors")) == nil, "unlisted groups are not limited")

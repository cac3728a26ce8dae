-- nsfw_classifier_test.lua: every finished image is sent to the classifier; the ones it calls
-- nsfw are tagged (nsfw_classifier.lua). Run: comfygate policy test
--
-- @setting nsfw_classifier_url = http://classifier.internal/models/nsfw
-- @setting nsfw_classifier_image_base = http://comfyui.internal:8188
-- @setting nsfw_classifier_threshold = 0.8

local owner = { user_id = "7", username = "alice", role = "user", groups = {}, sfw_check = true }

local function finished(outputs)
    return { type = "execution_success", prompt_id = "p1", outputs = outputs }
end

-- Hugging Face's image-classification answer.
policy.test.stub_http("http://classifier.internal/models/nsfw",
                      { status = 200, json = { { label = "nsfw", score = 0.93 }, { label = "normal", score = 0.07 } } })
policy.call("event", owner, finished({
    { filename = "ComfyUI_00001_.png", subfolder = "7", type = "output", node_id = "9" },
    { filename = "clip.mp4", subfolder = "7", type = "output", node_id = "12" },
}))
local calls = policy.test.http_calls()
assert(#calls == 1, "only images are classified")
assert(calls[1].method == "POST")
assert(calls[1].body:find("http://comfyui.internal:8188/view?filename=ComfyUI_00001_.png&subfolder=7&type=output",
                          1, true), calls[1].body)
local tags = policy.test.tags()
assert(#tags == 1, "an image scored above the threshold is tagged")
assert(tags[1].filename == "ComfyUI_00001_.png" and tags[1].subfolder == "7" and tags[1].type == "output")
assert(tags[1].tags[1] == "nsfw")

policy.test.reset()
policy.test.stub_http("http://classifier.internal/models/nsfw",
                      { status = 200, json = { { label = "normal", score = 0.6 }, { label = "nsfw", score = 0.4 } } })
policy.call("event", owner, finished({ { filename = "b.png", subfolder = "7", type = "output", node_id = "9" } }))
assert(#policy.test.tags() == 0, "below the threshold nothing is tagged")

policy.test.reset()
policy.test.stub_http("http://classifier.internal/models/nsfw", { status = 503, body = "loading" })
policy.call("event", owner, finished({ { filename = "c.png", subfolder = "7", type = "output", node_id = "9" } }))
assert(#policy.test.tags() == 0, "a failing classifier tags nothing")

policy.call("event", owner, { type = "download_finished", job_id = "j1", source = "civitai", filename = "x",
                              folder = "loras", size_bytes = 1, sha256 = "00" })
assert(#policy.test.http_calls() == 1, "other events are not classified")

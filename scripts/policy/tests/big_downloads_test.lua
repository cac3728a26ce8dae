-- big_downloads_test.lua: a notification when a user downloads more than the daily
-- threshold (big_downloads.lua). Run: comfygate policy test
--
-- @setting big_download_channel = ops
-- @setting big_download_gb = 10

local GIB = 1024 * 1024 * 1024
local alice = { username = "alice", role = "user", groups = {} }

local function finished(gib, filename)
    return { type = "download_finished", job_id = "j-" .. filename, source = "civitai",
             filename = filename, folder = "checkpoints", size_bytes = gib * GIB, sha256 = "00" }
end

policy.test.set_time(1796720400) -- 2026-12-08 09:00:00 UTC

-- What the event hook returns is ignored; it only reports.
policy.call("event", alice, finished(6, "a.safetensors"))
assert(#policy.test.notifications() == 0, "6 GiB is below the threshold")

policy.call("event", alice, finished(5, "b.safetensors"))
local sent = policy.test.notifications()
assert(#sent == 1, "crossing 10 GiB notifies once")
assert(sent[1].channel == "ops")
assert(sent[1].message == "alice downloaded 11.0 GiB today (more than 10.0 GiB)", sent[1].message)
assert(sent[1].fields.username == "alice")
assert(sent[1].fields.filename == "b.safetensors")
assert(sent[1].fields.total_mib == 11 * 1024)

policy.call("event", alice, finished(3, "c.safetensors"))
assert(#policy.test.notifications() == 1, "only the download that crosses the line reports")

-- Other users and other events are counted apart.
policy.call("event", { username = "bob", role = "user" }, finished(9, "d.safetensors"))
policy.call("event", alice, { type = "execution_success", prompt_id = "p1", outputs = {} })
assert(#policy.test.notifications() == 1)

-- The next day starts from zero.
policy.test.advance(24 * 3600)
policy.call("event", alice, finished(9, "e.safetensors"))
assert(#policy.test.notifications() == 1, "9 GiB on a new day is below the threshold")
policy.call("event", alice, finished(2, "f.safetensors"))
assert(#policy.test.notifications() == 2, "and crossing it again notifies again")

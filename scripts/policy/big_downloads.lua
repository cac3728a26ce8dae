-- big_downloads.lua: hook `event` (fail mode: open, asynchronous) - tell the operators when
-- someone downloads more than big_download_gb in a day.
--
--   subject = { username = "alice", role = "user", groups = { ... }, ... }   -- who asked
--   event   = { type = "download_finished", job_id = "...", source = "civitai",
--               filename = "model.safetensors", folder = "checkpoints",
--               size_bytes = 6938040682, sha256 = "..." }
--
-- Every finished download adds its size (in MiB, rounded up: a counter step is at most
-- 10^9) to the user's total for the day (UTC) in
-- policy.counter("download_mib_daily", "<username>@<date>"). The download that takes the
-- total over the threshold sends one notification to big_download_channel with the user,
-- the day's total and the file; later downloads that day send nothing more. The event hook
-- runs after the download, off the request path: what it returns is ignored, so it can
-- report but not refuse (the `download` hook refuses, see download.lua).
--
-- Settings (off unless big_download_channel is set):
--   big_download_channel   the notification channel, configured as policy.channels.<name>.*
--   big_download_gb        the daily threshold in GiB, default 10

local settings = require("settings")

local CHANNEL = settings.text("big_download_channel", nil)
local MIB = 1024 * 1024
local THRESHOLD = settings.number("big_download_gb", 10) * 1024 -- in MiB

if CHANNEL == nil then
    return -- not configured: no handler
end

local function gigabytes(mebibytes)
    return string.format("%.1f GiB", mebibytes / 1024)
end

policy.on("event", function(subject, event)
    if event.type ~= "download_finished" then
        return
    end
    local bytes = math.tointeger(event.size_bytes)
    if bytes == nil or bytes <= 0 then
        return
    end
    local size = (bytes + MIB - 1) // MIB
    local user = tostring(subject.username or "unknown")
    local now = policy.localtime("UTC")
    local day = string.format("%04d-%02d-%02d", now.year, now.month, now.day)
    local untilMidnight = 86400 - (now.hour * 3600 + now.min * 60 + now.sec)
    local total = policy.counter("download_mib_daily", user .. "@" .. day):incr(size, untilMidnight + 3600)
    -- Only the download that crosses the line reports, even with concurrent downloads:
    -- incr is atomic, so exactly one of them sees the total go from <= to > the threshold.
    if total - size <= THRESHOLD and total > THRESHOLD then
        policy.notify(CHANNEL, string.format("%s downloaded %s today (more than %s)",
            user, gigabytes(total), gigabytes(THRESHOLD)), {
            username = user,
            total_mib = total,
            threshold_mib = THRESHOLD,
            filename = event.filename,
            source = event.source,
            job_id = event.job_id,
        })
    end
end)

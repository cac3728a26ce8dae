#pragma once

#include "DownloadJob.h"

#include <chrono>
#include <iosfwd>
#include <string>

namespace comfygate::modeldownload {

/// Draws a download job's progress for a person at a terminal: on a TTY one line redrawn in
/// place (`[#####-----]  42.1%  12.3 MB/s  ETA 0:12  name`), otherwise (a log, a pipe) plain
/// lines, one per status change and at most one every `plainInterval` while running.
class ProgressBar
{
public:
    ProgressBar(std::ostream& out, bool terminal, std::chrono::milliseconds plainInterval = std::chrono::seconds(1));

    /// Shows the job's current state (redraws, or prints a line when one is due).
    void update(const DownloadJob& job);
    /// Shows the final state and ends the line.
    void finish(const DownloadJob& job);

    /// The text of one progress line (no control characters).
    static std::string describe(const DownloadJob& job, int barWidth);
    /// "12.3 MB/s"
    static std::string rate(double bytesPerSecond);
    /// "0:07", "12:30", "1:02:03"; "--:--" when unknown.
    static std::string duration(double seconds);

private:
    std::ostream& _out;
    bool _terminal;
    std::chrono::milliseconds _plainInterval;
    JobStatus _lastStatus = JobStatus::Queued;
    bool _printed = false;
    std::chrono::steady_clock::time_point _lastLine{};
};

} // namespace comfygate::modeldownload

#include "ProgressBar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace comfygate::modeldownload {
namespace {

constexpr int terminalBarWidth = 30;

std::string mebibytes(std::int64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

std::string what(const DownloadJob& job)
{
    if (!job.destination.empty())
        return job.destination;
    if (job.request.source == "civitai")
        return "CivitAI version " + job.request.modelVersionId;
    return job.request.repoId + "/" + job.request.filename;
}

} // namespace

ProgressBar::ProgressBar(std::ostream& out, bool terminal, std::chrono::milliseconds plainInterval)
    : _out(out), _terminal(terminal), _plainInterval(plainInterval)
{
}

std::string ProgressBar::rate(double bytesPerSecond)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB/s", std::max(0.0, bytesPerSecond) / 1e6);
    return text;
}

std::string ProgressBar::duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "--:--";
    const auto total = static_cast<long long>(std::llround(seconds));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
    return text;
}

std::string ProgressBar::describe(const DownloadJob& job, int barWidth)
{
    const bool known = job.totalBytes > 0;
    double fraction = 0;
    if (job.status == JobStatus::Completed)
        fraction = 1;
    else if (known)
        fraction = std::clamp(static_cast<double>(job.bytesDone) / job.totalBytes, 0.0, 1.0);

    std::string line;
    if (barWidth > 0) {
        const int filled = static_cast<int>(fraction * barWidth);
        line = "[" + std::string(filled, '#') + std::string(barWidth - filled, '-') + "] ";
    }
    char percent[16];
    std::snprintf(percent, sizeof percent, "%5.1f%%", fraction * 100);
    line += percent;
    line += "  " + rate(job.status == JobStatus::Running ? job.speedBps : 0);
    double eta = -1;
    if (job.status == JobStatus::Completed)
        eta = 0;
    else if (job.status == JobStatus::Running && known && job.speedBps > 0)
        eta = static_cast<double>(job.totalBytes - job.bytesDone) / job.speedBps;
    line += "  ETA " + duration(eta);
    line += "  " + mebibytes(job.bytesDone) + (known ? " of " + mebibytes(job.totalBytes) : "");
    line += "  " + std::string(toString(job.status)) + "  " + what(job);
    if (job.status == JobStatus::Failed)
        line += ": " + job.error;
    return line;
}

void ProgressBar::update(const DownloadJob& job)
{
    const auto now = std::chrono::steady_clock::now();
    if (_terminal) {
        // \r and "erase to end of line": one line, redrawn in place.
        _out << "\r" << describe(job, terminalBarWidth) << "\x1b[K" << std::flush;
    } else if (!_printed || job.status != _lastStatus || now - _lastLine >= _plainInterval) {
        _out << describe(job, 0) << "\n" << std::flush;
        _lastLine = now;
    }
    _printed = true;
    _lastStatus = job.status;
}

void ProgressBar::finish(const DownloadJob& job)
{
    if (_terminal)
        _out << "\r" << describe(job, terminalBarWidth) << "\x1b[K\n" << std::flush;
    else if (!_printed || job.status != _lastStatus)
        _out << describe(job, 0) << "\n" << std::flush;
    _printed = true;
    _lastStatus = job.status;
}

} // namespace comfygate::modeldownload

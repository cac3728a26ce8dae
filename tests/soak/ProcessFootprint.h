#pragma once

#include <string>
#include <sys/types.h>

namespace comfygate::soak {

/// What a process holds at one moment: resident memory (VmRSS of /proc/<pid>/status), open file
/// descriptors (entries of /proc/<pid>/fd) and threads.
struct ProcessFootprint
{
    long rssKiB = 0;
    int openFds = 0;
    int threads = 0;

    static ProcessFootprint of(pid_t pid);
    /// Samples until two readings 250 ms apart agree on the descriptors (connections that just
    /// ended are closed by then), at most `maxWaitMs`; the last reading.
    static ProcessFootprint settled(pid_t pid, int maxWaitMs = 5000);

    /// (later - earlier) / earlier in percent; 0 when earlier is 0.
    static double growthPercent(double earlier, double later);
    std::string describe() const;
};

} // namespace comfygate::soak

#pragma once

#include "TempDir.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace comfygate::bench {

/// A reference server for the benchmarks (bench_reference_poco, the aiohttp script): started
/// with `args` (args[0] a path), it prints its loopback port as the first line of stdout; the
/// constructor waits for that line (10 s) and the destructor stops it with SIGTERM (SIGKILL
/// after 5 s). Output goes to files in its own temp dir.
class ReferenceProcess
{
public:
    explicit ReferenceProcess(std::vector<std::string> args, std::vector<std::string> environment = {});
    ~ReferenceProcess();
    ReferenceProcess(const ReferenceProcess&) = delete;
    ReferenceProcess& operator=(const ReferenceProcess&) = delete;

    unsigned port() const { return _port; }
    pid_t pid() const { return _pid; }
    std::string stderrText() const;

private:
    comfygate::test::TempDir _dir;
    pid_t _pid = -1;
    unsigned _port = 0;
};

} // namespace comfygate::bench

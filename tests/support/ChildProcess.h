#pragma once

#include <chrono>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace comfygate::test {

/// Starts `args[0]` (a path, not looked up in PATH) with `args`, stdin read from the file `in`,
/// stdout and stderr written to the files `out` and `err`, exactly `environment` ("NAME=value"
/// entries) as its environment and an empty signal mask. Throws std::runtime_error when the
/// program cannot be started.
pid_t spawnProcess(const std::vector<std::string>& args, const std::vector<std::string>& environment,
                   const std::string& in, const std::string& out, const std::string& err);

/// The whole content of a file; "" when there is none.
std::string fileText(const std::string& path);

/// What a program run to completion did.
struct ProgramResult
{
    int exitStatus = -1; ///< the exit status; -1 when a signal ended it
    bool timedOut = false; ///< killed (SIGKILL) after the time it was given
    std::string out;
    std::string err;
};

/// Runs `args` (see spawnProcess) with PATH=/usr/bin:/bin, HOME and TMPDIR in a fresh
/// temporary directory, plus `environment`; waits for it, killing it after `timeout`.
ProgramResult runProgram(const std::vector<std::string>& args, const std::map<std::string, std::string>& environment,
                         std::chrono::seconds timeout);

} // namespace comfygate::test

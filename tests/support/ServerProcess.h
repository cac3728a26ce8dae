#pragma once

#include "TempDir.h"

#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace comfygate::test {

/// Runs the real `comfygate` binary as a child process with its own data directory, on
/// port 0, and waits until it listens. Output goes to files in the temp dir (stdout(),
/// stderr()). The destructor stops the server with SIGTERM (SIGKILL after 10 s).
/// In a sanitizer build the child's reports go to files in the temp dir, collected when it
/// exits (SanitizerReports), which fails the running test.
class ServerProcess
{
public:
    /// `overrides` become `--set key=value`; `environment` is added to a clean environment.
    explicit ServerProcess(std::map<std::string, std::string> overrides = {},
                           std::map<std::string, std::string> environment = {});
    ~ServerProcess();

    /// Starts `comfygate [--set ...] serve` and waits for the port file (throws on timeout
    /// or early exit, with the server's stderr in the message).
    void start();
    /// SIGTERM and wait; returns the exit status.
    int stop();
    /// SIGKILL and wait, like a crash.
    void kill9();
    /// Sends a signal without waiting.
    void signal(int signal);

    unsigned port() const { return _port; }
    const std::string& dataDir() const { return _dataDir; }
    std::string stdoutText() const;
    std::string stderrText() const;
    bool running() const { return _pid > 0; }
    /// The server's process id (for /proc/<pid>/status), -1 when not running.
    pid_t pid() const { return _pid; }
    /// One sample of `GET /metrics` (the full name, e.g. comfygate_http_connections_idle);
    /// nothing when the server does not export it.
    std::optional<double> metric(const std::string& name) const;

    /// Runs `comfygate [--set ...] <words>` to completion (same configuration, no server)
    /// with `input` on stdin; returns the exit status and fills out/err.
    int runCommand(const std::vector<std::string>& words, std::string& out, std::string& err,
                   const std::string& input = {}) const;

    TempDir& temp() { return _temp; }

private:
    std::vector<std::string> baseArguments(bool command = false) const;
    pid_t spawn(const std::vector<std::string>& args, const std::string& in, const std::string& out,
                const std::string& err) const;
    int wait(int timeoutSeconds);
    std::string sanitizerLogPrefix() const;

    TempDir _temp;
    std::string _dataDir;
    std::map<std::string, std::string> _overrides;
    std::map<std::string, std::string> _environment;
    bool _commandsLogQuietly;
    pid_t _pid = -1;
    unsigned _port = 0;
};

} // namespace comfygate::test

#include "ReferenceProcess.h"

#include "ChildProcess.h"

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>

namespace comfygate::bench {

ReferenceProcess::ReferenceProcess(std::vector<std::string> args, std::vector<std::string> environment)
{
    if (environment.empty())
        environment = {"PATH=/usr/bin:/bin", "HOME=" + _dir.path(), "TMPDIR=" + _dir.path()};
    _pid = comfygate::test::spawnProcess(args, environment, _dir.write("stdin", ""), _dir.file("stdout"),
                                         _dir.file("stderr"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        const std::string out = comfygate::test::fileText(_dir.file("stdout"));
        const auto newline = out.find('\n');
        if (newline != std::string::npos) {
            _port = static_cast<unsigned>(std::stoul(out.substr(0, newline)));
            return;
        }
        int status = 0;
        if (::waitpid(_pid, &status, WNOHANG) == _pid) {
            _pid = -1;
            throw std::runtime_error(args[0] + " exited early: " + stderrText());
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error(args[0] + " printed no port within 10 s: " + stderrText());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

ReferenceProcess::~ReferenceProcess()
{
    if (_pid <= 0)
        return;
    ::kill(_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(_pid, &status, WNOHANG) != _pid) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string ReferenceProcess::stderrText() const
{
    return comfygate::test::fileText(_dir.file("stderr"));
}

} // namespace comfygate::bench

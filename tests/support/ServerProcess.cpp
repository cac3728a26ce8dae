#include "ServerProcess.h"
#include "ChildProcess.h"
#include "HttpTestClient.h"
#include "SanitizerReports.h"
#include "TestPaths.h"

#include <chrono>
#include <csignal>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace comfygate::test {

ServerProcess::ServerProcess(std::map<std::string, std::string> overrides,
                             std::map<std::string, std::string> environment)
    : _dataDir(_temp.file("data")), _overrides(std::move(overrides)), _environment(std::move(environment)),
      _commandsLogQuietly(_overrides.count("log.level") == 0)
{
    _overrides.emplace("data.dir", _dataDir);
    _overrides.emplace("http.host", "127.0.0.1");
    _overrides.emplace("http.port", "0");
    _overrides.emplace("http.port_file", _temp.file("port"));
    _overrides.emplace("http.drain_seconds", "2");
    _overrides.emplace("policy.watch_seconds", "0");
    // Every worker thread loads all shipped scripts into its own Lua state on its first call;
    // on a CI machine busy with two parallel suites a thread can be descheduled for longer than
    // the production deadline of 100 ms, which then fails that call. Runaway scripts are still
    // stopped by the instruction budget; a test of the deadline sets its own value.
    _overrides.emplace("policy.max_millis", "2000");
    _overrides.emplace("log.level", "information");
}

ServerProcess::~ServerProcess()
{
    if (_pid > 0) {
        ::kill(_pid, SIGTERM);
        if (wait(10) < -1) {
            ::kill(_pid, SIGKILL);
            wait(10);
        }
    }
}

std::vector<std::string> ServerProcess::baseArguments(bool command) const
{
    std::vector<std::string> args{COMFYGATE_BINARY};
    for (const auto& [key, value] : _overrides) {
        // The server logs at information for the tests to read; a command run the way an
        // operator runs it stays quiet unless the test asked for a log level itself.
        if (command && key == "log.level" && _commandsLogQuietly)
            continue;
        args.push_back("--set");
        args.push_back(key + "=" + value);
    }
    return args;
}

pid_t ServerProcess::spawn(const std::vector<std::string>& args, const std::string& in, const std::string& out,
                           const std::string& err) const
{
    std::vector<std::string> envText{"PATH=/usr/bin:/bin", "HOME=" + _temp.path(), "TMPDIR=" + _temp.path()};
    for (const auto& [name, value] : _environment)
        envText.push_back(name + "=" + value);
    for (auto& entry : SanitizerReports::childEnvironment(sanitizerLogPrefix()))
        envText.push_back(std::move(entry));
    return spawnProcess(args, envText, in, out, err);
}

void ServerProcess::start()
{
    const std::string portFile = _temp.file("port");
    ::unlink(portFile.c_str());
    auto args = baseArguments();
    args.push_back("serve");
    _temp.write("stdin", "");
    _pid = spawn(args, _temp.file("stdin"), _temp.file("stdout"), _temp.file("stderr"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string text = fileText(portFile);
        if (!text.empty() && text.back() == '\n') {
            _port = static_cast<unsigned>(std::stoul(text));
            return;
        }
        int status = 0;
        if (::waitpid(_pid, &status, WNOHANG) == _pid) {
            const std::string report = SanitizerReports::collect(sanitizerLogPrefix(), _pid);
            _pid = -1;
            throw std::runtime_error("comfygate exited during startup: " + stderrText() + report);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("comfygate did not start listening within 30 s: " + stderrText());
}

int ServerProcess::wait(int timeoutSeconds)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    while (_pid > 0) {
        int status = 0;
        const pid_t done = ::waitpid(_pid, &status, WNOHANG);
        if (done == _pid) {
            SanitizerReports::collect(sanitizerLogPrefix(), _pid);
            _pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return -2;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

int ServerProcess::stop()
{
    if (_pid <= 0)
        return -1;
    ::kill(_pid, SIGTERM);
    const int status = wait(20);
    if (status == -2) {
        ::kill(_pid, SIGKILL);
        wait(10);
        throw std::runtime_error("comfygate did not stop within 20 s of SIGTERM");
    }
    return status;
}

void ServerProcess::kill9()
{
    if (_pid <= 0)
        return;
    ::kill(_pid, SIGKILL);
    wait(10);
}

void ServerProcess::signal(int number)
{
    if (_pid > 0)
        ::kill(_pid, number);
}

std::string ServerProcess::sanitizerLogPrefix() const { return _temp.file("sanitizer"); }

std::string ServerProcess::stdoutText() const { return fileText(_temp.file("stdout")); }
std::string ServerProcess::stderrText() const { return fileText(_temp.file("stderr")); }

int ServerProcess::runCommand(const std::vector<std::string>& words, std::string& out, std::string& err,
                              const std::string& input) const
{
    auto args = baseArguments(true);
    args.insert(args.end(), words.begin(), words.end());
    const std::string inFile = _temp.write("command.in", input);
    const pid_t pid = spawn(args, inFile, _temp.file("command.out"), _temp.file("command.err"));
    int status = 0;
    ::waitpid(pid, &status, 0);
    SanitizerReports::collect(sanitizerLogPrefix(), pid);
    out = fileText(_temp.file("command.out"));
    err = fileText(_temp.file("command.err"));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<double> ServerProcess::metric(const std::string& name) const
{
    const auto answer = HttpTestClient(_port).get("/metrics");
    if (answer.status != 200)
        throw std::runtime_error("GET /metrics answered " + std::to_string(answer.status));
    std::istringstream lines(answer.body);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(name + " ", 0) == 0)
            return std::stod(line.substr(name.size() + 1));
    }
    return std::nullopt;
}

} // namespace comfygate::test

#include "S3Server.h"
#include "TestPaths.h"

#include "HttpTestClient.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <poll.h>

#include <chrono>
#include <stdexcept>

namespace comfygate::test {

std::string S3Server::installDir()
{
    return Poco::Environment::get("COMFYGATE_S3RVER_DIR", std::string(COMFYGATE_BUILD_DIR) + "/s3rver");
}

S3Server::S3Server(std::string bucket) : _bucket(std::move(bucket))
{
    const std::string modules = installDir() + "/node_modules";
    if (!Poco::File(modules + "/s3rver/package.json").exists())
        throw std::runtime_error("s3rver is not installed in " + installDir() +
                                 ": run `scripts/dev deps` (it installs tests/fakes/s3/package-lock.json there)");
    Poco::Path node;
    if (!Poco::Path::find(Poco::Environment::get("PATH", ""), "node", node))
        throw std::runtime_error("node is not on the PATH: run `scripts/dev deps`");

    Poco::Process::Args args{std::string(COMFYGATE_SOURCE_DIR) + "/tests/fakes/s3/server.js", _dir.path(), _bucket,
                             accessKeyId(), secretAccessKey()};
    Poco::Process::Env env{{"NODE_PATH", modules}};
    _process = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(node.toString(), args, _dir.path(), nullptr, &_output, &_output, env));

    // Read its output until it names its port; a server that neither starts nor dies within
    // the deadline must not hang the suite.
    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd ready{_output.readHandle(), POLLIN, 0};
        if (::poll(&ready, 1, 200) <= 0)
            continue;
        char buffer[512];
        const int got = _output.readBytes(buffer, sizeof buffer);
        if (got <= 0)
            break; // exited
        output.append(buffer, std::size_t(got));
        const std::string marker = "listening on 127.0.0.1:";
        const auto at = output.find(marker);
        if (at != std::string::npos && output.find('\n', at) != std::string::npos) {
            _port = unsigned(std::stoul(output.substr(at + marker.size())));
            return;
        }
    }
    Poco::Process::kill(*_process);
    _process->wait();
    throw std::runtime_error("the S3 test server did not start:\n" + output);
}

S3Server::~S3Server()
{
    try {
        Poco::Process::kill(*_process);
        _process->wait();
    } catch (...) {
    }
}

void S3Server::reset() const
{
    const auto result = HttpTestClient(_port).request("POST", "/__reset");
    if (result.status != 204)
        throw std::runtime_error("the S3 test server did not reset: HTTP " + std::to_string(result.status));
}

int S3Server::pendingMultipartUploads() const
{
    const Poco::File uploads(_dir.path() + "/" + _bucket + "/._S3rver_uploads");
    if (!uploads.exists())
        return 0;
    int count = 0;
    for (Poco::DirectoryIterator it(uploads), end; it != end; ++it)
        ++count;
    return count;
}

} // namespace comfygate::test

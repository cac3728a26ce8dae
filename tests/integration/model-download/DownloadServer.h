#pragma once
// The real comfygate with the auth and model-download modules, its own data and models
// directories, users made with the CLI and signed in over HTTP.

#include "HttpTestClient.h"
#include "ServerProcess.h"

#include <cppunit/TestAssert.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace comfygate::test {

class DownloadServer
{
public:
    using Headers = std::map<std::string, std::string>;

    /// `environment` is added to the server's (e.g. S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY).
    explicit DownloadServer(std::map<std::string, std::string> overrides = {},
                            std::map<std::string, std::string> environment = {})
    {
        std::map<std::string, std::string> settings{{"modules.enabled", "auth,model-download"},
                                                    {"downloads.allow_private_addresses", "true"},
                                                    {"downloads.retry_base_ms", "50"},
                                                    {"downloads.retry_max_ms", "200"}};
        for (auto& [key, value] : overrides)
            settings[key] = value;
        _modelsDir = settings.count("comfy.models_dir") ? settings["comfy.models_dir"] : _models.path();
        settings["comfy.models_dir"] = _modelsDir;
        environment["SECRET_KEY"] = secretKey;
        _process = std::make_unique<ServerProcess>(settings, environment);
    }

    void addUser(const std::string& name, const std::string& role)
    {
        std::string out, err;
        const int status = _process->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err,
                                                password(name) + "\n");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, status);
    }

    void start()
    {
        _process->start();
        _client = std::make_unique<HttpTestClient>(_process->port());
    }

    void restart()
    {
        _process->stop();
        start();
    }

    /// `kill -9`, then a fresh start on the same data.
    void crashAndRestart()
    {
        _process->kill9();
        start();
    }

    /// Bearer headers of a fresh session of `name`.
    Headers login(const std::string& name)
    {
        auto answer =
            _client->postJson("/login", R"({"username":")" + name + R"(","password":")" + password(name) + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return {{"Authorization", "Bearer " + answer.json()->getValue<std::string>("jwt_token")}};
    }

    HttpTestClient& client() { return *_client; }
    ServerProcess& process() { return *_process; }
    const std::string& modelsDir() const { return _modelsDir; }

    /// Polls GET jobs/{id} as `who` until `done` holds for the job object (or the timeout).
    Poco::JSON::Object::Ptr waitForJob(const Headers& who, const std::string& jobId,
                                       const std::function<bool(const Poco::JSON::Object::Ptr&)>& done,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(20))
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        Poco::JSON::Object::Ptr job;
        while (true) {
            auto answer = _client->get("/mss-login/api/model-download/jobs/" + jobId, who);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
            job = answer.json()->getObject("job");
            if (done(job) || std::chrono::steady_clock::now() > deadline)
                return job;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    static Poco::JSON::Object::Ptr waitForStatus(DownloadServer& server, const Headers& who, const std::string& jobId,
                                                 const std::string& status)
    {
        return server.waitForJob(who, jobId, [&](const Poco::JSON::Object::Ptr& job) {
            return job->getValue<std::string>("status") == status;
        });
    }

private:
    static constexpr const char* secretKey = "model-download-test-secret-key-0123456789";

    static std::string password(const std::string&) { return "violet-harbor-4242"; }

    TempDir _models;
    std::unique_ptr<ServerProcess> _process;
    std::unique_ptr<HttpTestClient> _client;
    std::string _modelsDir;
};

} // namespace comfygate::test

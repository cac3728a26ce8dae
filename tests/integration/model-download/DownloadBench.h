#pragma once
// The fake CivitAI and Hugging Face plus the real comfygate pointed at them, with a signed-in
// admin "ada" who has a CivitAI key stored, and the small steps the model-download suites
// that drive the binary share: queue a download, wait for its end, list the models folder,
// read the fakes' logs.

#include "DownloadServer.h"
#include "ModelSources.h"

#include <cppunit/TestAssert.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace comfygate::test {

class DownloadBench
{
public:
    using Headers = std::map<std::string, std::string>;
    static constexpr const char* base = "/mss-login/api/model-download";

    DownloadBench() : sources(std::make_unique<ModelSources>()) {}

    /// Starts the server against the fakes; `extra` overrides settings (`--set`).
    void start(const std::map<std::string, std::string>& extra = {}, const std::string& civitaiKey = "tok-ok")
    {
        std::map<std::string, std::string> settings{{"downloads.civitai.base_url", sources->civitai.apiUrl()},
                                                    {"downloads.huggingface.base_url", sources->hf.apiUrl()},
                                                    {"downloads.stall_seconds", "5"}};
        for (const auto& [key, value] : extra)
            settings[key] = value;
        server = std::make_unique<DownloadServer>(settings);
        server->addUser("ada", "admin");
        server->start();
        ada = server->login("ada");
        if (!civitaiKey.empty())
            storeKey("civitai", civitaiKey);
    }

    void storeKey(const std::string& source, const std::string& key)
    {
        Headers headers = ada;
        headers["Content-Type"] = "application/json";
        const auto answer =
            server->client().request("PUT", std::string(base) + "/api-keys",
                                     R"({"source":")" + source + R"(","api_key":")" + key + "\"}", headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
    }

    /// POST download as ada; the job id.
    std::string queue(const std::string& json)
    {
        auto queued = server->client().postJson(std::string(base) + "/download", json, ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(queued.body, 200, queued.status);
        return queued.json()->getValue<std::string>("job_id");
    }

    static bool finished(const Poco::JSON::Object::Ptr& job)
    {
        const std::string status = job->getValue<std::string>("status");
        return status == "completed" || status == "failed" || status == "cancelled";
    }

    Poco::JSON::Object::Ptr waitFinished(const std::string& id)
    {
        return server->waitForJob(ada, id, finished, std::chrono::seconds(30));
    }

    /// Waits for the job's end and asserts it completed (the error is the message otherwise).
    Poco::JSON::Object::Ptr waitCompleted(const std::string& id)
    {
        const auto job = waitFinished(id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(job->optValue<std::string>("error", ""), std::string("completed"),
                                     job->getValue<std::string>("status"));
        return job;
    }

    /// Waits for the job's end and returns its error, asserting it failed.
    std::string waitFailed(const std::string& id)
    {
        const auto job = waitFinished(id);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), job->getValue<std::string>("status"));
        return job->getValue<std::string>("error");
    }

    /// Regular files below the models folder, relative, sorted, joined with "|".
    std::string listing() const
    {
        namespace fs = std::filesystem;
        std::vector<std::string> names;
        if (fs::exists(server->modelsDir())) {
            for (const auto& entry : fs::recursive_directory_iterator(server->modelsDir())) {
                if (entry.is_regular_file())
                    names.push_back(entry.path().lexically_relative(server->modelsDir()).generic_string());
            }
        }
        std::sort(names.begin(), names.end());
        std::string joined;
        for (const auto& name : names)
            joined += (joined.empty() ? "" : "|") + name;
        return joined;
    }

    /// GETs logged by a listener of a fake ("api", "storage", "cdn").
    std::vector<fakes::LogEntry> gets(const fakes::FakeModelSource& fake, const std::string& listener) const
    {
        return fake.log([&](const fakes::LogEntry& e) { return e.listener == listener && e.method == "GET"; });
    }

    std::size_t storageGets() const { return sources->civitaiStorageGets(); }

    static fakes::Fault throttle(std::uint64_t bytesPerSecond)
    {
        fakes::Fault fault;
        fault.throttleBps = bytesPerSecond;
        return fault;
    }

    std::unique_ptr<ModelSources> sources;
    std::unique_ptr<DownloadServer> server;
    Headers ada;
};

} // namespace comfygate::test

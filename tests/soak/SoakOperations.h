#pragma once

#include "HttpTestClient.h"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate::soak {

class SoakRecorder;

/// An operation that did not end the way the API promises (status, shape, content).
class SoakFailure : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The soak's mixed load against one gateway with the real auth, comfy-proxy and
/// model-download modules: each operation is what a client does, checked end to end.
///   me        GET /mss-login/api/me with the worker's session
///   read      a proxied ComfyUI read (/object_info/KSampler, /queue, /system_stats, /history)
///   prompt    a WebSocket opened, POST /prompt with its clientId, events read to execution_success
///   upload    POST /upload/image (multipart), then /view of what was stored: the same bytes
///   login     POST /login, /me with the new session, /logout
///   download  POST model-download/download of a Hugging Face file (verified at the end)
///   reload    POST /mss-login/api/admin/policies/reload
class SoakOperations
{
public:
    using Headers = std::map<std::string, std::string>;

    struct Settings
    {
        unsigned port = 0;
        std::string password;            ///< of every account
        std::string adminName;           ///< may download and reload policies
        std::vector<std::string> users;  ///< role user, one per worker (round robin)
        std::string hfRepo;              ///< repository of the download files
        std::vector<std::string> files;  ///< their names, downloaded in turn (then again: already present)
        std::string downloadFolder = "loras";
        std::string modelsDir;           ///< where the gateway publishes them
    };

    /// One load thread's identity: its account and session.
    struct Worker
    {
        int index = 0;
        std::string user;
        Headers session;
        long long done = 0; ///< operations run, for unique names
    };

    explicit SoakOperations(Settings settings);

    /// Signs the worker's account in (throws SoakFailure).
    Worker worker(int index) const;
    /// The operation of the n-th slot of the mix.
    const std::string& pick(long long slot) const;
    /// Runs one operation (throws SoakFailure or a transport exception).
    void run(const std::string& operation, Worker& worker);
    /// Waits for every queued download to end and checks each published the expected file;
    /// failures go to `recorder` as operation "download-result".
    void verifyDownloads(SoakRecorder& recorder, int timeoutSeconds);
    std::size_t downloadsQueued() const;

private:
    Headers login(const std::string& name) const;
    void me(const Worker& worker) const;
    void read(Worker& worker) const;
    void prompt(Worker& worker) const;
    void upload(Worker& worker) const;
    void loginCycle(const Worker& worker) const;
    void download();
    void reload() const;

    static void expect(const test::HttpResult& answer, int status, const std::string& what);

    Settings _settings;
    test::HttpTestClient _client;
    Headers _admin;
    std::vector<std::string> _mix;
    std::atomic<long long> _downloads{0};
    mutable std::mutex _jobsMutex;
    std::vector<std::pair<std::string, std::string>> _jobs; ///< (job id, file name)
};

} // namespace comfygate::soak

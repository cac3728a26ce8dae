#pragma once

#include "ExecutionQueue.h"
#include "ModelFolders.h"
#include "NodeCatalog.h"
#include "RecordedRequest.h"
#include "SocketHub.h"
#include "StaticFrontend.h"

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
} // namespace Poco

namespace comfygate::fakes {

class FakeComfyRequestHandler;

/// A ComfyUI server for tests: the HTTP routes (bare and `/api` twins), prompt validation,
/// queue, history, jobs, uploads, /view, userdata and the WebSocket event sequence of a real
/// ComfyUI 0.8, without a GPU. Fault switches make it slow, failing or leaky; every request is
/// recorded. Bound to 127.0.0.1 only.
class FakeComfyUI
{
public:
    /// `rootDir` receives input/, output/, temp/, models/<folder>/ and user/ (created).
    explicit FakeComfyUI(std::string rootDir);
    ~FakeComfyUI();
    FakeComfyUI(const FakeComfyUI&) = delete;
    FakeComfyUI& operator=(const FakeComfyUI&) = delete;

    /// Listens on 127.0.0.1:`port` (0: any free port) and starts the prompt worker.
    void start(unsigned port = 0);
    /// Closes every connection and socket and stops the worker; idempotent.
    void stop();
    unsigned port() const { return _port; }
    /// `http://127.0.0.1:PORT`
    std::string url() const;
    const std::string& rootDir() const { return _rootDir; }

    // ---- fault switches (thread-safe, may change while running) ----
    /// Every response waits this long before it is produced.
    void setDelay(std::chrono::milliseconds delay) { _delayMs = delay.count(); }
    /// Every route answers 500 "500 Internal Server Error" and WebSocket upgrades are refused.
    void setFailing(bool failing) { _failing = failing; }
    /// ComfyUI's default origin-only guard (loopback Host, different Origin host → 403). On by default.
    void setOriginGuard(bool enabled) { _originGuard = enabled; }
    /// How long each prompt runs in total (spread over its nodes and sampler steps); default 200 ms.
    void setExecutionTime(std::chrono::milliseconds duration) { _queue.setExecutionTime(duration); }
    /// Binary preview frames per KSampler (the last N steps); default 2.
    void setPreviewFrames(int frames) { _queue.setPreviewFrames(frames); }
    /// Emulates servers before 0.3.68 that returned extra_data API keys in GET /queue.
    void setLeakApiKeysInQueue(bool leak) { _leakApiKeys = leak; }
    /// Whether /system_stats' argv lists --multi-user (as ComfyUI started with it); on by default.
    /// Only the report changes: the fake keeps its per-user behaviour.
    void setMultiUserArgument(bool listed) { _multiUserArgument = listed; }
    /// Nodes of this class fail with `execution_error` (history status "error"); "" turns it off.
    void setFailingNodeClass(const std::string& classType) { _queue.setFailingNodeClass(classType); }
    /// KSampler nodes broadcast a binary TEXT frame (type 3, no prompt id) to every socket.
    void setTextBroadcast(bool enabled) { _queue.setTextBroadcast(enabled); }
    /// Every prompt start broadcasts a custom `crystools.monitor` event to every socket.
    void setCustomBroadcast(bool enabled) { _queue.setCustomBroadcast(enabled); }
    /// Request body cap (aiohttp --max-upload-size); default 100 MiB; larger bodies get 413.
    void setMaxBodyBytes(std::uint64_t bytes) { _maxBodyBytes = bytes; }

    // ---- introspection ----
    std::vector<RecordedRequest> requests() const;
    void clearRequests();
    /// WebSocket connections currently open.
    std::size_t openWebSockets() const { return _hub.openSockets(); }
    /// sids currently registered (after take-overs).
    std::vector<std::string> webSocketSids() const { return _hub.sids(); }
    /// The highest number of HTTP requests handled at the same time since start.
    std::size_t maxConcurrentRequests() const { return _maxConcurrent; }
    /// POST /free calls received.
    std::size_t freeCalls() const { return _freeCalls; }

    // ---- content ----
    /// Creates an empty model file models/<folder>/<relativeName>.
    void addModel(const std::string& folder, const std::string& relativeName);
    /// Creates a model file with content (e.g. a safetensors header for /view_metadata).
    void addModel(const std::string& folder, const std::string& relativeName, const std::string& bytes);
    void addInput(const std::string& name, const std::string& bytes);
    void addOutput(const std::string& subfolder, const std::string& name, const std::string& bytes);
    /// A sparse output file of `bytes` bytes (zeros, cheap to create) for streaming tests.
    void addLargeOutput(const std::string& name, std::uint64_t bytes);
    /// Registers a user (user/users.json) so `comfy-user: id` is accepted by userdata routes.
    void addUser(const std::string& id, const std::string& name);
    /// A valid RGB PNG with tEXt chunks (see PngImage).
    static std::string pngWithText(unsigned width, unsigned height, const std::map<std::string, std::string>& textChunks);
    /// The tEXt chunks of a PNG.
    static std::map<std::string, std::string> readPngText(const std::string& png);

    std::string inputDir() const { return _rootDir + "/input"; }
    std::string outputDir() const { return _rootDir + "/output"; }
    std::string tempDir() const { return _rootDir + "/temp"; }
    std::string userDir() const { return _rootDir + "/user"; }

    /// Appends to the server log and sends a `logs` event to the sids subscribed with
    /// PATCH /internal/logs/subscribe.
    void log(const std::string& line);

private:
    friend class FakeComfyRequestHandler;

    Poco::JSON::Object::Ptr features() const;
    void record(RecordedRequest request);
    void subscribeLogs(const std::string& sid, bool enabled);
    std::map<std::string, std::string> users() const;

    std::string _rootDir;
    ModelFolders _models;
    NodeCatalog _catalog;
    SocketHub _hub;
    StaticFrontend _frontend;
    ExecutionQueue _queue;
    std::unique_ptr<Poco::ThreadPool> _threads;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    unsigned _port = 0;

    std::atomic<long long> _delayMs{0};
    std::atomic<bool> _failing{false};
    std::atomic<bool> _originGuard{true};
    std::atomic<bool> _leakApiKeys{false};
    std::atomic<bool> _multiUserArgument{true};
    std::atomic<std::uint64_t> _maxBodyBytes{100ULL * 1024 * 1024};
    std::atomic<std::size_t> _active{0};
    std::atomic<std::size_t> _maxConcurrent{0};
    std::atomic<std::size_t> _freeCalls{0};

    mutable std::mutex _mutex; ///< requests, log, users, file naming
    std::vector<RecordedRequest> _requests;
    std::vector<std::pair<std::string, std::string>> _log; ///< (ISO time, message)
    std::vector<std::string> _logSubscribers;
    std::map<std::string, std::string> _users;
};

} // namespace comfygate::fakes

#pragma once

#include "NodeCatalog.h"
#include "SocketHub.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace comfygate::fakes {

/// ComfyUI's PromptQueue plus its single prompt worker: a min-heap of pending items, at most
/// one running item, the ordered history, and the per-prompt WebSocket event script of §7.
class ExecutionQueue
{
public:
    /// One queue entry: `(number, prompt_id, prompt, extra_data, outputs_to_execute, sensitive)`.
    struct Item
    {
        Poco::Dynamic::Var number;
        std::string promptId;
        Poco::JSON::Object::Ptr prompt;
        Poco::JSON::Object::Ptr extraData;
        Poco::JSON::Array::Ptr outputs;
        Poco::JSON::Object::Ptr sensitive;
    };

    /// What GET /api/jobs needs, copied under the lock.
    struct Snapshot
    {
        std::vector<Item> running;
        std::vector<Item> pending;
        std::vector<std::pair<std::string, Poco::JSON::Object::Ptr>> history; ///< oldest first
    };

    ExecutionQueue(SocketHub& hub, const NodeCatalog& catalog, std::string outputDir, std::string tempDir);
    ~ExecutionQueue();
    ExecutionQueue(const ExecutionQueue&) = delete;
    ExecutionQueue& operator=(const ExecutionQueue&) = delete;

    void start();
    void stop();

    /// The next counter value (negated when `front`), advancing the counter.
    Poco::Int64 takeNumber(bool front);
    /// Pushes an item and broadcasts `status`.
    void put(Item item);
    /// Pending + running.
    int queueRemaining() const;
    /// `{"queue_running":[...],"queue_pending":[...]}`; `leakSensitive` emulates pre-0.3.68.
    Poco::JSON::Object::Ptr queueJson(bool leakSensitive) const;
    /// GET /history with ComfyUI's max_items/offset semantics (offset < 0: the last N).
    Poco::JSON::Object::Ptr historyJson(std::optional<long long> maxItems, long long offset) const;
    /// `{id: item}` or `{}`.
    Poco::JSON::Object::Ptr historyItemJson(const std::string& promptId) const;
    Snapshot snapshot() const;

    void clearPending();
    void deletePending(const std::string& promptId);
    void clearHistory();
    void deleteHistory(const std::string& promptId);
    /// Interrupts the running prompt; with an id, only if that prompt is the running one.
    void interrupt(const std::optional<std::string>& promptId);

    /// The node currently executing for `sid` (for the reconnect `executing` frame), or empty.
    std::string executingNodeFor(const std::string& sid) const;

    void setExecutionTime(std::chrono::milliseconds duration) { _executionTimeMs = duration.count(); }
    void setPreviewFrames(int frames) { _previewFrames = frames; }
    /// Nodes of this class fail with execution_error ("" = none).
    void setFailingNodeClass(const std::string& classType);
    /// Each sampler node broadcasts a binary TEXT frame (type 3) like API nodes do.
    void setTextBroadcast(bool enabled) { _textBroadcast = enabled; }
    /// Each prompt start broadcasts a custom `crystools.monitor` event like monitoring nodes do.
    void setCustomBroadcast(bool enabled) { _customBroadcast = enabled; }

    /// Serialises an item as the 5-element API array (sensitive keys merged when asked).
    static Poco::JSON::Array::Ptr itemJson(const Item& item, bool withSensitive);
    /// extra_data.client_id as a sid ("" when absent or null: events are then broadcast).
    static std::string clientIdOf(const Poco::JSON::Object::Ptr& extraData);
    /// ComfyUI's history cap.
    static constexpr std::size_t maxHistory = 10000;

private:
    void workerLoop();
    void execute(const Item& item);
    /// Waits for one tick of execution time; false when interrupted or stopping.
    bool tick(long long micros);
    Poco::JSON::Object::Ptr statusData() const;
    void broadcastStatus();
    void sendTargeted(const std::string& sid, const std::string& type, const Poco::JSON::Object::Ptr& data);
    void sendTargetedOrBroadcast(const std::string& sid, const std::string& type, const Poco::JSON::Object::Ptr& data);
    Poco::JSON::Array::Ptr saveImages(const Poco::JSON::Object::Ptr& prompt, const std::string& nodeId,
                                      const Poco::JSON::Object::Ptr& extraData, bool temp);
    void storeHistory(const std::string& promptId, Poco::JSON::Object::Ptr entry);

    SocketHub& _hub;
    const NodeCatalog& _catalog;
    std::string _outputDir;
    std::string _tempDir;
    std::string _previewPng;

    mutable std::mutex _mutex;
    std::condition_variable _changed;
    std::vector<Item> _pending; ///< a heap ordered like Python's heapq on (number, prompt_id)
    std::optional<Item> _running;
    std::string _runningSid;
    std::string _runningNode;
    std::vector<std::string> _historyOrder;
    std::map<std::string, Poco::JSON::Object::Ptr> _history;
    Poco::Int64 _counter = 0;
    bool _interruptRequested = false;
    bool _stopping = false;
    std::atomic<long long> _executionTimeMs{200};
    std::atomic<int> _previewFrames{2};
    std::atomic<bool> _textBroadcast{false};
    std::atomic<bool> _customBroadcast{false};
    std::string _failingNodeClass;
    std::thread _worker;
};

} // namespace comfygate::fakes

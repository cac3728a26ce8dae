#pragma once

#include "UpstreamClient.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace comfygate::comfyproxy {

/// One ComfyUI host of `comfy.upstreams`: its relay (UpstreamClient), its weight and labels,
/// and what the gateway knows of its health and load.
///
/// The load is the larger of two counts: the queue length the host last announced on its
/// WebSocket (`status`, which includes prompts other clients queued directly) and the prompts
/// this gateway sent it that have not finished yet (known at once, where `status` lags).
class UpstreamHost
{
public:
    enum class State
    {
        Unknown, ///< not yet reached since the gateway started
        Up,
        Down
    };

    struct Health
    {
        State state = State::Unknown;
        int queueRemaining = 0;
        std::size_t inFlight = 0;
        std::string lastError;
        std::int64_t since = 0; ///< Unix seconds of the last state change
    };

    UpstreamHost(std::size_t number, const UpstreamClient::Settings& settings, double weight,
                 std::set<std::string> labels);

    std::size_t number() const { return _number; }
    const std::string& url() const { return _client.url(); }
    double weight() const { return _weight; }
    const std::set<std::string>& labels() const { return _labels; }
    UpstreamClient& client() { return _client; }

    /// Not known to be down (a host not yet reached gets its first prompts: the request finds out).
    bool usable() const;
    /// `(max(queue, in flight) + 1) / weight`: what one more prompt would make of its load.
    double load() const;
    Health health() const;
    static const char* stateName(State state);

    /// True when the host was not up before.
    bool markUp();
    /// True when the host was not down before; `error` is kept for `comfygate upstreams`.
    bool markDown(const std::string& error);
    void noteError(const std::string& error);
    void setQueueRemaining(int remaining);

    /// A prompt sent to this host, until it finishes (untrack) or the host goes down (takeInFlight).
    void track(const std::string& promptId);
    void untrack(const std::string& promptId);
    /// The prompts sent and not finished, forgotten here: the host lost them.
    std::vector<std::string> takeInFlight();

private:
    const std::size_t _number;
    UpstreamClient _client;
    const double _weight;
    const std::set<std::string> _labels;

    mutable std::mutex _mutex;
    Health _health;
    std::set<std::string> _inFlight;
};

} // namespace comfygate::comfyproxy

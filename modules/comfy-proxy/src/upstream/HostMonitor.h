#pragma once

#include "UpstreamHost.h"

#include <Poco/Logger.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace comfygate::comfyproxy {

/// Watches one of several ComfyUI hosts from a thread of its own, over the host's WebSocket
/// (opened under the gateway's sid, so the host sends it the events of the gateway's prompts):
///
/// - each `status` frame gives the host's queue length; the end of a prompt (execution_success,
///   execution_error, execution_interrupted) takes it off the host's in-flight count;
/// - every frame goes on to `Events::frame` (the WebSocketHub, which routes it to its owner);
/// - when the socket drops, or a probe (GET /queue, every `probeEvery` while connected) fails,
///   one more probe decides: no answer marks the host down and hands its in-flight prompts to
///   `Events::lost`; the monitor then reconnects with backoff, and the host is up again (and
///   gets prompts again) as soon as its socket opens.
class HostMonitor
{
public:
    struct Events
    {
        std::function<void(const std::string& payload, bool binary)> frame;
        std::function<void(UpstreamHost& host, const std::vector<std::string>& lostPrompts)> lost;
    };
    struct Settings
    {
        std::chrono::milliseconds firstRetry{250};
        std::chrono::milliseconds maxRetry{2000};
        std::chrono::milliseconds probeEvery{5000};
        int probeTimeoutSeconds = 3;
    };

    HostMonitor(UpstreamHost& host, std::string sid, Events events, Settings settings, Poco::Logger& logger);
    ~HostMonitor();
    HostMonitor(const HostMonitor&) = delete;
    HostMonitor& operator=(const HostMonitor&) = delete;

    void start();
    /// Closes the socket and joins the thread; idempotent.
    void stop();

private:
    void run();
    /// Reads frames until the socket drops, a probe fails or stop(); returns why it ended.
    std::string readUntilLost(Poco::Net::WebSocket& socket);
    void handle(const std::string& payload, bool binary);
    /// "" when the host answered GET /queue with 200, else what went wrong.
    std::string probe();
    void lose(const std::string& error);
    /// Waits `delay` or until stop(); false when stopping.
    bool wait(std::chrono::milliseconds delay);

    UpstreamHost& _host;
    const std::string _sid;
    Events _events;
    Settings _settings;
    Poco::Logger& _logger;
    UpstreamClient _prober;

    std::mutex _mutex;
    std::condition_variable _wake;
    bool _stopping = false;
    std::optional<Poco::Net::WebSocket> _socket; ///< while open, so stop() can shut it
    std::thread _thread;
};

} // namespace comfygate::comfyproxy

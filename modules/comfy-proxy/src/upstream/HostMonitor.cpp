#include "HostMonitor.h"

#include "UpstreamConnector.h"

#include "comfygate/HttpError.h"

#include <Poco/Buffer.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>

namespace comfygate::comfyproxy {
namespace {

using Poco::Net::WebSocket;

/// Asks for previews that name their prompt: with several hosts, "the running prompt" is no
/// longer one, so a preview without its prompt id could not be routed.
const std::string gatewayFeatures = R"({"type":"feature_flags","data":{"supports_preview_metadata":true}})";

UpstreamClient::Settings probeSettings(UpstreamHost& host, int timeoutSeconds)
{
    UpstreamClient::Settings settings;
    settings.url = host.url();
    settings.urlKey = "comfy.upstreams";
    settings.timeoutSeconds = timeoutSeconds;
    settings.maxIdleConnections = 1;
    return settings;
}

} // namespace

HostMonitor::HostMonitor(UpstreamHost& host, std::string sid, Events events, Settings settings, Poco::Logger& logger)
    : _host(host), _sid(std::move(sid)), _events(std::move(events)), _settings(settings), _logger(logger),
      _prober(probeSettings(host, settings.probeTimeoutSeconds))
{
}

HostMonitor::~HostMonitor()
{
    stop();
}

void HostMonitor::start()
{
    _thread = std::thread([this] { run(); });
}

void HostMonitor::stop()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
        if (_socket) {
            try {
                _socket->shutdown();
            } catch (const Poco::Exception&) {
            }
        }
    }
    _wake.notify_all();
    if (_thread.joinable())
        _thread.join();
}

bool HostMonitor::wait(std::chrono::milliseconds delay)
{
    std::unique_lock lock(_mutex);
    _wake.wait_for(lock, delay, [this] { return _stopping; });
    return !_stopping;
}

void HostMonitor::run()
{
    const UpstreamConnector connector(_host.url(), Poco::Timespan(_settings.probeTimeoutSeconds, 0));
    auto delay = _settings.firstRetry;
    while (true) {
        {
            std::lock_guard lock(_mutex);
            if (_stopping)
                return;
        }
        std::string error;
        try {
            WebSocket socket = connector.open(_sid);
            socket.setReceiveTimeout(Poco::Timespan(0, 500 * 1000));
            socket.sendFrame(gatewayFeatures.data(), static_cast<int>(gatewayFeatures.size()), WebSocket::FRAME_TEXT);
            {
                std::lock_guard lock(_mutex);
                if (_stopping)
                    return;
                _socket = socket;
            }
            if (_host.markUp())
                _logger.information("ComfyUI host %s is up", _host.url());
            delay = _settings.firstRetry;
            error = readUntilLost(socket);
            {
                std::lock_guard lock(_mutex);
                _socket.reset();
                if (_stopping)
                    return;
            }
            try {
                socket.shutdown();
            } catch (const Poco::Exception&) {
            }
        } catch (const HttpError& e) {
            error = e.what();
        } catch (const Poco::Exception& e) {
            error = e.displayText();
        }
        // A dropped socket alone is not an outage (ComfyUI may close idle sockets): ask once more.
        if (_host.health().state != UpstreamHost::State::Down) {
            const std::string probed = probe();
            if (probed.empty())
                _host.noteError(error);
            else
                lose(error + "; " + probed);
        }
        if (!wait(delay))
            return;
        delay = std::min(delay * 2, _settings.maxRetry);
    }
}

std::string HostMonitor::readUntilLost(WebSocket& socket)
{
    auto nextProbe = std::chrono::steady_clock::now() + _settings.probeEvery;
    Poco::Buffer<char> buffer(0);
    while (true) {
        {
            std::lock_guard lock(_mutex);
            if (_stopping)
                return "stopping";
        }
        if (std::chrono::steady_clock::now() >= nextProbe) {
            const std::string probed = probe();
            if (!probed.empty())
                return "no answer to GET /queue while the WebSocket was open: " + probed;
            nextProbe = std::chrono::steady_clock::now() + _settings.probeEvery;
        }
        int flags = 0;
        int received = 0;
        try {
            buffer.resize(0);
            received = socket.receiveFrame(buffer, flags);
        } catch (const Poco::TimeoutException&) {
            continue;
        } catch (const Poco::Exception& e) {
            return "WebSocket lost: " + e.displayText();
        }
        const int opcode = flags & WebSocket::FRAME_OP_BITMASK;
        if ((received == 0 && flags == 0) || opcode == WebSocket::FRAME_OP_CLOSE)
            return "ComfyUI closed its WebSocket";
        if (opcode == WebSocket::FRAME_OP_PING) {
            socket.sendFrame(buffer.begin(), static_cast<int>(buffer.size()),
                             WebSocket::FRAME_FLAG_FIN | WebSocket::FRAME_OP_PONG);
            continue;
        }
        if (opcode == WebSocket::FRAME_OP_TEXT || opcode == WebSocket::FRAME_OP_BINARY)
            handle(std::string(buffer.begin(), buffer.size()), opcode == WebSocket::FRAME_OP_BINARY);
    }
}

void HostMonitor::handle(const std::string& payload, bool binary)
{
    if (!binary) {
        try {
            const auto frame = Poco::JSON::Parser().parse(payload).extract<Poco::JSON::Object::Ptr>();
            const std::string type = frame->optValue<std::string>("type", "");
            const auto data = frame->getObject("data");
            if (type == "status" && data) {
                const auto status = data->getObject("status");
                const auto info = status ? status->getObject("exec_info") : nullptr;
                if (info)
                    _host.setQueueRemaining(info->optValue<int>("queue_remaining", 0));
            } else if (data &&
                       (type == "execution_success" || type == "execution_error" || type == "execution_interrupted")) {
                _host.untrack(data->optValue<std::string>("prompt_id", ""));
            }
        } catch (...) {
            // not JSON, or not an object: the hub decides what to do with it
        }
    }
    _events.frame(payload, binary);
}

std::string HostMonitor::probe()
{
    try {
        const auto answer = _prober.fetch("GET", "/queue");
        if (answer.status == 200)
            return {};
        return "GET /queue answered " + std::to_string(answer.status);
    } catch (const std::exception& e) {
        return e.what();
    }
}

void HostMonitor::lose(const std::string& error)
{
    if (!_host.markDown(error))
        return;
    _logger.warning("ComfyUI host %s is down: %s", _host.url(), error);
    _events.lost(_host, _host.takeInFlight());
}

} // namespace comfygate::comfyproxy

#include "UpstreamHost.h"

#include <algorithm>

namespace comfygate::comfyproxy {
namespace {

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

UpstreamHost::UpstreamHost(std::size_t number, const UpstreamClient::Settings& settings, double weight,
                           std::set<std::string> labels)
    : _number(number), _client(settings), _weight(weight), _labels(std::move(labels))
{
    _health.since = unixNow();
}

bool UpstreamHost::usable() const
{
    std::lock_guard lock(_mutex);
    return _health.state != State::Down;
}

double UpstreamHost::load() const
{
    std::lock_guard lock(_mutex);
    const auto busy =
        std::max<std::size_t>(static_cast<std::size_t>(std::max(0, _health.queueRemaining)), _inFlight.size());
    return static_cast<double>(busy + 1) / _weight;
}

UpstreamHost::Health UpstreamHost::health() const
{
    std::lock_guard lock(_mutex);
    Health copy = _health;
    copy.inFlight = _inFlight.size();
    return copy;
}

const char* UpstreamHost::stateName(State state)
{
    switch (state) {
    case State::Up:
        return "up";
    case State::Down:
        return "down";
    default:
        return "unknown";
    }
}

bool UpstreamHost::markUp()
{
    std::lock_guard lock(_mutex);
    if (_health.state == State::Up)
        return false;
    _health.state = State::Up;
    _health.since = unixNow();
    return true;
}

bool UpstreamHost::markDown(const std::string& error)
{
    std::lock_guard lock(_mutex);
    _health.lastError = error;
    _health.queueRemaining = 0;
    if (_health.state == State::Down)
        return false;
    _health.state = State::Down;
    _health.since = unixNow();
    return true;
}

void UpstreamHost::noteError(const std::string& error)
{
    std::lock_guard lock(_mutex);
    _health.lastError = error;
}

void UpstreamHost::setQueueRemaining(int remaining)
{
    std::lock_guard lock(_mutex);
    _health.queueRemaining = remaining;
}

void UpstreamHost::track(const std::string& promptId)
{
    std::lock_guard lock(_mutex);
    _inFlight.insert(promptId);
}

void UpstreamHost::untrack(const std::string& promptId)
{
    std::lock_guard lock(_mutex);
    _inFlight.erase(promptId);
}

std::vector<std::string> UpstreamHost::takeInFlight()
{
    std::lock_guard lock(_mutex);
    std::vector<std::string> lost(_inFlight.begin(), _inFlight.end());
    _inFlight.clear();
    return lost;
}

} // namespace comfygate::comfyproxy

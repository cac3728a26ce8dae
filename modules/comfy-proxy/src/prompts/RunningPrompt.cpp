#include "RunningPrompt.h"

#include <set>

namespace comfygate::comfyproxy {
namespace {

const std::set<std::string> endingTypes{"execution_success", "execution_error", "execution_interrupted"};

} // namespace

void RunningPrompt::observe(const std::string& type, const std::string& promptId, bool nodeIsNull, Clock::time_point at)
{
    const bool ends = endingTypes.count(type) != 0 || (type == "executing" && nodeIsNull);
    std::lock_guard lock(_mutex);
    if (ends) {
        if (_running == promptId) {
            _running.reset();
            _updated = std::max(_updated, at);
        }
        return;
    }
    // Any other event with a prompt id (execution_start, executing, progress, executed, ...)
    // comes from the prompt being executed.
    _running = promptId;
    _updated = std::max(_updated, at);
}

void RunningPrompt::fromQueue(const std::optional<std::string>& running, Clock::time_point fetchedAt)
{
    std::lock_guard lock(_mutex);
    if (fetchedAt <= _updated)
        return; // an event seen after the request started is newer than its answer
    _running = running;
    _updated = fetchedAt;
}

void RunningPrompt::queueChanged(Clock::time_point at)
{
    std::lock_guard lock(_mutex);
    _queueChanged = std::max(_queueChanged, at);
}

std::optional<RunningPrompt::Clock::time_point> RunningPrompt::outdatedSince() const
{
    std::lock_guard lock(_mutex);
    if (_updated >= _queueChanged)
        return std::nullopt;
    return _queueChanged;
}

std::optional<std::string> RunningPrompt::current() const
{
    std::lock_guard lock(_mutex);
    return _running;
}

} // namespace comfygate::comfyproxy

#include "QueueSnapshot.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace comfygate::comfyproxy {

QueueSnapshot::QueueSnapshot(Fetch fetch, PromptOwners& owners, RunningPrompt& running)
    : _fetch(std::move(fetch)), _owners(owners), _running(running)
{
}

int QueueSnapshot::remainingFor(const std::string& userId, Clock::time_point receivedAt)
{
    std::shared_ptr<const Counts> counts;
    {
        std::unique_lock lock(_mutex);
        // Wait for a fetch in flight: it may well answer this frame too.
        _fetched.wait(lock, [this] { return !_fetching; });
        if (_latest && _latest->requestedAt >= receivedAt) {
            counts = _latest->ok ? _latest : _latestGood;
        } else {
            _fetching = true;
            lock.unlock();
            std::shared_ptr<const Counts> loaded;
            try {
                loaded = load(Clock::now());
            } catch (...) {
                auto failed = std::make_shared<Counts>();
                failed->requestedAt = Clock::now();
                loaded = failed;
            }
            lock.lock();
            _latest = loaded;
            if (loaded->ok)
                _latestGood = loaded;
            _fetching = false;
            counts = loaded->ok ? loaded : _latestGood;
            lock.unlock();
            _fetched.notify_all();
        }
    }
    if (!counts)
        return 0;
    const auto found = counts->perUser.find(userId);
    return found == counts->perUser.end() ? 0 : found->second;
}

std::shared_ptr<const QueueSnapshot::Counts> QueueSnapshot::load(Clock::time_point requestedAt)
{
    {
        std::lock_guard lock(_mutex);
        ++_fetches;
    }
    const std::string text = _fetch();
    auto counts = std::make_shared<Counts>();
    counts->requestedAt = requestedAt;
    Poco::JSON::Parser parser;
    const auto queue = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
    std::optional<std::string> running;
    for (const char* list : {"queue_running", "queue_pending"}) {
        const auto items = queue->getArray(list);
        for (std::size_t i = 0; items && i < items->size(); ++i) {
            const auto item = items->getArray(static_cast<unsigned>(i));
            if (!item || item->size() < 2)
                continue;
            const std::string promptId = item->get(1).toString();
            if (const auto owner = _owners.ownerOf(promptId))
                ++counts->perUser[*owner];
            if (std::string(list) == "queue_running" && !running)
                running = promptId;
        }
    }
    counts->ok = true;
    _running.fromQueue(running, requestedAt);
    return counts;
}

unsigned long QueueSnapshot::fetches() const
{
    std::lock_guard lock(_mutex);
    return _fetches;
}

} // namespace comfygate::comfyproxy

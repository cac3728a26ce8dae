#include "QueueSnapshot.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

namespace comfygate::comfyproxy {
namespace {

constexpr std::size_t keptCopies = 8;
// Under load the frames of one broadcast are read late; this bounds the fetches they cause.
constexpr std::chrono::milliseconds minimumInterval{50};

} // namespace

QueueSnapshot::QueueSnapshot(Fetch fetch, PromptOwners& owners, RunningPrompt& running,
                             std::chrono::milliseconds maxAge)
    : _fetch(std::move(fetch)), _owners(owners), _running(running), _maxAge(maxAge)
{
}

bool QueueSnapshot::answers(const Counts& counts, int globalRemaining, Clock::time_point receivedAt) const
{
    if (counts.requestedAt >= receivedAt)
        return true;
    return counts.ok && counts.total == globalRemaining && Clock::now() - counts.requestedAt < _maxAge;
}

std::shared_ptr<const QueueSnapshot::Counts> QueueSnapshot::answering(int globalRemaining,
                                                                      Clock::time_point receivedAt) const
{
    for (const auto& counts : _recent)
        if (answers(*counts, globalRemaining, receivedAt))
            return counts;
    return nullptr;
}

bool QueueSnapshot::fetchedLately() const
{
    return !_recent.empty() && Clock::now() - _recent.front()->requestedAt < minimumInterval;
}

std::shared_ptr<const QueueSnapshot::Counts> QueueSnapshot::fetch(std::unique_lock<std::mutex>& lock)
{
    _fetching = true;
    lock.unlock();
    const auto requestedAt = Clock::now();
    std::shared_ptr<const Counts> loaded;
    try {
        loaded = load(requestedAt);
    } catch (...) {
        auto failed = std::make_shared<Counts>();
        failed->requestedAt = requestedAt;
        loaded = failed;
    }
    lock.lock();
    _recent.push_front(loaded);
    if (_recent.size() > keptCopies)
        _recent.pop_back();
    if (loaded->ok)
        _latestGood = loaded;
    _fetching = false;
    _fetched.notify_all();
    return loaded;
}

int QueueSnapshot::remainingFor(const std::string& userId, int globalRemaining, Clock::time_point receivedAt)
{
    std::shared_ptr<const Counts> counts;
    {
        std::unique_lock lock(_mutex);
        // Wait for a fetch in flight: it may well answer this frame too.
        _fetched.wait(lock, [this] { return !_fetching; });
        auto kept = answering(globalRemaining, receivedAt);
        if (!kept && fetchedLately())
            kept = _latestGood; // a frame read late: the newest count is the best answer
        if (!kept)
            kept = fetch(lock);
        counts = kept && kept->ok ? kept : _latestGood;
    }
    return counts ? countOf(*counts, userId) : 0;
}

int QueueSnapshot::countOf(const Counts& counts, const std::string& userId)
{
    const auto found = counts.perUser.find(userId);
    return found == counts.perUser.end() ? 0 : found->second;
}

std::optional<QueueSnapshot::Remaining> QueueSnapshot::remainingNow(const std::string& userId)
{
    std::unique_lock lock(_mutex);
    _fetched.wait(lock, [this] { return !_fetching; });
    auto counts = fetchedLately() ? _recent.front() : fetch(lock);
    if (!counts->ok)
        return std::nullopt;
    return Remaining{counts->total, countOf(*counts, userId)};
}

void QueueSnapshot::refreshRunning(Clock::time_point since)
{
    std::unique_lock lock(_mutex);
    _fetched.wait(lock, [this] { return !_fetching; });
    if (!_recent.empty() && _recent.front()->requestedAt >= since)
        return;
    fetch(lock);
}

std::shared_ptr<const QueueSnapshot::Counts> QueueSnapshot::load(Clock::time_point requestedAt)
{
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
            ++counts->total;
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

} // namespace comfygate::comfyproxy

#include "LateHeadWatch.h"

#include "HttpConnectionTable.h"

#include <chrono>

namespace comfygate {

LateHeadWatch::~LateHeadWatch() { stop(); }

void LateHeadWatch::start()
{
    _thread = std::thread([this] { run(); });
}

void LateHeadWatch::stop()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _stopRequested.notify_all();
    if (_thread.joinable())
        _thread.join();
}

void LateHeadWatch::run()
{
    std::unique_lock lock(_mutex);
    while (!_stopRequested.wait_for(lock, std::chrono::milliseconds(100), [this] { return _stopping; })) {
        lock.unlock();
        _table.cutOffLateHeads(std::chrono::steady_clock::now());
        lock.lock();
    }
}

} // namespace comfygate

#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace comfygate {

class HttpConnectionTable;

/// One thread that, every 100 ms, cuts off the connections whose request head is overdue
/// (HttpConnectionTable::cutOffLateHeads, http.header_timeout_seconds). The worker reading
/// such a head waits in recv(), so only another thread can end the wait.
class LateHeadWatch
{
public:
    explicit LateHeadWatch(HttpConnectionTable& table) : _table(table) {}
    ~LateHeadWatch();
    LateHeadWatch(const LateHeadWatch&) = delete;
    LateHeadWatch& operator=(const LateHeadWatch&) = delete;

    void start();
    void stop();

private:
    void run();

    HttpConnectionTable& _table;
    std::mutex _mutex;
    std::condition_variable _stopRequested;
    bool _stopping = false;
    std::thread _thread;
};

} // namespace comfygate

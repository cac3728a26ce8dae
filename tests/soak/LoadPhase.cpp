#include "LoadPhase.h"

#include "SoakRecorder.h"

#include <atomic>
#include <thread>

namespace comfygate::soak {

LoadPhase::LoadPhase(SoakOperations& operations, int workers) : _operations(operations)
{
    for (int i = 0; i < workers; ++i)
        _workers.push_back(operations.worker(i));
}

void LoadPhase::runOne(long long slot, SoakOperations::Worker& worker, SoakRecorder& recorder,
                       std::chrono::steady_clock::time_point since)
{
    const std::string& operation = _operations.pick(slot);
    try {
        _operations.run(operation, worker);
        recorder.success(operation,
                         std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count());
    } catch (const std::exception& error) {
        recorder.failure(operation, error.what());
    }
}

double LoadPhase::closedLoop(std::chrono::milliseconds duration, SoakRecorder& recorder)
{
    std::atomic<long long> next{0};
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + duration;
    std::vector<std::thread> threads;
    for (auto& worker : _workers)
        threads.emplace_back([&, w = &worker] {
            while (std::chrono::steady_clock::now() < end)
                runOne(next++, *w, recorder, std::chrono::steady_clock::now());
        });
    for (auto& thread : threads)
        thread.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(next.load()) / seconds;
}

void LoadPhase::paced(double perSecond, std::chrono::milliseconds duration, SoakRecorder& recorder)
{
    std::atomic<long long> next{0};
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + duration;
    const auto scheduled = [&](long long slot) {
        return start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(slot) / perSecond));
    };
    std::vector<std::thread> threads;
    for (auto& worker : _workers)
        threads.emplace_back([&, w = &worker] {
            while (true) {
                const long long slot = next++;
                const auto at = scheduled(slot);
                if (at >= end)
                    return;
                std::this_thread::sleep_until(at);
                runOne(slot, *w, recorder, at);
            }
        });
    for (auto& thread : threads)
        thread.join();
}

} // namespace comfygate::soak

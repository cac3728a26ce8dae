#include "LoadGenerator.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

namespace comfygate::bench {

double LoadGenerator::Result::percentileMs(double fraction) const
{
    if (latenciesMs.empty())
        return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(latenciesMs.size())));
    return latenciesMs[std::min(latenciesMs.size() - 1, rank == 0 ? 0 : rank - 1)];
}

LoadGenerator::Result LoadGenerator::run(const Request& spec) const
{
    std::atomic<long long> failures{0};
    std::mutex mutex;
    std::vector<double> latencies;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + _duration;
    std::vector<std::thread> threads;
    for (int i = 0; i < _connections; ++i) {
        threads.emplace_back([&] {
            std::vector<double> mine;
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(_port));
            session.setKeepAlive(true);
            session.setTimeout(Poco::Timespan(10, 0));
            while (std::chrono::steady_clock::now() < deadline) {
                const auto sent = std::chrono::steady_clock::now();
                try {
                    Poco::Net::HTTPRequest request(spec.method, spec.path, Poco::Net::HTTPMessage::HTTP_1_1);
                    request.setKeepAlive(true);
                    for (const auto& [name, value] : spec.headers)
                        request.set(name, value);
                    if (!spec.body.empty()) {
                        request.setContentType("application/json");
                        request.setContentLength(static_cast<std::streamsize>(spec.body.size()));
                    }
                    session.sendRequest(request) << spec.body;
                    Poco::Net::HTTPResponse response;
                    Poco::NullOutputStream sink;
                    Poco::StreamCopier::copyStream(session.receiveResponse(response), sink);
                    if (response.getStatus() >= 200 && response.getStatus() < 300)
                        mine.push_back(
                            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
                    else
                        ++failures;
                } catch (...) {
                    ++failures;
                    session.reset();
                }
            }
            std::lock_guard lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads)
        thread.join();
    Result result;
    result.requests = static_cast<long long>(latencies.size());
    result.failures = failures;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    result.latenciesMs = std::move(latencies);
    return result;
}

} // namespace comfygate::bench

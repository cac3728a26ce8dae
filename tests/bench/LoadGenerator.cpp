#include "LoadGenerator.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <thread>
#include <vector>

namespace comfygate::bench {

LoadGenerator::Result LoadGenerator::run(const std::string& path, const std::map<std::string, std::string>& headers) const
{
    std::atomic<long long> requests{0};
    std::atomic<long long> failures{0};
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + _duration;
    std::vector<std::thread> threads;
    for (int i = 0; i < _connections; ++i) {
        threads.emplace_back([&] {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(_port));
            session.setKeepAlive(true);
            session.setTimeout(Poco::Timespan(10, 0));
            while (std::chrono::steady_clock::now() < deadline) {
                try {
                    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
                    request.setKeepAlive(true);
                    for (const auto& [name, value] : headers)
                        request.set(name, value);
                    session.sendRequest(request);
                    Poco::Net::HTTPResponse response;
                    Poco::NullOutputStream sink;
                    Poco::StreamCopier::copyStream(session.receiveResponse(response), sink);
                    if (response.getStatus() >= 200 && response.getStatus() < 300)
                        ++requests;
                    else
                        ++failures;
                } catch (...) {
                    ++failures;
                    session.reset();
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    Result result;
    result.requests = requests;
    result.failures = failures;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace comfygate::bench

// Fault injection (issue 15): 10,000 connections opened at once, each sending a request right
// away. The gateway holds at most http.max_connections; every connection beyond them gets a
// 503 JSON answer naming the key and the close (the bounded queue), none is reset or left
// hanging, the admitted ones are all served, and the server serves normally afterwards.
#include "HttpTestClient.h"
#include "RawHttpConnection.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using comfygate::test::HttpTestClient;
using comfygate::test::RawHttpConnection;
using comfygate::test::ServerProcess;

namespace {

constexpr int flood = 10000;
constexpr int admitted = 4000;

/// This process needs a descriptor per connection (ulimit -n); false when the hard limit is too low.
bool raiseFileLimit(rlim_t wanted)
{
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted)
        return false;
    limit.rlim_cur = wanted;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

} // namespace

class ConnectionFloodTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConnectionFloodTest);
    CPPUNIT_TEST(tenThousandConnectionsAreServedOrRefusedWith503);
    CPPUNIT_TEST_SUITE_END();

public:
    void tenThousandConnectionsAreServedOrRefusedWith503()
    {
        CPPUNIT_ASSERT_MESSAGE("the hard open-file limit is below " + std::to_string(flood + 1000) +
                                   "; raise it (ulimit -Hn) to run this test",
                               raiseFileLimit(flood + 1000));
        ServerProcess server({{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                              {"modules.enabled", "fixture,fixture_auth"},
                              {"http.access_log", "off"},
                              {"http.max_connections", std::to_string(admitted)},
                              {"http.keep_alive_seconds", "60"}});
        server.start();

        std::vector<std::unique_ptr<RawHttpConnection>> connections;
        connections.reserve(flood);
        std::vector<std::string> failures;
        for (int i = 0; i < flood; ++i) {
            try {
                connections.push_back(
                    std::make_unique<RawHttpConnection>(server.port(), "127.0.0.1", std::chrono::seconds(20)));
                connections.back()->write("GET /fixture/ping HTTP/1.1\r\nHost: x\r\n\r\n");
            } catch (const std::exception& error) {
                failures.push_back("connection " + std::to_string(i) + ": " + error.what());
            }
        }
        int served = 0;
        int refused = 0;
        for (std::size_t i = 0; i < connections.size() && failures.size() < 10; ++i) {
            try {
                const auto answer = connections[i]->read();
                if (answer.status == 200 && answer.body == "{\"pong\":true}") {
                    ++served;
                } else if (answer.status == 503 && answer.closes() &&
                           answer.body.find("http.max_connections") != std::string::npos) {
                    ++refused;
                } else {
                    failures.push_back("connection " + std::to_string(i) + " answered " +
                                       std::to_string(answer.status) + ": " + answer.body);
                }
            } catch (const std::exception& error) {
                failures.push_back("connection " + std::to_string(i) + " got no answer: " + error.what());
            }
        }
        CPPUNIT_ASSERT_MESSAGE(std::to_string(failures.size()) + " failures, the first: " +
                                   (failures.empty() ? "" : failures.front()),
                               failures.empty());
        CPPUNIT_ASSERT_EQUAL(flood, served + refused);
        CPPUNIT_ASSERT(served <= admitted);
        CPPUNIT_ASSERT(refused >= flood - admitted);

        // The flood gone, the server serves as before.
        connections.clear();
        const HttpTestClient client(server.port());
        // (Until it has seen the 10,000 closes a new connection may still find no room.)
        int status = 0;
        for (int attempt = 0; attempt < 200 && status != 200; ++attempt) {
            status = client.get("/fixture/ping").status;
            if (status != 200)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CPPUNIT_ASSERT_EQUAL(200, status);
        CPPUNIT_ASSERT(server.metric("comfygate_http_connections_refused_total").value_or(0) >= flood - admitted);
        CPPUNIT_ASSERT_EQUAL(0, server.stop());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnectionFloodTest);

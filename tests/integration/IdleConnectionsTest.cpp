// The kernel's connection model over real sockets: idle keep-alive connections wait without
// a worker thread (IdleConnectionWatcher), come back to a worker when their next request
// arrives, are closed after their idle time, are bounded by http.max_connections, and do not
// hold up a stopping server.
#include "HttpTestClient.h"
#include "RawHttpConnection.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sys/wait.h>
#include <thread>
#include <vector>

using comfygate::test::HttpTestClient;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;
using comfygate::test::ServerProcess;

namespace {

const std::string ping = "GET /fixture/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::map<std::string, std::string> fixtureConfig(std::map<std::string, std::string> extra = {})
{
    std::map<std::string, std::string> config{{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                              {"modules.enabled", "fixture,fixture_auth"},
                                              {"http.access_log", "off"}};
    for (auto& [key, value] : extra)
        config[key] = value;
    return config;
}

/// The value of one comfygate_* metric, -1 when absent.
double metric(const ServerProcess& server, const std::string& name)
{
    return server.metric("comfygate_" + name).value_or(-1);
}

int threadsOf(pid_t pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Threads:", 0) == 0)
            return std::stoi(line.substr(8));
    return -1;
}

/// Polls `condition` for up to `wait`.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds wait = std::chrono::seconds(5))
{
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

void assertPong(const RawHttpResponse& response)
{
    CPPUNIT_ASSERT_EQUAL(200, response.status);
    CPPUNIT_ASSERT_EQUAL(std::string("{\"pong\":true}"), response.body);
    CPPUNIT_ASSERT(!response.closes());
}

std::vector<std::unique_ptr<RawHttpConnection>> openAndPing(const ServerProcess& server, int count)
{
    std::vector<std::unique_ptr<RawHttpConnection>> connections;
    for (int i = 0; i < count; ++i) {
        connections.push_back(std::make_unique<RawHttpConnection>(server.port()));
        connections.back()->write(ping);
    }
    for (auto& connection : connections)
        assertPong(connection->read());
    return connections;
}

} // namespace

class IdleConnectionsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(IdleConnectionsTest);
    CPPUNIT_TEST(manyIdleConnectionsHoldNoWorkerThread);
    CPPUNIT_TEST(idleConnectionIsClosedAfterKeepAliveSeconds);
    CPPUNIT_TEST(silentNewConnectionIsClosedAfterTheReceiveTimeout);
    CPPUNIT_TEST(peerCloseOfAnIdleConnectionIsCleanedUp);
    CPPUNIT_TEST(pipelinedRequestsInOneWriteAreBothAnswered);
    CPPUNIT_TEST(headSentInTwoPartsIsAnswered);
    CPPUNIT_TEST(tlsConnectionIsParkedAndServedAgain);
    CPPUNIT_TEST(connectionsBeyondTheLimitAreRefusedWith503);
    CPPUNIT_TEST(maxRequestsPerConnectionStillHolds);
    CPPUNIT_TEST(sigtermWithIdleConnectionsExitsAtOnce);
    CPPUNIT_TEST(requestInFlightFinishesWhileIdleOnesAreClosed);
    CPPUNIT_TEST_SUITE_END();

public:
    void manyIdleConnectionsHoldNoWorkerThread()
    {
        ServerProcess server(fixtureConfig({{"http.threads", "4"}}));
        server.start();
        const int threadsBefore = threadsOf(server.pid());
        auto connections = openAndPing(server, 300);
        // All of them idle now: parked, none holding a thread.
        CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_idle") >= 300; }));
        CPPUNIT_ASSERT_EQUAL(0.0, metric(server, "http_connections_queued"));
        CPPUNIT_ASSERT(metric(server, "http_connections_open") >= 300);
        const int threads = threadsOf(server.pid());
        CPPUNIT_ASSERT_MESSAGE("threads before " + std::to_string(threadsBefore) + ", with 300 idle connections " +
                                   std::to_string(threads),
                               threads <= threadsBefore + 4);
        // A second request on each, after they were parked: each answered on its own connection.
        for (auto& connection : connections)
            connection->write(ping);
        for (auto& connection : connections)
            assertPong(connection->read());
        CPPUNIT_ASSERT(threadsOf(server.pid()) <= threadsBefore + 4);
    }

    void idleConnectionIsClosedAfterKeepAliveSeconds()
    {
        ServerProcess server(fixtureConfig({{"http.keep_alive_seconds", "1"}}));
        server.start();
        RawHttpConnection connection(server.port());
        connection.write(ping);
        assertPong(connection.read());
        const auto idleSince = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT(connection.closedByServer(std::chrono::seconds(3)));
        const auto idle = std::chrono::steady_clock::now() - idleSince;
        CPPUNIT_ASSERT(idle >= std::chrono::milliseconds(900));
        CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_idle") == 0; }));
    }

    void silentNewConnectionIsClosedAfterTheReceiveTimeout()
    {
        ServerProcess server(fixtureConfig({{"http.receive_timeout_seconds", "1"}, {"http.threads", "2"}}));
        server.start();
        RawHttpConnection silent(server.port());
        // Waiting for its first request it holds no worker: the only two still answer.
        RawHttpConnection other(server.port());
        other.write(ping);
        assertPong(other.read());
        CPPUNIT_ASSERT(silent.closedByServer(std::chrono::seconds(3)));
    }

    void peerCloseOfAnIdleConnectionIsCleanedUp()
    {
        ServerProcess server(fixtureConfig());
        server.start();
        {
            auto connections = openAndPing(server, 50);
            CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_idle") >= 50; }));
        } // closed by the client
        CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_idle") == 0; }));
        // Only the connection asking for the metrics is left.
        CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_open") <= 1; }));
    }

    void pipelinedRequestsInOneWriteAreBothAnswered()
    {
        ServerProcess server(fixtureConfig());
        server.start();
        RawHttpConnection connection(server.port());
        connection.write(ping +
                         "GET /fixture/items/second HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                         "fixture:ann:user\r\n\r\n" +
                         ping);
        assertPong(connection.read());
        const RawHttpResponse second = connection.read();
        CPPUNIT_ASSERT_EQUAL(200, second.status);
        CPPUNIT_ASSERT(second.body.find("second") != std::string::npos);
        assertPong(connection.read());
        // And after the connection was idle for a while, once more.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        connection.write(ping + ping);
        assertPong(connection.read());
        assertPong(connection.read());
        connection.expectSilence();
    }

    void headSentInTwoPartsIsAnswered()
    {
        ServerProcess server(fixtureConfig());
        server.start();
        RawHttpConnection connection(server.port());
        connection.write("GET /fixture/ping HTTP/1.1\r\nHo");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        connection.write("st: 127.0.0.1\r\n\r\n");
        assertPong(connection.read());
        // The same on a connection that was parked between requests.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        connection.write("GET /fixture/ping HTTP/1.1\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        connection.write("Host: 127.0.0.1\r\n\r\n");
        assertPong(connection.read());
    }

    void tlsConnectionIsParkedAndServedAgain()
    {
        comfygate::test::TempDir certs;
        const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                                    certs.file("key.pem") + " -out " + certs.file("cert.pem") + " 2>/dev/null";
        CPPUNIT_ASSERT_EQUAL(0, std::system(command.c_str()));
        ServerProcess server(fixtureConfig({{"http.tls.cert", certs.file("cert.pem")},
                                            {"http.tls.key", certs.file("key.pem")},
                                            {"http.threads", "2"}}));
        server.start();
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_NONE);
        Poco::Net::SecureStreamSocket socket(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())), context);
        socket.setReceiveTimeout(Poco::Timespan(5, 0));
        const auto answers = [&socket](int wanted) {
            std::string got;
            char buffer[4096];
            int found = 0;
            while (found < wanted) {
                const int n = socket.receiveBytes(buffer, sizeof buffer);
                if (n <= 0)
                    break;
                got.append(buffer, static_cast<std::size_t>(n));
                found = 0;
                for (auto at = got.find("{\"pong\":true}"); at != std::string::npos;
                     at = got.find("{\"pong\":true}", at + 1))
                    ++found;
            }
            return found;
        };
        // Pipelined in one record, then again after the connection was parked, twice.
        for (int round = 0; round < 3; ++round) {
            const std::string twice = ping + ping;
            socket.sendBytes(twice.data(), static_cast<int>(twice.size()));
            CPPUNIT_ASSERT_EQUAL(2, answers(2));
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
        }
        // Other clients are served while it is idle, with only two workers.
        std::vector<std::unique_ptr<Poco::Net::SecureStreamSocket>> others;
        for (int i = 0; i < 4; ++i) {
            others.push_back(std::make_unique<Poco::Net::SecureStreamSocket>(
                Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())), context));
            others.back()->sendBytes(ping.data(), static_cast<int>(ping.size()));
        }
        for (auto& other : others) {
            char buffer[4096];
            other->setReceiveTimeout(Poco::Timespan(5, 0));
            const int n = other->receiveBytes(buffer, sizeof buffer);
            CPPUNIT_ASSERT(n > 0 &&
                           std::string(buffer, static_cast<std::size_t>(n)).find("200 OK") != std::string::npos);
        }
        socket.sendBytes(ping.data(), static_cast<int>(ping.size()));
        CPPUNIT_ASSERT_EQUAL(1, answers(1));
    }

    void connectionsBeyondTheLimitAreRefusedWith503()
    {
        ServerProcess server(fixtureConfig({{"http.max_connections", "20"}}));
        server.start();
        auto connections = openAndPing(server, 20);
        RawHttpConnection extra(server.port());
        extra.write(ping);
        const RawHttpResponse refused = extra.read();
        CPPUNIT_ASSERT_EQUAL(503, refused.status);
        CPPUNIT_ASSERT(refused.closes());
        CPPUNIT_ASSERT(refused.body.find("http.max_connections") != std::string::npos);
        // The open ones still work; once one is gone there is room again.
        connections.front()->write(ping);
        assertPong(connections.front()->read());
        connections.pop_back();
        // Probes refused while the server has not yet seen the close count as well.
        CPPUNIT_ASSERT(eventually([&] {
            RawHttpConnection probe(server.port());
            probe.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            const RawHttpResponse response = probe.read();
            std::smatch refusals;
            return response.status == 200 &&
                   std::regex_search(response.body, refusals,
                                     std::regex("\ncomfygate_http_connections_refused_total ([0-9]+)\n")) &&
                   std::stoi(refusals[1]) >= 1;
        }));
    }

    void maxRequestsPerConnectionStillHolds()
    {
        ServerProcess server(fixtureConfig());
        server.start();
        RawHttpConnection connection(server.port());
        std::string batch;
        for (int i = 0; i < 100; ++i)
            batch += ping;
        for (int round = 0; round < 9; ++round) {
            connection.write(batch);
            for (int i = 0; i < 100; ++i)
                assertPong(connection.read());
        }
        connection.write(batch);
        for (int i = 0; i < 99; ++i)
            assertPong(connection.read());
        const RawHttpResponse last = connection.read(); // the 1,000th
        CPPUNIT_ASSERT_EQUAL(200, last.status);
        CPPUNIT_ASSERT(last.closes());
    }

    void sigtermWithIdleConnectionsExitsAtOnce()
    {
        ServerProcess server(fixtureConfig({{"http.threads", "4"}, {"http.drain_seconds", "10"}}));
        server.start();
        auto connections = openAndPing(server, 200);
        CPPUNIT_ASSERT(eventually([&] { return metric(server, "http_connections_idle") >= 200; }));
        const auto started = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(0, server.stop());
        const auto took = std::chrono::steady_clock::now() - started;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                                   " ms",
                               took < std::chrono::seconds(3));
        for (auto& connection : connections)
            CPPUNIT_ASSERT(connection->closedByServer(std::chrono::seconds(1)));
    }

    void requestInFlightFinishesWhileIdleOnesAreClosed()
    {
        ServerProcess server(fixtureConfig({{"http.drain_seconds", "10"}}));
        server.start();
        auto idle = openAndPing(server, 20);
        RawHttpConnection busy(server.port());
        busy.write("GET /fixture/slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        server.signal(SIGTERM);
        for (auto& connection : idle)
            CPPUNIT_ASSERT(connection->closedByServer(std::chrono::milliseconds(800)));
        const RawHttpResponse answer = busy.read();
        CPPUNIT_ASSERT_EQUAL(200, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("slept 1500 ms"), answer.body);
        CPPUNIT_ASSERT(busy.closedByServer(std::chrono::seconds(1)));
        CPPUNIT_ASSERT_EQUAL(0, server.stop());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdleConnectionsTest);

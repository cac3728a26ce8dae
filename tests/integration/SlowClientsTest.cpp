// Fault injection (issue 15): slow clients (slowloris). A client that sends its request head a
// byte at a time, or its body slower than http.body_min_bytes_per_second, holds a worker thread
// while it does; the server cuts it off after http.header_timeout_seconds (the whole head) or
// the body's time (http.body_timeout_seconds plus one second per body_min_bytes_per_second
// received) with a 408 and the close, however often a byte arrives, so more slow clients than
// worker threads never shut the others out.
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

/// Sends `head` at once, then `drip` one byte every `interval` (far below any receive timeout)
/// until the server answers or closes, or the drip runs out. What the server did is kept.
class Dribbler
{
public:
    Dribbler(unsigned port, std::string head, std::string drip, std::chrono::milliseconds interval)
        : _socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)))
    {
        _thread = std::thread([this, head = std::move(head), drip = std::move(drip), interval] {
            run(head, drip, interval);
        });
    }
    ~Dribbler()
    {
        if (_thread.joinable())
            _thread.join();
    }

    /// Waits for the end; true when the server cut the connection off before the drip ran out.
    bool cutOff()
    {
        _thread.join();
        return _cutOff;
    }
    /// What the server sent before it closed ("" when it only closed).
    const std::string& answer() const { return _answer; }

private:
    void run(const std::string& head, const std::string& drip, std::chrono::milliseconds interval)
    {
        try {
            _socket.sendBytes(head.data(), static_cast<int>(head.size()));
            for (char byte : drip) {
                if (serverSpoke())
                    return;
                std::this_thread::sleep_for(interval);
                _socket.sendBytes(&byte, 1);
            }
            // The drip ran out: the server let it through (or never noticed).
            _cutOff = serverSpoke();
        } catch (const Poco::Exception&) {
            _cutOff = true; // reset by the server while sending
        }
    }

    bool serverSpoke()
    {
        if (!_socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ))
            return false;
        char buffer[4096];
        int n;
        while ((n = _socket.receiveBytes(buffer, sizeof buffer)) > 0)
            _answer.append(buffer, static_cast<std::size_t>(n));
        _cutOff = true;
        return true;
    }

    Poco::Net::StreamSocket _socket;
    std::thread _thread;
    bool _cutOff = false;
    std::string _answer;
};

std::map<std::string, std::string> slowClientConfig()
{
    return {{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
            {"modules.enabled", "fixture,fixture_auth"},
            {"http.threads", "2"},
            // A byte every 200 ms never trips the per-read timeout...
            {"http.receive_timeout_seconds", "30"},
            // ...only the time of the whole head or body does.
            {"http.header_timeout_seconds", "2"},
            {"http.body_timeout_seconds", "2"},
            {"http.body_min_bytes_per_second", "10"}};
}

} // namespace

class SlowClientsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SlowClientsTest);
    CPPUNIT_TEST(dribbledHeadsAreCutOffAndOthersServed);
    CPPUNIT_TEST(dribbledBodyIsCutOffWith408);
    CPPUNIT_TEST(bodyAtTheMinimumRateIsServed);
    CPPUNIT_TEST_SUITE_END();

public:
    void dribbledHeadsAreCutOffAndOthersServed()
    {
        ServerProcess server(slowClientConfig());
        server.start();
        // Twice as many slow heads as worker threads, each endless (300 header bytes, 60 s).
        std::vector<std::unique_ptr<Dribbler>> slow;
        for (int i = 0; i < 4; ++i)
            slow.push_back(std::make_unique<Dribbler>(server.port(), "GET /fixture/ping HTTP/1.1\r\nHost: x\r\nX-Slow: ",
                                                      std::string(300, 'a'), 200ms));
        std::this_thread::sleep_for(300ms); // they hold both workers now
        const HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/ping").status);
        for (auto& dribbler : slow) {
            CPPUNIT_ASSERT_MESSAGE("a dribbled head was never cut off", dribbler->cutOff());
            CPPUNIT_ASSERT_MESSAGE(dribbler->answer(), dribbler->answer().rfind("HTTP/1.1 408", 0) == 0);
            CPPUNIT_ASSERT(dribbler->answer().find("http.header_timeout_seconds") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/ping").status);
    }

    void dribbledBodyIsCutOffWith408()
    {
        ServerProcess server(slowClientConfig());
        server.start();
        std::vector<std::unique_ptr<Dribbler>> slow;
        for (int i = 0; i < 4; ++i)
            slow.push_back(std::make_unique<Dribbler>(server.port(),
                                                      "POST /fixture/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                                      "fixture:ann:user\r\nContent-Length: 64\r\n\r\n",
                                                      std::string(64, 'b'), 400ms));
        std::this_thread::sleep_for(300ms);
        const HttpTestClient client(server.port());
        CPPUNIT_ASSERT_EQUAL(200, client.get("/fixture/ping").status);
        for (auto& dribbler : slow) {
            CPPUNIT_ASSERT_MESSAGE("a dribbled body was never cut off", dribbler->cutOff());
            CPPUNIT_ASSERT_MESSAGE(dribbler->answer(), dribbler->answer().rfind("HTTP/1.1 408", 0) == 0);
            CPPUNIT_ASSERT(dribbler->answer().find("http.body_min_bytes_per_second") != std::string::npos);
            // The handler never saw a cut body as if it were whole.
            CPPUNIT_ASSERT(dribbler->answer().find("bbbb") == std::string::npos);
        }
    }

    void bodyAtTheMinimumRateIsServed()
    {
        ServerProcess server(slowClientConfig());
        server.start();
        // 64 bytes, 8 every 500 ms: slow, but faster than 10 bytes/s after the 2 s allowance.
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server.port())));
        const std::string head = "POST /fixture/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fixture:ann:user\r\n"
                                 "Content-Length: 64\r\nConnection: close\r\n\r\n";
        socket.sendBytes(head.data(), static_cast<int>(head.size()));
        const std::string body(64, 'c');
        for (std::size_t at = 0; at < body.size(); at += 8) {
            std::this_thread::sleep_for(500ms);
            socket.sendBytes(body.data() + at, 8);
        }
        std::string answer;
        char buffer[4096];
        int n;
        socket.setReceiveTimeout(Poco::Timespan(10, 0));
        while ((n = socket.receiveBytes(buffer, sizeof buffer)) > 0)
            answer.append(buffer, static_cast<std::size_t>(n));
        CPPUNIT_ASSERT_MESSAGE(answer, answer.rfind("HTTP/1.1 200", 0) == 0);
        CPPUNIT_ASSERT(answer.find(body) != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SlowClientsTest);

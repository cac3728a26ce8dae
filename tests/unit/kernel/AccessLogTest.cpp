#include "AccessLog.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Message.h>

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <vector>

using comfygate::AccessLog;

namespace {

/// Keeps what the "access" logger writes.
class CapturingChannel : public Poco::Channel
{
public:
    void log(const Poco::Message& message) override { lines.push_back(message.getText()); }
    std::vector<std::string> lines;
};

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

AccessLog::Entry entry()
{
    AccessLog::Entry e;
    e.requestId = "req-1";
    e.client = "203.0.113.7";
    e.method = "GET";
    e.uri = "/ws?clientId=abc&token=SECRET";
    e.route = "/ws";
    e.status = 101;
    e.seconds = 0.25;
    e.user = "ann";
    return e;
}

} // namespace

class AccessLogTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(AccessLogTest);
    CPPUNIT_TEST(testParseFormat);
    CPPUNIT_TEST(testRedactCredentials);
    CPPUNIT_TEST(testRedactIsCaseInsensitive);
    CPPUNIT_TEST(testRedactKeepsOtherParameters);
    CPPUNIT_TEST(testRedactWithoutQueryUntouched);
    CPPUNIT_TEST(testRedactEdgeShapes);
    CPPUNIT_TEST(testRedactPercentEncodedName);
    CPPUNIT_TEST(testTextLine);
    CPPUNIT_TEST(testJsonLine);
    CPPUNIT_TEST(testOffWritesNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _channel = new CapturingChannel;
        Poco::Logger& logger = Poco::Logger::get("access");
        _previousChannel = logger.getChannel();
        _previousLevel = logger.getLevel();
        logger.setChannel(_channel);
        logger.setLevel(Poco::Message::PRIO_INFORMATION);
    }

    void tearDown() override
    {
        Poco::Logger& logger = Poco::Logger::get("access");
        logger.setChannel(_previousChannel);
        logger.setLevel(_previousLevel);
    }

    void testParseFormat()
    {
        CPPUNIT_ASSERT(AccessLog::parseFormat("off") == AccessLog::Format::Off);
        CPPUNIT_ASSERT(AccessLog::parseFormat("text") == AccessLog::Format::Text);
        CPPUNIT_ASSERT(AccessLog::parseFormat("json") == AccessLog::Format::Json);
        for (const std::string bad : {"", "JSON", "verbose", " text"}) {
            try {
                AccessLog::parseFormat(bad);
                CPPUNIT_FAIL("accepted access log format '" + bad + "'");
            } catch (const std::invalid_argument& e) {
                CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "http.access_log"));
            }
        }
    }

    void testRedactCredentials()
    {
        for (const std::string name : {"token", "access_token", "api_key", "apikey", "key",
                                       "password", "session_id", "ticket"}) {
            const std::string redacted = AccessLog::redact("/ws?" + name + "=s3cr3t");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "/ws?" + name + "=***", redacted);
        }
    }

    void testRedactIsCaseInsensitive()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/a?Token=***&API_KEY=***&PassWord=***"),
                             AccessLog::redact("/a?Token=x&API_KEY=y&PassWord=z"));
    }

    void testRedactKeepsOtherParameters()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/view?filename=a.png&token=***&type=output&subfolder="),
            AccessLog::redact("/view?filename=a.png&token=abc&type=output&subfolder="));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?tokens=keep&my_token=keep&keyword=keep"),
                             AccessLog::redact("/x?tokens=keep&my_token=keep&keyword=keep"));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?token=***&token=***"),
                             AccessLog::redact("/x?token=a&token=b"));
    }

    void testRedactWithoutQueryUntouched()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/mss-login/api/token"),
                             AccessLog::redact("/mss-login/api/token"));
        CPPUNIT_ASSERT_EQUAL(std::string("/path/token=abc"), AccessLog::redact("/path/token=abc"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), AccessLog::redact(""));
    }

    void testRedactEdgeShapes()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/x?"), AccessLog::redact("/x?"));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?token"), AccessLog::redact("/x?token"));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?token=***"), AccessLog::redact("/x?token="));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?a=1&&token=***"),
                             AccessLog::redact("/x?a=1&&token=b"));
        CPPUNIT_ASSERT_EQUAL(std::string("/x?token=***"), AccessLog::redact("/x?token=a=b"));
    }

    void testRedactPercentEncodedName()
    {
        // Poco's query parser (HttpExchange::query) decodes names, so "%74oken" IS the token
        // parameter for the server and must not reach the log in clear.
        const std::string redacted = AccessLog::redact("/ws?%74oken=SECRET&%61pi_key=SECRET2");
        CPPUNIT_ASSERT_MESSAGE(redacted, !contains(redacted, "SECRET"));
    }

    void testTextLine()
    {
        AccessLog log(AccessLog::Format::Text);
        log.write(entry());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _channel->lines.size());
        const std::string& line = _channel->lines[0];
        CPPUNIT_ASSERT_EQUAL(
            std::string("203.0.113.7 ann \"GET /ws?clientId=abc&token=***\" 101 250000us id=req-1"),
            line);
        auto anonymous = entry();
        anonymous.user.clear();
        log.write(anonymous);
        CPPUNIT_ASSERT(contains(_channel->lines[1], "203.0.113.7 - \"GET"));
    }

    void testJsonLine()
    {
        AccessLog log(AccessLog::Format::Json);
        log.write(entry());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _channel->lines.size());
        const auto object =
            Poco::JSON::Parser().parse(_channel->lines[0]).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("req-1"), object->getValue<std::string>("request_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("/ws?clientId=abc&token=***"),
                             object->getValue<std::string>("uri"));
        CPPUNIT_ASSERT_EQUAL(std::string("/ws"), object->getValue<std::string>("route"));
        CPPUNIT_ASSERT_EQUAL(101, object->getValue<int>("status"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(250.0, object->getValue<double>("ms"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("ann"), object->getValue<std::string>("user"));
        CPPUNIT_ASSERT(!contains(_channel->lines[0], "SECRET"));
    }

    void testOffWritesNothing()
    {
        AccessLog off(AccessLog::Format::Off);
        off.write(entry());
        CPPUNIT_ASSERT(_channel->lines.empty());
        Poco::Logger::get("access").setLevel(Poco::Message::PRIO_WARNING);
        AccessLog quiet(AccessLog::Format::Text);
        quiet.write(entry());
        CPPUNIT_ASSERT(_channel->lines.empty());
    }

private:
    Poco::AutoPtr<CapturingChannel> _channel;
    Poco::Channel::Ptr _previousChannel;
    int _previousLevel = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AccessLogTest);

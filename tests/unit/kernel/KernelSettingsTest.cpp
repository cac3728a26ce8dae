#include "Configuration.h"
#include "KernelSettings.h"

#include <Poco/Path.h>

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::AccessLog;
using comfygate::Configuration;
using comfygate::KernelSettings;
using Overrides = std::map<std::string, std::string>;

namespace {

KernelSettings readWith(const Overrides& overrides)
{
    Configuration config;
    config.applyOverrides(overrides);
    return KernelSettings::read(config);
}

/// The message read() throws for these overrides ("" when it accepts them).
std::string rejection(const Overrides& overrides)
{
    try {
        readWith(overrides);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class KernelSettingsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(KernelSettingsTest);
    CPPUNIT_TEST(testBuiltInDefaultsAreValid);
    CPPUNIT_TEST(testValuesCarriedOver);
    CPPUNIT_TEST(testDataDirAbsoluteWithoutTrailingSlash);
    CPPUNIT_TEST(testBadPort);
    CPPUNIT_TEST(testBlankPortIsNotRandom);
    CPPUNIT_TEST(testBadThreads);
    CPPUNIT_TEST(testBadBackend);
    CPPUNIT_TEST(testBadAccessLog);
    CPPUNIT_TEST(testBadCidr);
    CPPUNIT_TEST(testTlsHalfSet);
    CPPUNIT_TEST(testBadLogLevel);
    CPPUNIT_TEST(testBadBooleanFlag);
    CPPUNIT_TEST(testOtherRanges);
    CPPUNIT_TEST(testSourceNamedInMessage);
    CPPUNIT_TEST_SUITE_END();

public:
    void testBuiltInDefaultsAreValid()
    {
        const KernelSettings s = readWith({});
        CPPUNIT_ASSERT_EQUAL(8190u, s.http.port);
        CPPUNIT_ASSERT_EQUAL(32, s.http.threads);
        CPPUNIT_ASSERT_EQUAL(10000, s.http.maxConnections);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64 * 1024), s.http.drain.bytes);
        CPPUNIT_ASSERT_EQUAL(Poco::Timespan::TimeDiff(1000000), s.http.drain.deadline.totalMicroseconds());
        CPPUNIT_ASSERT(s.accessLog == AccessLog::Format::Text);
        CPPUNIT_ASSERT_EQUAL(std::string("can_view_metrics"), s.metricsPermission);
        CPPUNIT_ASSERT(s.modulesDirs.size() == 1);
        CPPUNIT_ASSERT(!s.policyDir.empty());
        CPPUNIT_ASSERT(s.pipeline.trustedProxies.empty());
        CPPUNIT_ASSERT(!s.pipeline.tls);
        CPPUNIT_ASSERT(s.groupsFile.empty());
    }

    void testValuesCarriedOver()
    {
        const KernelSettings s = readWith({{"http.port", "0"},
                                           {"http.threads", "2"},
                                           {"http.max_connections", "500"},
                                           {"http.access_log", "json"},
                                           {"http.trusted_proxies", "127.0.0.1, 10.0.0.0/8"},
                                           {"http.ip_deny", "192.0.2.0/24"},
                                           {"http.tls.cert", "/etc/c.pem"},
                                           {"http.tls.key", "/etc/k.pem"},
                                           {"http.max_body_bytes", "2048"},
                                           {"http.drain_limit_kb", "8"},
                                           {"http.drain_timeout_ms", "250"},
                                           {"db.backend", "postgresql"},
                                           {"modules.dir", "/opt/mods"},
                                           {"modules.enabled", "auth, presets"},
                                           {"policy.dir", "/opt/policy"},
                                           {"scheduler.workers", "8"}});
        CPPUNIT_ASSERT_EQUAL(0u, s.http.port);
        CPPUNIT_ASSERT_EQUAL(2, s.http.threads);
        CPPUNIT_ASSERT_EQUAL(500, s.http.maxConnections);
        CPPUNIT_ASSERT(s.accessLog == AccessLog::Format::Json);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), s.pipeline.trustedProxies.size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), s.pipeline.deny.size());
        CPPUNIT_ASSERT(s.pipeline.tls);
        CPPUNIT_ASSERT_EQUAL(std::string("/etc/c.pem"), s.http.tlsCert);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2048), s.defaultBodyLimit);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8 * 1024), s.http.drain.bytes);
        CPPUNIT_ASSERT_EQUAL(Poco::Timespan::TimeDiff(250000), s.http.drain.deadline.totalMicroseconds());
        CPPUNIT_ASSERT(s.modulesDirs == (std::vector<std::string>{"/opt/mods"}));
        CPPUNIT_ASSERT(s.modulesEnabled == (std::vector<std::string>{"auth", "presets"}));
        CPPUNIT_ASSERT_EQUAL(std::string("/opt/policy"), s.policyDir);
        CPPUNIT_ASSERT_EQUAL(8, s.schedulerWorkers);
    }

    void testDataDirAbsoluteWithoutTrailingSlash()
    {
        KernelSettings s = readWith({{"data.dir", "/srv/comfygate/"}});
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/comfygate"), s.dataDir);
        s = readWith({{"data.dir", "relative/dir"}});
        CPPUNIT_ASSERT(Poco::Path(s.dataDir).isAbsolute());
        CPPUNIT_ASSERT(contains(s.dataDir, "relative/dir"));
        CPPUNIT_ASSERT(s.dataDir.back() != '/');
    }

    void testBadPort()
    {
        for (const std::string port : {"70000", "-1", "http", "80.5"}) {
            const std::string message = rejection({{"http.port", port}});
            CPPUNIT_ASSERT_MESSAGE(port + ": " + message, contains(message, "http.port"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), rejection({{"http.port", "65535"}}));
    }

    void testBlankPortIsNotRandom()
    {
        // "COMFYGATE_HTTP_PORT=" (or "http.port =" in a file) must not silently bind a random
        // port: either the default port or an error naming the key.
        std::string message;
        unsigned port = 0;
        try {
            port = readWith({{"http.port", ""}}).http.port;
        } catch (const std::invalid_argument& e) {
            message = e.what();
        }
        CPPUNIT_ASSERT_MESSAGE("a blank http.port became port 0",
                               port == 8190 || contains(message, "http.port"));
    }

    void testBadThreads()
    {
        for (const std::string threads : {"1", "0", "4097", "lots"}) {
            const std::string message = rejection({{"http.threads", threads}});
            CPPUNIT_ASSERT_MESSAGE(threads + ": " + message, contains(message, "http.threads"));
        }
    }

    void testBadBackend()
    {
        const std::string message = rejection({{"db.backend", "mysql"}});
        CPPUNIT_ASSERT_MESSAGE(message,
                               contains(message, "db.backend") && contains(message, "mysql"));
        CPPUNIT_ASSERT_EQUAL(std::string(), rejection({{"db.backend", "postgresql"}}));
    }

    void testBadAccessLog()
    {
        const std::string message = rejection({{"http.access_log", "verbose"}});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "http.access_log"));
        CPPUNIT_ASSERT_EQUAL(std::string(), rejection({{"http.access_log", "off"}}));
    }

    void testBadCidr()
    {
        for (const std::string key : {"http.trusted_proxies", "http.ip_allow", "http.ip_deny"}) {
            const std::string message = rejection({{key, "10.0.0.0/8, 10.0.0.0/33"}});
            CPPUNIT_ASSERT_MESSAGE(key + ": " + message, contains(message, key));
            CPPUNIT_ASSERT_MESSAGE(message, contains(message, "10.0.0.0/33"));
        }
    }

    void testTlsHalfSet()
    {
        std::string message = rejection({{"http.tls.cert", "/etc/c.pem"}});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "http.tls.cert") &&
                                            contains(message, "http.tls.key"));
        message = rejection({{"http.tls.key", "/etc/k.pem"}});
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "http.tls.key"));
    }

    void testBadLogLevel()
    {
        const std::string message = rejection({{"log.level", "chatty"}});
        CPPUNIT_ASSERT_MESSAGE(message,
                               contains(message, "log.level") && contains(message, "chatty"));
        CPPUNIT_ASSERT_EQUAL(std::string(), rejection({{"log.level", "debug"}}));
    }

    void testBadBooleanFlag()
    {
        for (const std::string key :
             {"comfy.separate_users", "auth.allow_guest_jwt", "experimental.mfa"}) {
            const std::string message = rejection({{key, "perhaps"}});
            CPPUNIT_ASSERT_MESSAGE(key + ": " + message, contains(message, key));
        }
    }

    void testOtherRanges()
    {
        const std::vector<std::pair<std::string, std::string>> bad{
            {"http.queue", "0"},
            {"http.max_connections", "0"},
            {"http.keep_alive_seconds", "3601"},
            {"http.receive_timeout_seconds", "0"},
            {"http.drain_seconds", "601"},
            {"http.max_body_bytes", "100"},
            {"db.pool.min", "0"},
            {"db.pool.max", "257"},
            {"db.sqlite.busy_timeout_ms", "-5"},
            {"db.postgres.port", "0"},
            {"policy.watch_seconds", "-1"},
            {"policy.max_instructions", "10"},
            {"policy.max_millis", "0"},
            {"policy.event_deadline_ms", "0"},
            {"policy.max_memory_bytes", "1024"},
            {"scheduler.workers", "0"},
            {"scheduler.queue", "0"},
        };
        for (const auto& [key, value] : bad) {
            const std::string message = rejection({{key, value}});
            CPPUNIT_ASSERT_MESSAGE(key + "=" + value + ": " + message, contains(message, key));
        }
    }

    void testSourceNamedInMessage()
    {
        Configuration config;
        config.applyEnvironment({{"COMFYGATE_HTTP_PORT", "99999"}});
        try {
            KernelSettings::read(config);
            CPPUNIT_FAIL("port 99999 was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "COMFYGATE_HTTP_PORT"));
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "99999"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelSettingsTest);

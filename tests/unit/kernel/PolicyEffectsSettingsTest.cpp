// Reading the policy effects' configuration: defaults from etc/comfygate.properties, channels
// from policy.channels.<name>.*, and startup errors that name the key.
#include "Configuration.h"
#include "PolicyEffectsSettings.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::Configuration;
using comfygate::PolicyEffectsSettings;

class PolicyEffectsSettingsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PolicyEffectsSettingsTest);
    CPPUNIT_TEST(defaultsMatchTheShippedProperties);
    CPPUNIT_TEST(channelsAreRead);
    CPPUNIT_TEST(badChannelsNameTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaultsMatchTheShippedProperties()
    {
        Configuration config;
        const auto settings = PolicyEffectsSettings::read(config);
        const PolicyEffectsSettings built;
        CPPUNIT_ASSERT_EQUAL(built.kvMaxValueBytes, settings.kvMaxValueBytes);
        CPPUNIT_ASSERT_EQUAL(built.kvMaxKeysPerUser, settings.kvMaxKeysPerUser);
        CPPUNIT_ASSERT(built.counterSweepInterval == settings.counterSweepInterval);
        CPPUNIT_ASSERT(settings.httpAllowHosts.empty());
        CPPUNIT_ASSERT(built.httpTimeout == settings.httpTimeout);
        CPPUNIT_ASSERT_EQUAL(built.httpMaxResponseBytes, settings.httpMaxResponseBytes);
        CPPUNIT_ASSERT(built.notifyInterval == settings.notifyInterval);
        CPPUNIT_ASSERT(built.notifyTimeout == settings.notifyTimeout);
        CPPUNIT_ASSERT_EQUAL(built.notifyMaxAttempts, settings.notifyMaxAttempts);
        CPPUNIT_ASSERT(built.notifyRetryBase == settings.notifyRetryBase);
        CPPUNIT_ASSERT(built.notifyRetryMax == settings.notifyRetryMax);
        CPPUNIT_ASSERT(settings.channels.empty());
    }

    void channelsAreRead()
    {
        Configuration config;
        config.applyOverrides({{"policy.channels.ops.url", "https://hooks.example/x"},
                               {"policy.channels.ops.secret", "s"},
                               {"policy.channels.phone.type", "ntfy"},
                               {"policy.channels.phone.url", "http://ntfy.local/topic"},
                               {"policy.channels.phone.token", "t"},
                               {"policy.channels.audit.type", "log"},
                               {"policy.http.allow_hosts", "classifier.local, 127.0.0.1"}});
        const auto settings = PolicyEffectsSettings::read(config);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), settings.channels.size());
        CPPUNIT_ASSERT_EQUAL(std::string("webhook"), settings.channels.at("ops").type);
        CPPUNIT_ASSERT_EQUAL(std::string("s"), settings.channels.at("ops").secret);
        CPPUNIT_ASSERT_EQUAL(std::string("ntfy"), settings.channels.at("phone").type);
        CPPUNIT_ASSERT_EQUAL(std::string("t"), settings.channels.at("phone").token);
        CPPUNIT_ASSERT_EQUAL(std::string("log"), settings.channels.at("audit").type);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), settings.httpAllowHosts.size());
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), settings.httpAllowHosts[1]);
    }

    void badChannelsNameTheKey()
    {
        expectError({{"policy.channels.ops.type", "email"}, {"policy.channels.ops.url", "http://h/"}},
                    "policy.channels.ops.type must be webhook, ntfy or log (got 'email')");
        expectError({{"policy.channels.ops.secret", "s"}}, "policy.channels.ops.url must be an http:// or https:// URL");
        expectError({{"policy.channels.ops.url", "ftp://h/"}}, "policy.channels.ops.url must be an http:// or https:// URL");
        expectError({{"policy.channels.ops.uri", "http://h/"}}, "policy.channels.ops.uri: unknown channel setting 'uri'");
        expectError({{"policy.channels.Ops.url", "http://h/"}}, "policy.channels.Ops.*: a channel name is a-z, 0-9, _ and -");
        expectError({{"policy.notify.max_attempts", "0"}}, "policy.notify.max_attempts must be at least 1 (got 0)");
    }

private:
    static void expectError(const std::map<std::string, std::string>& overrides, const std::string& expected)
    {
        Configuration config;
        config.applyOverrides(overrides);
        try {
            PolicyEffectsSettings::read(config);
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(expected) == 0);
            return;
        }
        CPPUNIT_FAIL("accepted: " + expected);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PolicyEffectsSettingsTest);

#include "OriginCheck.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::OriginCheck;

class OriginCheckTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(OriginCheckTest);
    CPPUNIT_TEST(noOriginIsAllowed);
    CPPUNIT_TEST(ownHostMatchesWhateverTheScheme);
    CPPUNIT_TEST(listedOriginsMatchCaseInsensitively);
    CPPUNIT_TEST(otherAndMalformedOriginsAreRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void noOriginIsAllowed() { CPPUNIT_ASSERT(OriginCheck({}).allows("", "gw.example.com")); }

    void ownHostMatchesWhateverTheScheme()
    {
        const OriginCheck check({});
        CPPUNIT_ASSERT(check.allows("https://gw.example.com", "gw.example.com"));
        CPPUNIT_ASSERT(check.allows("http://GW.example.com:8190", "gw.example.com:8190"));
        CPPUNIT_ASSERT(check.allows("https://gw.example.com:443", "gw.example.com"));
        CPPUNIT_ASSERT(check.allows("http://127.0.0.1:8190/", "127.0.0.1:8190"));
        CPPUNIT_ASSERT(!check.allows("http://gw.example.com:8191", "gw.example.com:8190"));
    }

    void listedOriginsMatchCaseInsensitively()
    {
        const OriginCheck check({"https://App.example.com", "http://localhost:5173/"});
        CPPUNIT_ASSERT(check.allows("https://app.example.com", "gw.example.com"));
        CPPUNIT_ASSERT(check.allows("http://localhost:5173", "gw.example.com"));
        CPPUNIT_ASSERT(!check.allows("http://app.example.com", "gw.example.com")); // the scheme counts here
        CPPUNIT_ASSERT(!check.allows("http://localhost:5174", "gw.example.com"));
    }

    void otherAndMalformedOriginsAreRefused()
    {
        const OriginCheck check({"garbage"});
        CPPUNIT_ASSERT(!check.allows("https://evil.example", "gw.example.com"));
        CPPUNIT_ASSERT(!check.allows("null", "gw.example.com"));
        CPPUNIT_ASSERT(!check.allows("garbage", "garbage"));
        CPPUNIT_ASSERT(!check.allows("https://gw.example.com@evil.example", "gw.example.com"));
        CPPUNIT_ASSERT(!check.allows("https://evil.example/gw.example.com", "gw.example.com"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OriginCheckTest);

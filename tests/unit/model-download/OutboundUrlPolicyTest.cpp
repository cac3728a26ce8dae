#include "OutboundUrlPolicy.h"

#include <cppunit/extensions/HelperMacros.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

using comfygate::modeldownload::OutboundUrlPolicy;

namespace {

bool publicV4(const char* text)
{
    in_addr address{};
    CPPUNIT_ASSERT_MESSAGE(text, inet_pton(AF_INET, text, &address) == 1);
    return OutboundUrlPolicy::isPublicIPv4(ntohl(address.s_addr));
}

bool publicV6(const char* text)
{
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    CPPUNIT_ASSERT_MESSAGE(text, inet_pton(AF_INET6, text, &address.sin6_addr) == 1);
    return OutboundUrlPolicy::isPublicAddress(reinterpret_cast<const sockaddr&>(address));
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class OutboundUrlPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(OutboundUrlPolicyTest);
    CPPUNIT_TEST(testPrivateIpv4Ranges);
    CPPUNIT_TEST(testPublicIpv4);
    CPPUNIT_TEST(testIpv6Ranges);
    CPPUNIT_TEST(testHttpsRequired);
    CPPUNIT_TEST(testLoopbackAndMetadataHostsRefused);
    CPPUNIT_TEST(testOddNumericSpellingsRefused);
    CPPUNIT_TEST(testAllowPrivateAddresses);
    CPPUNIT_TEST(testHostAndPort);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPrivateIpv4Ranges()
    {
        for (const char* address :
             {"0.0.0.0",         "10.1.2.3",        "100.64.0.1",      "100.127.255.254", "127.0.0.1",
              "127.255.255.255", "169.254.169.254", "172.16.0.1",      "172.31.255.255",  "192.0.0.8",
              "192.0.2.1",       "192.168.1.1",     "198.18.0.1",      "198.19.255.1",    "198.51.100.7",
              "203.0.113.9",     "224.0.0.1",       "239.255.255.250", "240.0.0.1",       "255.255.255.255"})
            CPPUNIT_ASSERT_MESSAGE(address, !publicV4(address));
    }

    void testPublicIpv4()
    {
        for (const char* address : {"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255",
                                    "172.32.0.0", "192.169.0.1", "104.18.0.1", "223.255.255.255"})
            CPPUNIT_ASSERT_MESSAGE(address, publicV4(address));
    }

    void testIpv6Ranges()
    {
        for (const char* address :
             {"::", "::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
              "64:ff9b::a00:1", "64:ff9b:1::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
              "2001:db8::1", "2001:0:4136:e378::1", "2002:7f00:1::1", "100::1"})
            CPPUNIT_ASSERT_MESSAGE(address, !publicV6(address));
        for (const char* address :
             {"2606:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
            CPPUNIT_ASSERT_MESSAGE(address, publicV6(address));
    }

    void testHttpsRequired()
    {
        const OutboundUrlPolicy policy(false);
        CPPUNIT_ASSERT(contains(policy.problem("http://8.8.8.8/x"), "https"));
        CPPUNIT_ASSERT(contains(policy.problem("ftp://8.8.8.8/x"), "https"));
        CPPUNIT_ASSERT(contains(policy.problem("file:///etc/passwd"), "https"));
        CPPUNIT_ASSERT_EQUAL(std::string(), policy.problem("https://8.8.8.8/x"));
    }

    void testLoopbackAndMetadataHostsRefused()
    {
        const OutboundUrlPolicy policy(false);
        for (const char* url :
             {"https://127.0.0.1/x", "https://localhost:8443/x", "https://169.254.169.254/latest", "https://[::1]/x",
              "https://[::ffff:127.0.0.1]/x", "https://10.0.0.5/x", "https://192.168.0.10/x"})
            CPPUNIT_ASSERT_MESSAGE(url, !policy.problem(url).empty());
    }

    void testOddNumericSpellingsRefused()
    {
        const OutboundUrlPolicy policy(false);
        for (const char* url : {"https://2130706433/x", "https://0x7f000001/x", "https://0177.0.0.1/x",
                                "https://127.1/x", "https://0x08.0x08.0x08.0x08/x"})
            CPPUNIT_ASSERT_MESSAGE(url, !policy.problem(url).empty());
    }

    void testAllowPrivateAddresses()
    {
        const OutboundUrlPolicy policy(true);
        CPPUNIT_ASSERT_EQUAL(std::string(), policy.problem("http://127.0.0.1:8080/x"));
        CPPUNIT_ASSERT_EQUAL(std::string(), policy.problem("https://localhost/x"));
        CPPUNIT_ASSERT(!policy.problem("ftp://127.0.0.1/x").empty());
        CPPUNIT_ASSERT(!policy.problem("not a url").empty());
    }

    void testHostAndPort()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("civitai.com:443"), OutboundUrlPolicy::hostAndPort("https://CivitAI.com/api"));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:8080"), OutboundUrlPolicy::hostAndPort("http://127.0.0.1:8080/"));
        CPPUNIT_ASSERT_EQUAL(std::string("example.org:80"), OutboundUrlPolicy::hostAndPort("http://example.org"));
        CPPUNIT_ASSERT_EQUAL(std::string(), OutboundUrlPolicy::hostAndPort("/relative"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OutboundUrlPolicyTest);

#include "ClientAddressResolver.h"
#include "FakeServerRequest.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::ClientAddressResolver;
using comfygate::IpRange;
using comfygate::test::FakeServerRequest;
using Poco::Net::IPAddress;

namespace {

/// Trusts the loopback proxy and the 10.0.0.0/8 proxy tier.
ClientAddressResolver proxiedResolver()
{
    return ClientAddressResolver(IpRange::parseList({"127.0.0.1", "10.0.0.0/8"}));
}

ClientAddressResolver::Client resolve(const ClientAddressResolver& resolver,
                                      const std::string& peer,
                                      const std::map<std::string, std::string>& headers)
{
    FakeServerRequest request("GET", "/");
    for (const auto& [name, value] : headers)
        request.set(name, value);
    return resolver.resolve(IPAddress(peer), request);
}

std::string address(const ClientAddressResolver::Client& client)
{
    return client.address.toString();
}

} // namespace

class ClientAddressResolverTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ClientAddressResolverTest);
    CPPUNIT_TEST(testNoTrustedProxiesUsesPeer);
    CPPUNIT_TEST(testUntrustedPeerIgnoresForwardedHeaders);
    CPPUNIT_TEST(testTrustedPeerWithoutHeadersIsClient);
    CPPUNIT_TEST(testTrustedPeerTakesLastForwardedHop);
    CPPUNIT_TEST(testTrustedHopsAreSkippedRightToLeft);
    CPPUNIT_TEST(testSpoofedLeftmostEntryIgnored);
    CPPUNIT_TEST(testAllTrustedChainKeepsPeer);
    CPPUNIT_TEST(testMalformedForwardedForKeepsPeer);
    CPPUNIT_TEST(testRealIpOnlyWithoutForwardedFor);
    CPPUNIT_TEST(testMalformedRealIpKeepsPeer);
    CPPUNIT_TEST(testForwardedProtoOnlyFromTrustedPeer);
    CPPUNIT_TEST(testMappedAddressesNormalized);
    CPPUNIT_TEST(testIpv6ForwardedHop);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoTrustedProxiesUsesPeer()
    {
        ClientAddressResolver resolver({});
        const auto client = resolve(resolver, "203.0.113.9",
                                    {{"X-Forwarded-For", "1.1.1.1"},
                                     {"X-Real-IP", "2.2.2.2"},
                                     {"X-Forwarded-Proto", "https"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.9"), address(client));
        CPPUNIT_ASSERT(!client.viaTrustedProxy);
        CPPUNIT_ASSERT(!client.forwardedSecure);
    }

    void testUntrustedPeerIgnoresForwardedHeaders()
    {
        const auto resolver = proxiedResolver();
        auto client = resolve(resolver, "198.51.100.4", {{"X-Forwarded-For", "10.0.0.1"}});
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.4"), address(client));
        CPPUNIT_ASSERT(!client.viaTrustedProxy);
        client = resolve(resolver, "198.51.100.4", {{"X-Real-IP", "127.0.0.1"}});
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.4"), address(client));
    }

    void testTrustedPeerWithoutHeadersIsClient()
    {
        const auto client = resolve(proxiedResolver(), "10.0.0.2", {});
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2"), address(client));
        CPPUNIT_ASSERT(client.viaTrustedProxy);
    }

    void testTrustedPeerTakesLastForwardedHop()
    {
        const auto client =
            resolve(proxiedResolver(), "127.0.0.1", {{"X-Forwarded-For", "203.0.113.7"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), address(client));
        CPPUNIT_ASSERT(client.viaTrustedProxy);
    }

    void testTrustedHopsAreSkippedRightToLeft()
    {
        const auto client =
            resolve(proxiedResolver(), "127.0.0.1",
                    {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.1.1,10.2.2.2"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), address(client));
    }

    void testSpoofedLeftmostEntryIgnored()
    {
        // The client sent "X-Forwarded-For: 10.9.9.9" itself; the proxy appended its real address.
        const auto client = resolve(proxiedResolver(), "10.0.0.2",
                                    {{"X-Forwarded-For", "10.9.9.9, 198.51.100.23"}});
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.23"), address(client));
    }

    void testAllTrustedChainKeepsPeer()
    {
        const auto client =
            resolve(proxiedResolver(), "10.0.0.2",
                    {{"X-Forwarded-For", "10.1.1.1, 127.0.0.1"}, {"X-Real-IP", "203.0.113.5"}});
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2"), address(client));
        CPPUNIT_ASSERT(client.viaTrustedProxy);
    }

    void testMalformedForwardedForKeepsPeer()
    {
        const auto resolver = proxiedResolver();
        for (const std::string header : {"not-an-ip", "203.0.113.7, garbage, 10.0.0.5",
                                         "203.0.113.7:5555", "unknown", "203.0.113.7;rm -rf"}) {
            const auto client = resolve(resolver, "127.0.0.1", {{"X-Forwarded-For", header}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(header, std::string("127.0.0.1"), address(client));
        }
        // The untrusted hop right of the garbage is found before the garbage is reached.
        const auto client =
            resolve(resolver, "127.0.0.1", {{"X-Forwarded-For", "garbage, 203.0.113.7, 10.0.0.5"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), address(client));
    }

    void testRealIpOnlyWithoutForwardedFor()
    {
        const auto resolver = proxiedResolver();
        auto client = resolve(resolver, "127.0.0.1", {{"X-Real-IP", "203.0.113.8"}});
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.8"), address(client));
        client = resolve(resolver, "127.0.0.1",
                         {{"X-Real-IP", "203.0.113.8"}, {"X-Forwarded-For", "198.51.100.2"}});
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.2"), address(client));
    }

    void testMalformedRealIpKeepsPeer()
    {
        const auto client = resolve(proxiedResolver(), "127.0.0.1", {{"X-Real-IP", "somewhere"}});
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), address(client));
    }

    void testForwardedProtoOnlyFromTrustedPeer()
    {
        const auto resolver = proxiedResolver();
        CPPUNIT_ASSERT(
            resolve(resolver, "127.0.0.1", {{"X-Forwarded-Proto", "https"}}).forwardedSecure);
        CPPUNIT_ASSERT(
            resolve(resolver, "127.0.0.1", {{"X-Forwarded-Proto", "HTTPS"}}).forwardedSecure);
        CPPUNIT_ASSERT(
            !resolve(resolver, "127.0.0.1", {{"X-Forwarded-Proto", "http"}}).forwardedSecure);
        CPPUNIT_ASSERT(!resolve(resolver, "127.0.0.1", {}).forwardedSecure);
        CPPUNIT_ASSERT(
            !resolve(resolver, "198.51.100.4", {{"X-Forwarded-Proto", "https"}}).forwardedSecure);
    }

    void testMappedAddressesNormalized()
    {
        const auto resolver = proxiedResolver();
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
        auto client =
            resolve(resolver, "::ffff:127.0.0.1", {{"X-Forwarded-For", "::ffff:203.0.113.7"}});
        CPPUNIT_ASSERT(client.viaTrustedProxy);
        CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.7"), address(client));
        client = resolve(resolver, "::ffff:198.51.100.4", {});
        CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.4"), address(client));
        CPPUNIT_ASSERT(client.address.family() == IPAddress::IPv4);
    }

    void testIpv6ForwardedHop()
    {
        ClientAddressResolver resolver(IpRange::parseList({"::1", "fd00::/8"}));
        const auto client = resolve(resolver, "::1", {{"X-Forwarded-For", "2001:db8::7, fd00::2"}});
        CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::7"), address(client));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClientAddressResolverTest);

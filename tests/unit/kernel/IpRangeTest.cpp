#include "IpRange.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::IpRange;
using Poco::Net::IPAddress;

namespace {

bool in(const std::string& range, const std::string& address)
{
    return IpRange(range).contains(IPAddress(address));
}

bool rejected(const std::string& text)
{
    try {
        IpRange{text};
    } catch (const std::invalid_argument& e) {
        return std::string(e.what()).find(text) != std::string::npos;
    }
    return false;
}

} // namespace

class IpRangeTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(IpRangeTest);
    CPPUNIT_TEST(testIpv4Cidr);
    CPPUNIT_TEST(testIpv4SingleAddress);
    CPPUNIT_TEST(testIpv4PrefixEdges);
    CPPUNIT_TEST(testIpv4OddPrefix);
    CPPUNIT_TEST(testHostBitsInNetworkIgnored);
    CPPUNIT_TEST(testIpv6Cidr);
    CPPUNIT_TEST(testIpv6SingleAddress);
    CPPUNIT_TEST(testIpv6PrefixEdges);
    CPPUNIT_TEST(testIpv6AllAddresses);
    CPPUNIT_TEST(testIpv6OddPrefix);
    CPPUNIT_TEST(testFamiliesDoNotMix);
    CPPUNIT_TEST(testMappedAddressMatchesIpv4Range);
    CPPUNIT_TEST(testMappedSingleAddressRange);
    CPPUNIT_TEST(testMappedCidrRange);
    CPPUNIT_TEST(testNormalize);
    CPPUNIT_TEST(testBadInputThrows);
    CPPUNIT_TEST(testNonCanonicalInputRefused);
    CPPUNIT_TEST(testParseListAndAnyContains);
    CPPUNIT_TEST_SUITE_END();

public:
    void testIpv4Cidr()
    {
        CPPUNIT_ASSERT(in("10.0.0.0/8", "10.0.0.0"));
        CPPUNIT_ASSERT(in("10.0.0.0/8", "10.255.255.255"));
        CPPUNIT_ASSERT(!in("10.0.0.0/8", "11.0.0.0"));
        CPPUNIT_ASSERT(!in("10.0.0.0/8", "9.255.255.255"));
        CPPUNIT_ASSERT(in("192.168.1.0/24", "192.168.1.200"));
        CPPUNIT_ASSERT(!in("192.168.1.0/24", "192.168.2.1"));
        CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.0/8"), IpRange("10.0.0.0/8").text());
    }

    void testIpv4SingleAddress()
    {
        CPPUNIT_ASSERT(in("192.168.1.7", "192.168.1.7"));
        CPPUNIT_ASSERT(!in("192.168.1.7", "192.168.1.6"));
        CPPUNIT_ASSERT(!in("192.168.1.7", "192.168.1.8"));
    }

    void testIpv4PrefixEdges()
    {
        CPPUNIT_ASSERT(in("0.0.0.0/0", "1.2.3.4"));
        CPPUNIT_ASSERT(in("0.0.0.0/0", "255.255.255.255"));
        CPPUNIT_ASSERT(in("10.1.2.3/32", "10.1.2.3"));
        CPPUNIT_ASSERT(!in("10.1.2.3/32", "10.1.2.2"));
        CPPUNIT_ASSERT(in("128.0.0.0/1", "200.0.0.1"));
        CPPUNIT_ASSERT(!in("128.0.0.0/1", "127.255.255.255"));
        CPPUNIT_ASSERT(in("10.1.2.2/31", "10.1.2.3"));
        CPPUNIT_ASSERT(!in("10.1.2.2/31", "10.1.2.4"));
    }

    void testIpv4OddPrefix()
    {
        // 172.16.0.0/12 is 172.16.0.0 .. 172.31.255.255
        CPPUNIT_ASSERT(in("172.16.0.0/12", "172.16.0.1"));
        CPPUNIT_ASSERT(in("172.16.0.0/12", "172.31.255.255"));
        CPPUNIT_ASSERT(!in("172.16.0.0/12", "172.32.0.0"));
        CPPUNIT_ASSERT(!in("172.16.0.0/12", "172.15.255.255"));
        // 100.64.0.0/10 is 100.64.0.0 .. 100.127.255.255
        CPPUNIT_ASSERT(in("100.64.0.0/10", "100.127.1.1"));
        CPPUNIT_ASSERT(!in("100.64.0.0/10", "100.128.0.0"));
        CPPUNIT_ASSERT(!in("100.64.0.0/10", "100.63.255.255"));
        CPPUNIT_ASSERT(in("10.0.0.0/9", "10.127.0.0"));
        CPPUNIT_ASSERT(!in("10.0.0.0/9", "10.128.0.0"));
    }

    void testHostBitsInNetworkIgnored()
    {
        CPPUNIT_ASSERT(in("10.1.2.3/8", "10.200.0.1"));
        CPPUNIT_ASSERT(!in("10.1.2.3/8", "11.1.2.3"));
    }

    void testIpv6Cidr()
    {
        CPPUNIT_ASSERT(in("2001:db8::/32", "2001:db8:1234::1"));
        CPPUNIT_ASSERT(!in("2001:db8::/32", "2001:db9::1"));
        CPPUNIT_ASSERT(in("fd00::/8", "fdab:cd::1"));
        CPPUNIT_ASSERT(!in("fd00::/8", "fe00::1"));
    }

    void testIpv6SingleAddress()
    {
        CPPUNIT_ASSERT(in("::1", "::1"));
        CPPUNIT_ASSERT(!in("::1", "::2"));
        CPPUNIT_ASSERT(in("2001:db8::5", "2001:db8:0:0:0:0:0:5"));
    }

    void testIpv6PrefixEdges()
    {
        CPPUNIT_ASSERT(in("8000::/1", "ffff::1"));
        CPPUNIT_ASSERT(!in("8000::/1", "7fff::1"));
        CPPUNIT_ASSERT(in("2001:db8::1/128", "2001:db8::1"));
        CPPUNIT_ASSERT(!in("2001:db8::1/128", "2001:db8::2"));
        CPPUNIT_ASSERT(in("::1/128", "::1"));
    }

    void testIpv6AllAddresses()
    {
        // "::" is a valid IPv6 address; "::/0" is the usual way to say "every IPv6 client".
        CPPUNIT_ASSERT(in("::/0", "2001:db8::1"));
        CPPUNIT_ASSERT(in("::/0", "::1"));
        CPPUNIT_ASSERT(!in("::/0", "127.0.0.1"));
    }

    void testIpv6OddPrefix()
    {
        // fe80::/10 is fe80:: .. febf:ffff:...
        CPPUNIT_ASSERT(in("fe80::/10", "fe80::1"));
        CPPUNIT_ASSERT(in("fe80::/10", "febf:ffff::1"));
        CPPUNIT_ASSERT(!in("fe80::/10", "fec0::1"));
        CPPUNIT_ASSERT(!in("fe80::/10", "fe7f::1"));
        CPPUNIT_ASSERT(in("2001:db8:8000::/33", "2001:db8:ffff::1"));
        CPPUNIT_ASSERT(!in("2001:db8:8000::/33", "2001:db8:7fff::1"));
    }

    void testFamiliesDoNotMix()
    {
        CPPUNIT_ASSERT(!in("0.0.0.0/0", "::1"));
        CPPUNIT_ASSERT(!in("0.0.0.0/0", "2001:db8::1"));
        CPPUNIT_ASSERT(!in("2000::/3", "8.8.8.8"));
        CPPUNIT_ASSERT(!in("127.0.0.1", "::1"));
    }

    void testMappedAddressMatchesIpv4Range()
    {
        CPPUNIT_ASSERT(in("10.0.0.0/8", "::ffff:10.1.2.3"));
        CPPUNIT_ASSERT(!in("10.0.0.0/8", "::ffff:11.1.2.3"));
        CPPUNIT_ASSERT(in("127.0.0.1", "::ffff:127.0.0.1"));
    }

    void testMappedSingleAddressRange()
    {
        CPPUNIT_ASSERT(in("::ffff:192.168.1.7", "192.168.1.7"));
        CPPUNIT_ASSERT(in("::ffff:192.168.1.7", "::ffff:192.168.1.7"));
        CPPUNIT_ASSERT(!in("::ffff:192.168.1.7", "192.168.1.8"));
    }

    void testMappedCidrRange()
    {
        // ::ffff:10.0.0.0/104 is the IPv4-mapped spelling of 10.0.0.0/8 (IpRange.cpp says so).
        CPPUNIT_ASSERT(in("::ffff:10.0.0.0/104", "10.9.8.7"));
        CPPUNIT_ASSERT(!in("::ffff:10.0.0.0/104", "11.0.0.1"));
        CPPUNIT_ASSERT(in("::ffff:10.0.0.0/104", "::ffff:10.9.8.7"));
        CPPUNIT_ASSERT(in("::ffff:10.1.2.3/128", "10.1.2.3"));
        CPPUNIT_ASSERT(!in("::ffff:10.1.2.3/128", "10.1.2.4"));
        CPPUNIT_ASSERT(in("::ffff:0.0.0.0/96", "8.8.8.8"));
    }

    void testNormalize()
    {
        const IPAddress mapped = IpRange::normalize(IPAddress("::ffff:10.1.2.3"));
        CPPUNIT_ASSERT(mapped.family() == IPAddress::IPv4);
        CPPUNIT_ASSERT_EQUAL(std::string("10.1.2.3"), mapped.toString());
        const IPAddress plain = IpRange::normalize(IPAddress("2001:db8::1"));
        CPPUNIT_ASSERT(plain.family() == IPAddress::IPv6);
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3.4"),
                             IpRange::normalize(IPAddress("1.2.3.4")).toString());
    }

    void testBadInputThrows()
    {
        CPPUNIT_ASSERT(rejected(""));
        CPPUNIT_ASSERT(rejected("localhost"));
        CPPUNIT_ASSERT(rejected("10.0.0.256"));
        CPPUNIT_ASSERT(rejected("10.0.0.0/33"));
        CPPUNIT_ASSERT(rejected("10.0.0.0/"));
        CPPUNIT_ASSERT(rejected("10.0.0.0/-1"));
        CPPUNIT_ASSERT(rejected("10.0.0.0/8x"));
        CPPUNIT_ASSERT(rejected("10.0.0.0/8/8"));
        CPPUNIT_ASSERT(rejected("/8"));
        CPPUNIT_ASSERT(rejected("::1/129"));
        CPPUNIT_ASSERT(rejected("fe80::/abc"));
        CPPUNIT_ASSERT(rejected("2001:db8:::1"));
    }

    void testNonCanonicalInputRefused()
    {
        // inet_aton shorthands: "10" would mean 0.0.0.10 and "010.1.2.3" 8.1.2.3, so a typo
        // in http.ip_deny or http.trusted_proxies would silently name another network.
        CPPUNIT_ASSERT(rejected("10"));
        CPPUNIT_ASSERT(rejected("10/8"));
        CPPUNIT_ASSERT(rejected("1.2.3"));
        CPPUNIT_ASSERT(rejected("010.1.2.3"));
        CPPUNIT_ASSERT(rejected("0x0a.0.0.1"));
        // Poco's number parser takes ',' as a thousands separator: this would be /16.
        CPPUNIT_ASSERT(rejected("10.0.0.0/1,6"));
    }

    void testParseListAndAnyContains()
    {
        const auto ranges = IpRange::parseList({"10.0.0.0/8", "::1"});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), ranges.size());
        CPPUNIT_ASSERT(IpRange::anyContains(ranges, IPAddress("10.3.3.3")));
        CPPUNIT_ASSERT(IpRange::anyContains(ranges, IPAddress("::1")));
        CPPUNIT_ASSERT(!IpRange::anyContains(ranges, IPAddress("192.168.0.1")));
        CPPUNIT_ASSERT(!IpRange::anyContains({}, IPAddress("10.0.0.1")));
        try {
            IpRange::parseList({"10.0.0.0/8", "bogus/99", "also-bad"});
            CPPUNIT_FAIL("a bad list was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(),
                                   std::string(e.what()).find("bogus/99") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IpRangeTest);

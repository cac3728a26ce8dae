#include "Totp.h"

#include <cppunit/extensions/HelperMacros.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <set>
#include <stdexcept>

using comfygate::auth::Totp;

namespace {

// base32("12345678901234567890"), the RFC 6238 Appendix B SHA1 seed.
const std::string rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// An independent HOTP (RFC 4226) over raw key bytes, to check base32 decoding.
std::string referenceCode(const std::string& key, std::uint64_t counter)
{
    unsigned char message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<unsigned char>(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[20];
    unsigned int size = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message, 8, mac, &size);
    const int offset = mac[19] & 0xf;
    const unsigned value = ((mac[offset] & 0x7fu) << 24) | (mac[offset + 1] << 16) |
                           (mac[offset + 2] << 8) | mac[offset + 3];
    char text[8];
    std::snprintf(text, sizeof text, "%06u", value % 1000000);
    return text;
}

} // namespace

class TotpTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(TotpTest);
    CPPUNIT_TEST(rfc6238AppendixBVectors);
    CPPUNIT_TEST(stepsAreThirtySecondFloors);
    CPPUNIT_TEST(windowIsOneStepEitherSide);
    CPPUNIT_TEST(usedStepsAreNeverAcceptedAgain);
    CPPUNIT_TEST(codesOfTheWrongShapeAreRefused);
    CPPUNIT_TEST(secretsDecodeCaseAndPaddingBlind);
    CPPUNIT_TEST(invalidSecretsAreRefused);
    CPPUNIT_TEST(generatedSecretsAre160BitBase32);
    CPPUNIT_TEST(provisioningUriHasTheAuthenticatorShape);
    CPPUNIT_TEST_SUITE_END();

public:
    void rfc6238AppendixBVectors()
    {
        const std::pair<std::int64_t, const char*> vectors[] = {
            {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
            {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
        };
        for (const auto& [time, expected] : vectors) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(time), std::string(expected),
                                         Totp::code(rfcSecret, Totp::stepAt(time)));
            const auto matched = Totp::match(rfcSecret, expected, time, -1);
            CPPUNIT_ASSERT(matched.has_value());
            CPPUNIT_ASSERT_EQUAL(Totp::stepAt(time), *matched);
        }
    }

    void stepsAreThirtySecondFloors()
    {
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), Totp::stepAt(0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), Totp::stepAt(29));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), Totp::stepAt(30));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1), Totp::stepAt(59));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(37037037), Totp::stepAt(1111111111));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), Totp::stepAt(-1));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), Totp::stepAt(-30));
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-2), Totp::stepAt(-31));
    }

    void windowIsOneStepEitherSide()
    {
        const std::int64_t now = 1700000015; // inside step 56666667
        const std::int64_t step = Totp::stepAt(now);
        for (std::int64_t candidate = step - 1; candidate <= step + 1; ++candidate) {
            const auto matched = Totp::match(rfcSecret, Totp::code(rfcSecret, candidate), now, 0);
            CPPUNIT_ASSERT(matched.has_value());
            CPPUNIT_ASSERT_EQUAL(candidate, *matched);
        }
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, Totp::code(rfcSecret, step - 2), now, 0));
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, Totp::code(rfcSecret, step + 2), now, 0));
        // The last second of a step still accepts the next one; the first second of the next
        // step no longer accepts two back.
        const std::int64_t lastSecond = (step + 1) * 30 - 1;
        CPPUNIT_ASSERT(Totp::match(rfcSecret, Totp::code(rfcSecret, step + 1), lastSecond, 0));
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, Totp::code(rfcSecret, step - 1), lastSecond + 1, 0));
    }

    void usedStepsAreNeverAcceptedAgain()
    {
        const std::int64_t now = 1700000015;
        const std::int64_t step = Totp::stepAt(now);
        const std::string current = Totp::code(rfcSecret, step);
        const auto first = Totp::match(rfcSecret, current, now, step - 5);
        CPPUNIT_ASSERT(first.has_value());
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, current, now, *first));
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, current, now + 10, *first));
        // An older code from the window is refused once a newer step was used.
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, Totp::code(rfcSecret, step - 1), now, step));
        // The next step is still fine.
        const auto next = Totp::match(rfcSecret, Totp::code(rfcSecret, step + 1), now, step);
        CPPUNIT_ASSERT(next.has_value());
        CPPUNIT_ASSERT_EQUAL(step + 1, *next);
    }

    void codesOfTheWrongShapeAreRefused()
    {
        const std::string good = "287082"; // T = 59
        CPPUNIT_ASSERT(Totp::match(rfcSecret, good, 59, -1));
        for (const std::string bad : {"", "28708", "2870820", " 287082", "287082 ", "28708a",
                                      "+87082", "２87082", "287 82", "0287082"}) {
            CPPUNIT_ASSERT_MESSAGE(bad, !Totp::match(rfcSecret, bad, 59, -1));
        }
        CPPUNIT_ASSERT(!Totp::match(rfcSecret, "000000", 59, -1));
    }

    void secretsDecodeCaseAndPaddingBlind()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("287082"),
                             Totp::code("gezdgnbvgy3tqojqgezdgnbvgy3tqojq", 1));
        CPPUNIT_ASSERT_EQUAL(std::string("287082"),
                             Totp::code("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", 1));
        // "123456" needs padding in base32: GEZDGNBVGY======.
        const std::string expected = referenceCode("123456", 42);
        CPPUNIT_ASSERT_EQUAL(expected, Totp::code("GEZDGNBVGY======", 42));
        CPPUNIT_ASSERT_EQUAL(expected, Totp::code("GEZDGNBVGY", 42));
        CPPUNIT_ASSERT_EQUAL(expected, Totp::code("gezdgnbvgy", 42));
        CPPUNIT_ASSERT(expected != Totp::code("GEZDGNBVGA", 42));
    }

    void invalidSecretsAreRefused()
    {
        CPPUNIT_ASSERT_THROW(Totp::code("", 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::code("====", 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::code("GEZDGNB1", 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::code("GEZDG-NB", 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::code(std::string(300, 'A'), 1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::match("not base32!", "123456", 59, -1), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Totp::provisioningUri("x", "y", "0000"), std::invalid_argument);
    }

    void generatedSecretsAre160BitBase32()
    {
        std::set<std::string> secrets;
        for (int i = 0; i < 20; ++i) {
            const std::string secret = Totp::generateSecret();
            CPPUNIT_ASSERT_EQUAL(std::size_t(32), secret.size());
            CPPUNIT_ASSERT_EQUAL(std::string::npos,
                                 secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(6), Totp::code(secret, 1).size());
            secrets.insert(secret);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(20), secrets.size());
    }

    void provisioningUriHasTheAuthenticatorShape()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("otpauth://totp/comfygate:alice?secret=" + rfcSecret +
                                         "&issuer=comfygate&algorithm=SHA1&digits=6&period=30"),
                             Totp::provisioningUri("comfygate", "alice", rfcSecret));
        CPPUNIT_ASSERT_EQUAL(
            std::string("otpauth://totp/Comfy%20Gate%3A%20Lab:bob%40example.org%2F%26x%3D1"
                        "?secret=" +
                        rfcSecret +
                        "&issuer=Comfy%20Gate%3A%20Lab&algorithm=SHA1&digits=6&period=30"),
            Totp::provisioningUri("Comfy Gate: Lab", "bob@example.org/&x=1",
                                  "gezdgnbvgy3tqojqgezdgnbvgy3tqojq"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TotpTest);

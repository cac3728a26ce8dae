#include "ApiTokenCodec.h"

#include <Poco/Checksum.h>

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <set>

using comfygate::auth::ApiTokenCodec;

namespace {

const std::string base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string checksumSuffix(const std::string& randomPart)
{
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(randomPart);
    std::uint64_t value = crc.checksum();
    std::string digits(6, '0');
    for (int i = 5; i >= 0; --i) {
        digits[static_cast<std::size_t>(i)] = base62Alphabet[value % 62];
        value /= 62;
    }
    return digits;
}

} // namespace

class ApiTokenCodecTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ApiTokenCodecTest);
    CPPUNIT_TEST(generatedTokensHaveTheDocumentedFormat);
    CPPUNIT_TEST(thousandTokensAreDistinct);
    CPPUNIT_TEST(handBuiltTokenWithCrc32SuffixIsWellFormed);
    CPPUNIT_TEST(everySingleCharacterChangeIsDetected);
    CPPUNIT_TEST(foreignShapesAreNotWellFormed);
    CPPUNIT_TEST(hashIsSha256HexAndPrefixIsItsStart);
    CPPUNIT_TEST_SUITE_END();

public:
    void generatedTokensHaveTheDocumentedFormat()
    {
        const std::string token = ApiTokenCodec::generate();
        CPPUNIT_ASSERT_EQUAL(std::size_t(53), token.size());
        CPPUNIT_ASSERT_EQUAL(std::string("cgt_"), token.substr(0, 4));
        CPPUNIT_ASSERT_EQUAL(std::string::npos, token.find_first_not_of(base62Alphabet, 4));
        CPPUNIT_ASSERT_EQUAL(checksumSuffix(token.substr(4, 43)), token.substr(47));
        CPPUNIT_ASSERT(ApiTokenCodec::wellFormed(token));
    }

    void thousandTokensAreDistinct()
    {
        std::set<std::string> tokens;
        std::set<char> firstRandomChars;
        for (int i = 0; i < 1000; ++i) {
            const std::string token = ApiTokenCodec::generate();
            CPPUNIT_ASSERT(ApiTokenCodec::wellFormed(token));
            tokens.insert(token);
            firstRandomChars.insert(token[4]);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), tokens.size());
        // The leading base62 digit spans 0..~60, so a fixed or narrow one means lost entropy.
        CPPUNIT_ASSERT(firstRandomChars.size() > 30);
    }

    void handBuiltTokenWithCrc32SuffixIsWellFormed()
    {
        const std::string randomPart = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";
        CPPUNIT_ASSERT_EQUAL(std::size_t(43), randomPart.size());
        CPPUNIT_ASSERT(ApiTokenCodec::wellFormed("cgt_" + randomPart + checksumSuffix(randomPart)));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed("cgt_" + randomPart + "000000"));
    }

    void everySingleCharacterChangeIsDetected()
    {
        const std::string token = ApiTokenCodec::generate();
        for (std::size_t i = 4; i < token.size(); ++i) {
            std::string changed = token;
            changed[i] = changed[i] == 'a' ? 'b' : 'a';
            CPPUNIT_ASSERT_MESSAGE("position " + std::to_string(i),
                                   !ApiTokenCodec::wellFormed(changed));
        }
        std::string swapped = token;
        std::swap(swapped[10], swapped[11]);
        if (swapped != token) {
            CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(swapped));
        }
    }

    void foreignShapesAreNotWellFormed()
    {
        const std::string token = ApiTokenCodec::generate();
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(""));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed("cgt_"));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(token.substr(0, token.size() - 1)));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(token + "0"));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed("ghp_" + token.substr(4)));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed("CGT_" + token.substr(4)));
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(" " + token.substr(1)));
        std::string dashed = token;
        dashed[20] = '-';
        CPPUNIT_ASSERT(!ApiTokenCodec::wellFormed(dashed));
        CPPUNIT_ASSERT(
            !ApiTokenCodec::wellFormed("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9."
                                       "c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmE"));
    }

    void hashIsSha256HexAndPrefixIsItsStart()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ApiTokenCodec::hash("abc"));
        const std::string token = ApiTokenCodec::generate();
        const std::string hash = ApiTokenCodec::hash(token);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), hash.size());
        CPPUNIT_ASSERT(hash != ApiTokenCodec::hash(ApiTokenCodec::generate()));
        CPPUNIT_ASSERT_EQUAL(hash.substr(0, 12), ApiTokenCodec::displayPrefix(hash));
        CPPUNIT_ASSERT_EQUAL(std::string("ba7816bf8f01"),
                             ApiTokenCodec::displayPrefix(ApiTokenCodec::hash("abc")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ApiTokenCodecTest);

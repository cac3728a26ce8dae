#include "RandomTokens.h"

#include <cppunit/extensions/HelperMacros.h>

#include <set>
#include <stdexcept>

using comfygate::auth::RandomTokens;

class RandomTokensTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(RandomTokensTest);
    CPPUNIT_TEST(bytesHaveTheRequestedSizeAndDiffer);
    CPPUNIT_TEST(absurdSizesAreRefused);
    CPPUNIT_TEST(hexIsLowerCaseAndUsesEveryDigit);
    CPPUNIT_TEST(base64UrlHasNoPaddingAndUrlAlphabet);
    CPPUNIT_TEST(sha256MatchesKnownVectors);
    CPPUNIT_TEST(constantTimeEqualsComparesContentAndLength);
    CPPUNIT_TEST_SUITE_END();

public:
    void bytesHaveTheRequestedSizeAndDiffer()
    {
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), RandomTokens::bytes(0).size());
        const std::string a = RandomTokens::bytes(32);
        const std::string b = RandomTokens::bytes(32);
        CPPUNIT_ASSERT_EQUAL(std::size_t(32), a.size());
        CPPUNIT_ASSERT(a != b);
        // 4096 random bytes take (almost surely) at least 200 distinct values.
        const std::string many = RandomTokens::bytes(4096);
        std::set<char> distinct(many.begin(), many.end());
        CPPUNIT_ASSERT(distinct.size() > 200);
    }

    void absurdSizesAreRefused()
    {
        CPPUNIT_ASSERT_THROW(RandomTokens::bytes(std::size_t(1) << 30), std::invalid_argument);
    }

    void hexIsLowerCaseAndUsesEveryDigit()
    {
        const std::string text = RandomTokens::hex(32);
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), text.size());
        CPPUNIT_ASSERT_EQUAL(std::string::npos, text.find_first_not_of("0123456789abcdef"));
        const std::string many = RandomTokens::hex(512);
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), std::set<char>(many.begin(), many.end()).size());
        CPPUNIT_ASSERT(RandomTokens::hex(16) != RandomTokens::hex(16));
    }

    void base64UrlHasNoPaddingAndUrlAlphabet()
    {
        CPPUNIT_ASSERT_EQUAL(std::size_t(43), RandomTokens::base64Url(32).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), RandomTokens::base64Url(1).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), RandomTokens::base64Url(2).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), RandomTokens::base64Url(3).size());
        // Long enough that the encoder's default line breaks would show up.
        const std::string text = RandomTokens::base64Url(3000);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4000), text.size());
        CPPUNIT_ASSERT_EQUAL(std::string::npos,
                             text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                    "abcdefghijklmnopqrstuvwxyz0123456789-_"));
        CPPUNIT_ASSERT(text.find('-') != std::string::npos);
        CPPUNIT_ASSERT(text.find('_') != std::string::npos);
    }

    void sha256MatchesKnownVectors()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            RandomTokens::sha256Hex(""));
        CPPUNIT_ASSERT_EQUAL(
            std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            RandomTokens::sha256Hex("abc"));
        CPPUNIT_ASSERT(RandomTokens::sha256Hex(std::string("a\0b", 3)) !=
                       RandomTokens::sha256Hex("a"));
    }

    void constantTimeEqualsComparesContentAndLength()
    {
        CPPUNIT_ASSERT(RandomTokens::constantTimeEquals("", ""));
        CPPUNIT_ASSERT(RandomTokens::constantTimeEquals("secret-value", "secret-value"));
        CPPUNIT_ASSERT(!RandomTokens::constantTimeEquals("secret-value", "Secret-value"));
        CPPUNIT_ASSERT(!RandomTokens::constantTimeEquals("secret-value", "secret-valuE"));
        CPPUNIT_ASSERT(!RandomTokens::constantTimeEquals("secret", "secret-value"));
        CPPUNIT_ASSERT(!RandomTokens::constantTimeEquals("secret-value", "secret"));
        CPPUNIT_ASSERT(!RandomTokens::constantTimeEquals("", "x"));
        CPPUNIT_ASSERT(
            !RandomTokens::constantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RandomTokensTest);

#include "PasswordPolicy.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::auth::PasswordPolicy;

namespace {

bool mentions(const std::optional<std::string>& problem, const std::string& text)
{
    return problem && problem->find(text) != std::string::npos;
}

} // namespace

class PasswordPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PasswordPolicyTest);
    CPPUNIT_TEST(reasonablePasswordsAreAccepted);
    CPPUNIT_TEST(shortPasswordsAreRefusedWithTheMinimum);
    CPPUNIT_TEST(lengthCountsCodePointsNotBytes);
    CPPUNIT_TEST(overlongAndInvalidUtf8AreRefused);
    CPPUNIT_TEST(usernameMustNotBeThePassword);
    CPPUNIT_TEST(commonPasswordsAreRefusedCaseBlind);
    CPPUNIT_TEST(constructorRefusesWeakLimits);
    CPPUNIT_TEST_SUITE_END();

public:
    void reasonablePasswordsAreAccepted()
    {
        const PasswordPolicy policy;
        CPPUNIT_ASSERT(!policy.problem("correct horse battery staple", "alice"));
        // No composition rules: lower-case letters only, or digits only, are fine.
        CPPUNIT_ASSERT(!policy.problem("zebracrossinglamp", "alice"));
        CPPUNIT_ASSERT(!policy.problem("80417263", "alice"));
        CPPUNIT_ASSERT(!policy.problem("x9#Lq2!m", ""));
    }

    void shortPasswordsAreRefusedWithTheMinimum()
    {
        const PasswordPolicy policy;
        CPPUNIT_ASSERT(mentions(policy.problem("zq7wv3k", "alice"), "at least 8 characters"));
        CPPUNIT_ASSERT(mentions(policy.problem("", "alice"), "at least 8 characters"));
        CPPUNIT_ASSERT(!policy.problem("zq7wv3kp", "alice"));
        const PasswordPolicy longer(15);
        CPPUNIT_ASSERT_EQUAL(std::size_t(15), longer.minLength());
        CPPUNIT_ASSERT(
            mentions(longer.problem("zq7wv3kpzq7wv3", "alice"), "at least 15 characters"));
        CPPUNIT_ASSERT(!longer.problem("zq7wv3kpzq7wv3k", "alice"));
    }

    void lengthCountsCodePointsNotBytes()
    {
        const PasswordPolicy policy;
        // 7 two-byte characters are 14 bytes but still too short.
        CPPUNIT_ASSERT(mentions(
            policy.problem("\u00e9\u00e8\u00ea\u00eb\u00e0\u00e2\u00e4", "alice"), "at least 8"));
        CPPUNIT_ASSERT(
            !policy.problem("\u00e9\u00e8\u00ea\u00eb\u00e0\u00e2\u00e4\u00f6", "alice"));
        // 8 four-byte emoji (32 bytes) are 8 characters.
        CPPUNIT_ASSERT(!policy.problem("\U0001F511\U0001F512\U0001F513\U0001F510\U0001F511"
                                       "\U0001F512\U0001F513\U0001F510",
                                       "alice"));
        CPPUNIT_ASSERT(mentions(
            policy.problem("\u5bc6\u7801\u5bc6\u7801\u5bc6\u7801\u5bc6", "alice"), "at least 8"));
    }

    void overlongAndInvalidUtf8AreRefused()
    {
        const PasswordPolicy policy;
        std::string longest;
        while (longest.size() < 1024) {
            longest += "unguessable phrase ";
        }
        longest.resize(1024);
        CPPUNIT_ASSERT(!policy.problem(longest, "alice"));
        CPPUNIT_ASSERT(mentions(policy.problem(longest + "x", "alice"), "too long"));
        CPPUNIT_ASSERT(mentions(policy.problem(longest + "x", "alice"), "1024 bytes"));
        const PasswordPolicy smaller(8, 256);
        CPPUNIT_ASSERT(mentions(smaller.problem(longest.substr(0, 257), "alice"), "at most 256"));
        CPPUNIT_ASSERT(mentions(policy.problem("abcdefgh\xff\xfe", "alice"), "UTF-8"));
        CPPUNIT_ASSERT(mentions(policy.problem("abcdefgh\xc3", "alice"), "UTF-8"));
    }

    void usernameMustNotBeThePassword()
    {
        const PasswordPolicy policy;
        CPPUNIT_ASSERT(mentions(policy.problem("gatekeeper", "gatekeeper"), "not be the username"));
        CPPUNIT_ASSERT(mentions(policy.problem("GateKeeper", "gatekeeper"), "not be the username"));
        CPPUNIT_ASSERT(mentions(policy.problem("my-GATEKEEPER-2024", "GateKeeper"),
                                "not contain the username"));
        CPPUNIT_ASSERT(!policy.problem("gate keeper of doors", "gatekeeper"));
    }

    void commonPasswordsAreRefusedCaseBlind()
    {
        const PasswordPolicy policy;
        CPPUNIT_ASSERT(PasswordPolicy::commonPasswordCount() >= 200);
        for (const char* common : {"password", "12345678", "qwertyuiop", "iloveyou", "sunshine",
                                   "PassWord1", "Football", "LETMEIN1", "1q2w3e4r5t"}) {
            CPPUNIT_ASSERT_MESSAGE(common, PasswordPolicy::isCommon(common));
            CPPUNIT_ASSERT_MESSAGE(common,
                                   mentions(policy.problem(common, "alice"), "commonly used"));
        }
        CPPUNIT_ASSERT(!PasswordPolicy::isCommon("zebracrossinglamp"));
        CPPUNIT_ASSERT(!PasswordPolicy::isCommon("password "));
        CPPUNIT_ASSERT(!PasswordPolicy::isCommon(""));
    }

    void constructorRefusesWeakLimits()
    {
        CPPUNIT_ASSERT_THROW(PasswordPolicy(7), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(PasswordPolicy(0), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(PasswordPolicy(8, 255), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(PasswordPolicy(8, 1025), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(PasswordPolicy(300, 256), std::invalid_argument);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1024), PasswordPolicy().maxBytes());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PasswordPolicyTest);

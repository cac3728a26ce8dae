#include "ReturnPath.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::auth::ReturnPath;

class ReturnPathTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ReturnPathTest);
    CPPUNIT_TEST(localPathsAreKept);
    CPPUNIT_TEST(otherSitesBecomeTheRoot);
    CPPUNIT_TEST_SUITE_END();

public:
    void localPathsAreKept()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/"), ReturnPath::from("/"));
        CPPUNIT_ASSERT_EQUAL(std::string("/?workflow=a%2Fb&x=1"), ReturnPath::from("/?workflow=a%2Fb&x=1"));
        CPPUNIT_ASSERT_EQUAL(std::string("/docs/a.html#top"), ReturnPath::from("/docs/a.html#top"));
        CPPUNIT_ASSERT_EQUAL(std::string("/a//b"), ReturnPath::from("/a//b"));
    }

    void otherSitesBecomeTheRoot()
    {
        for (const std::string next :
             {"", "https://evil.example/", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example",
              "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)", "evil.example", " /x", "/x\x7f"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(next, std::string("/"), ReturnPath::from(next));
        CPPUNIT_ASSERT_EQUAL(std::string("/"), ReturnPath::from("/" + std::string(2048, 'a')));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReturnPathTest);

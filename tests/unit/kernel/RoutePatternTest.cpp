#include "RoutePattern.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::RoutePattern;
using Segments = std::vector<std::string>;

namespace {

Segments split(const std::string& path)
{
    const auto segments = RoutePattern::splitPath(path);
    CPPUNIT_ASSERT_MESSAGE("splitPath refused " + path, segments.has_value());
    return *segments;
}

bool refused(const std::string& path)
{
    return !RoutePattern::splitPath(path).has_value();
}

bool patternThrows(const std::string& pattern)
{
    try {
        RoutePattern{pattern};
    } catch (const std::invalid_argument&) {
        return true;
    }
    return false;
}

} // namespace

class RoutePatternTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(RoutePatternTest);
    CPPUNIT_TEST(testLiteralPattern);
    CPPUNIT_TEST(testRootPattern);
    CPPUNIT_TEST(testParameters);
    CPPUNIT_TEST(testParameterNeverEmpty);
    CPPUNIT_TEST(testRestParameter);
    CPPUNIT_TEST(testRestParameterNeedsOneSegment);
    CPPUNIT_TEST(testBadPatternsThrow);
    CPPUNIT_TEST(testDuplicateParameterNameThrows);
    CPPUNIT_TEST(testShapeErasesNames);
    CPPUNIT_TEST(testLiteralCount);
    CPPUNIT_TEST(testSplitPathDecodesSegments);
    CPPUNIT_TEST(testEncodedSlashStaysInOneSegment);
    CPPUNIT_TEST(testDotSegmentsRefused);
    CPPUNIT_TEST(testEncodedDotSegmentsRefused);
    CPPUNIT_TEST(testDotsInsideDecodedSegmentRefused);
    CPPUNIT_TEST(testDotsInNamesAllowed);
    CPPUNIT_TEST(testBackslashRefused);
    CPPUNIT_TEST(testNulRefused);
    CPPUNIT_TEST(testBadPercentEncodingRefused);
    CPPUNIT_TEST(testRelativePathRefused);
    CPPUNIT_TEST(testEmptySegmentsKept);
    CPPUNIT_TEST(testPlusIsNotSpace);
    CPPUNIT_TEST_SUITE_END();

public:
    void testLiteralPattern()
    {
        RoutePattern pattern("/mss-login/api/me");
        CPPUNIT_ASSERT(pattern.match(split("/mss-login/api/me")).has_value());
        CPPUNIT_ASSERT(pattern.match(split("/mss-login/api/me"))->empty());
        CPPUNIT_ASSERT(!pattern.match(split("/mss-login/api/me/")));
        CPPUNIT_ASSERT(!pattern.match(split("/mss-login/api")));
        CPPUNIT_ASSERT(!pattern.match(split("/mss-login/api/me/x")));
        CPPUNIT_ASSERT(!pattern.match(split("/mss-login/API/me")));
        CPPUNIT_ASSERT_EQUAL(std::string("/mss-login/api/me"), pattern.text());
    }

    void testRootPattern()
    {
        RoutePattern root("/");
        CPPUNIT_ASSERT_EQUAL(std::string("/"), root.shape());
        CPPUNIT_ASSERT(root.match(split("/")).has_value());
        CPPUNIT_ASSERT(!root.match(split("/a")));
        CPPUNIT_ASSERT(!root.match(split("//")));
    }

    void testParameters()
    {
        RoutePattern pattern("/jobs/{job_id}/files/{name}");
        CPPUNIT_ASSERT(pattern.parameterNames() == (Segments{"job_id", "name"}));
        const auto params = pattern.match(split("/jobs/42/files/a%20b.png"));
        CPPUNIT_ASSERT(params.has_value());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), params->size());
        CPPUNIT_ASSERT_EQUAL(std::string("42"), params->at("job_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("a b.png"), params->at("name"));
        CPPUNIT_ASSERT(!pattern.match(split("/jobs/42/file/x")));
        CPPUNIT_ASSERT(!pattern.match(split("/jobs/42/files")));
    }

    void testParameterNeverEmpty()
    {
        RoutePattern pattern("/jobs/{id}");
        CPPUNIT_ASSERT(!pattern.match(split("/jobs/")));
        RoutePattern middle("/jobs/{id}/log");
        CPPUNIT_ASSERT(!middle.match(split("/jobs//log")));
    }

    void testRestParameter()
    {
        RoutePattern pattern("/files/{path...}");
        CPPUNIT_ASSERT(pattern.parameterNames() == (Segments{"path"}));
        auto params = pattern.match(split("/files/a/b/c.txt"));
        CPPUNIT_ASSERT(params.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("a/b/c.txt"), params->at("path"));
        params = pattern.match(split("/files/one"));
        CPPUNIT_ASSERT(params.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("one"), params->at("path"));
        params = pattern.match(split("/files/a%2Fb/c"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b/c"), params->at("path"));
        CPPUNIT_ASSERT(!pattern.match(split("/other/a")));
    }

    void testRestParameterNeedsOneSegment()
    {
        RoutePattern pattern("/files/{path...}");
        CPPUNIT_ASSERT(!pattern.match(split("/files")));
        CPPUNIT_ASSERT(!pattern.match(split("/files/")));
        CPPUNIT_ASSERT(!pattern.match(split("/files//a")));
    }

    void testBadPatternsThrow()
    {
        CPPUNIT_ASSERT(patternThrows(""));
        CPPUNIT_ASSERT(patternThrows("jobs"));
        CPPUNIT_ASSERT(patternThrows("/jobs/{}"));
        CPPUNIT_ASSERT(patternThrows("/jobs/{id"));
        CPPUNIT_ASSERT(patternThrows("/jobs/id}"));
        CPPUNIT_ASSERT(patternThrows("/jobs/x{id}"));
        CPPUNIT_ASSERT(patternThrows("/jobs/{job-id}"));
        CPPUNIT_ASSERT(patternThrows("/jobs/{...}"));
        CPPUNIT_ASSERT(patternThrows("/files/{path...}/x"));
        CPPUNIT_ASSERT(patternThrows("/a/../b"));
        CPPUNIT_ASSERT(patternThrows("/a/./b"));
        CPPUNIT_ASSERT(!patternThrows("/jobs/{Job_2}"));
        try {
            RoutePattern("/files/{path...}/x");
            CPPUNIT_FAIL("a rest parameter before the end was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT(std::string(e.what()).find("/files/{path...}/x") != std::string::npos);
        }
    }

    void testDuplicateParameterNameThrows()
    {
        // Two parameters with one name would silently drop the first value.
        CPPUNIT_ASSERT(patternThrows("/users/{id}/items/{id}"));
    }

    void testShapeErasesNames()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/jobs/{}"), RoutePattern("/jobs/{id}").shape());
        CPPUNIT_ASSERT_EQUAL(RoutePattern("/jobs/{id}").shape(),
                             RoutePattern("/jobs/{job_id}").shape());
        CPPUNIT_ASSERT_EQUAL(std::string("/files/{...}"), RoutePattern("/files/{path...}").shape());
        CPPUNIT_ASSERT(RoutePattern("/files/{p}").shape() != RoutePattern("/files/{p...}").shape());
        CPPUNIT_ASSERT(RoutePattern("/jobs/stats").shape() != RoutePattern("/jobs/{id}").shape());
    }

    void testLiteralCount()
    {
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), RoutePattern("/").literalCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), RoutePattern("/a/{x}/b").literalCount());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), RoutePattern("/files/{p...}").literalCount());
    }

    void testSplitPathDecodesSegments()
    {
        CPPUNIT_ASSERT(split("/a/b%20c/%C3%A9") == (Segments{"a", "b c", "\xC3\xA9"}));
        CPPUNIT_ASSERT(split("/") == (Segments{""}));
    }

    void testEncodedSlashStaysInOneSegment()
    {
        CPPUNIT_ASSERT(split("/userdata/workflows%2Fmy.json") ==
                       (Segments{"userdata", "workflows/my.json"}));
        CPPUNIT_ASSERT(split("/userdata/a%2fb") == (Segments{"userdata", "a/b"}));
        const auto params =
            RoutePattern("/userdata/{file}").match(split("/userdata/workflows%2Fmy.json"));
        CPPUNIT_ASSERT(params.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/my.json"), params->at("file"));
    }

    void testDotSegmentsRefused()
    {
        CPPUNIT_ASSERT(refused("/a/../etc/passwd"));
        CPPUNIT_ASSERT(refused("/../etc/passwd"));
        CPPUNIT_ASSERT(refused("/a/./b"));
        CPPUNIT_ASSERT(refused("/a/.."));
        CPPUNIT_ASSERT(refused("/."));
    }

    void testEncodedDotSegmentsRefused()
    {
        CPPUNIT_ASSERT(refused("/a/%2e%2e/etc"));
        CPPUNIT_ASSERT(refused("/a/%2E%2E/etc"));
        CPPUNIT_ASSERT(refused("/a/.%2e/etc"));
        CPPUNIT_ASSERT(refused("/a/%2e/b"));
    }

    void testDotsInsideDecodedSegmentRefused()
    {
        CPPUNIT_ASSERT(refused("/userdata/..%2F..%2Fetc%2Fpasswd"));
        CPPUNIT_ASSERT(refused("/userdata/..%2F.."));
        CPPUNIT_ASSERT(refused("/userdata/a%2F..%2Fb"));
        CPPUNIT_ASSERT(refused("/userdata/a%2F."));
        CPPUNIT_ASSERT(refused("/userdata/%2e%2e%2fsecret"));
    }

    void testDotsInNamesAllowed()
    {
        CPPUNIT_ASSERT(split("/a/.hidden/b..c/...") == (Segments{"a", ".hidden", "b..c", "..."}));
        CPPUNIT_ASSERT(split("/a/x%2F.y") == (Segments{"a", "x/.y"}));
    }

    void testBackslashRefused()
    {
        CPPUNIT_ASSERT(refused("/a/%5C..%5Cetc"));
        CPPUNIT_ASSERT(refused("/a/%5c"));
        CPPUNIT_ASSERT(refused("/a/b\\c"));
    }

    void testNulRefused()
    {
        CPPUNIT_ASSERT(refused("/a/b%00.png"));
        CPPUNIT_ASSERT(refused("/%00"));
    }

    void testBadPercentEncodingRefused()
    {
        CPPUNIT_ASSERT(refused("/a/%zz"));
        CPPUNIT_ASSERT(refused("/a/%2"));
        CPPUNIT_ASSERT(refused("/a/%"));
        CPPUNIT_ASSERT(refused("/a/%g0/b"));
    }

    void testRelativePathRefused()
    {
        CPPUNIT_ASSERT(refused(""));
        CPPUNIT_ASSERT(refused("a/b"));
        CPPUNIT_ASSERT(refused("%2Fa"));
    }

    void testEmptySegmentsKept()
    {
        CPPUNIT_ASSERT(split("/a//b") == (Segments{"a", "", "b"}));
        CPPUNIT_ASSERT(split("/a/") == (Segments{"a", ""}));
        CPPUNIT_ASSERT(split("//") == (Segments{"", ""}));
        CPPUNIT_ASSERT(!RoutePattern("/a/b").match(split("/a//b")));
    }

    void testPlusIsNotSpace() { CPPUNIT_ASSERT(split("/a/b+c") == (Segments{"a", "b+c"})); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RoutePatternTest);

#include "UserDataPath.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::UserDataPath;

class UserDataPathTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserDataPathTest);
    CPPUNIT_TEST(literalSlashesBecomeEncoded);
    CPPUNIT_TEST(queryAndOtherEscapesAreKept);
    CPPUNIT_TEST(moveSplitsAtTheFirstInnerMoveSegment);
    CPPUNIT_TEST(moveAtEitherEndIsPartOfTheName);
    CPPUNIT_TEST(otherPathsAreUnchanged);
    CPPUNIT_TEST_SUITE_END();

public:
    void literalSlashesBecomeEncoded()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/api/userdata/workflows%2Fx.json"),
                             UserDataPath::upstreamUri("/api/userdata/workflows/x.json", false));
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/a%2Fb%2Fc.json"),
                             UserDataPath::upstreamUri("/userdata/a/b/c.json", false));
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/x.json"), UserDataPath::upstreamUri("/userdata/x.json", false));
    }

    void queryAndOtherEscapesAreKept()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/api/userdata/workflows%2Fmy%20flow.json?overwrite=false&full_info=true"),
            UserDataPath::upstreamUri("/api/userdata/workflows/my%20flow.json?overwrite=false&full_info=true", true));
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/workflows%2Fsub%2Fa.json"),
                             UserDataPath::upstreamUri("/userdata/workflows/sub%2Fa.json", false));
    }

    void moveSplitsAtTheFirstInnerMoveSegment()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("/api/userdata/workflows%2Fa.json/move/workflows%2Fb.json?overwrite=true"),
            UserDataPath::upstreamUri("/api/userdata/workflows/a.json/move/workflows/b.json?overwrite=true", true));
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/a/move/b%2Fmove%2Fc"),
                             UserDataPath::upstreamUri("/userdata/a/move/b/move/c", true));
        // Without move (GET, DELETE) a `move` segment is only a folder name.
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/a%2Fmove%2Fb"),
                             UserDataPath::upstreamUri("/userdata/a/move/b", false));
    }

    void moveAtEitherEndIsPartOfTheName()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/move%2Fa"), UserDataPath::upstreamUri("/userdata/move/a", true));
        CPPUNIT_ASSERT_EQUAL(std::string("/userdata/a%2Fmove"), UserDataPath::upstreamUri("/userdata/a/move", true));
    }

    void otherPathsAreUnchanged()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("/settings/a/b"), UserDataPath::upstreamUri("/settings/a/b", false));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserDataPathTest);

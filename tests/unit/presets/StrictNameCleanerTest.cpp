// StrictNameCleaner: SwarmUI's strict file-name cleaning of preset titles.
#include "StrictNameCleaner.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::presets::StrictNameCleaner;

class StrictNameCleanerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(StrictNameCleanerTest);
    CPPUNIT_TEST(plainTitlesStay);
    CPPUNIT_TEST(pathTraversalBecomesFolders);
    CPPUNIT_TEST(forbiddenAndControlCharactersGo);
    CPPUNIT_TEST(backslashesAndSlashRunsBecomeOneSlash);
    CPPUNIT_TEST(reservedDeviceNamesAreSuffixed);
    CPPUNIT_TEST(nothingLeftIsEmpty);
    CPPUNIT_TEST(keysIgnoreCase);
    CPPUNIT_TEST_SUITE_END();

public:
    void plainTitlesStay()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("My Preset"), StrictNameCleaner::clean("My Preset"));
        CPPUNIT_ASSERT_EQUAL(std::string("portraits/soft light (2)"),
                             StrictNameCleaner::clean("portraits/soft light (2)"));
        CPPUNIT_ASSERT_EQUAL(std::string("Grüße"), StrictNameCleaner::clean("Grüße")); // UTF-8 bytes untouched
    }

    void pathTraversalBecomesFolders()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("etc/passwd"), StrictNameCleaner::clean("../../etc/passwd"));
        CPPUNIT_ASSERT_EQUAL(std::string("x"), StrictNameCleaner::clean("../x"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), StrictNameCleaner::clean("a/../../b"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), StrictNameCleaner::clean("/a/./b/"));
        CPPUNIT_ASSERT_EQUAL(std::string("v15"), StrictNameCleaner::clean("v1.5"));
    }

    void forbiddenAndControlCharactersGo()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("abcdefg"), StrictNameCleaner::clean("a<b>c:d\"e|f?g*"));
        CPPUNIT_ASSERT_EQUAL(std::string("ab"), StrictNameCleaner::clean(std::string("a\x01\n\t\x7f", 5) + "b"));
        CPPUNIT_ASSERT_EQUAL(std::string("ab"), StrictNameCleaner::clean(std::string("a\0b", 3)));
    }

    void backslashesAndSlashRunsBecomeOneSlash()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("a/b/c"), StrictNameCleaner::clean("a\\b//c"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), StrictNameCleaner::clean("\\\\a\\\\\\b"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), StrictNameCleaner::clean("  a / /  b  "));
    }

    void reservedDeviceNamesAreSuffixed()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("CON_"), StrictNameCleaner::clean("CON"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/lpt9_/b"), StrictNameCleaner::clean("a/lpt9/b"));
        CPPUNIT_ASSERT_EQUAL(std::string("COM1_"), StrictNameCleaner::clean("COM1"));
        CPPUNIT_ASSERT_EQUAL(std::string("COM0"), StrictNameCleaner::clean("COM0"));
        CPPUNIT_ASSERT_EQUAL(std::string("CONSOLE"), StrictNameCleaner::clean("CONSOLE"));
        CPPUNIT_ASSERT_EQUAL(std::string("nultxt"), StrictNameCleaner::clean("nul.txt")); // dots go first
    }

    void nothingLeftIsEmpty()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(), StrictNameCleaner::clean(""));
        CPPUNIT_ASSERT_EQUAL(std::string(), StrictNameCleaner::clean("../.."));
        CPPUNIT_ASSERT_EQUAL(std::string(), StrictNameCleaner::clean(" / \\ ?*"));
    }

    void keysIgnoreCase()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("portraits/soft"), StrictNameCleaner::key("Portraits/SOFT"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StrictNameCleanerTest);

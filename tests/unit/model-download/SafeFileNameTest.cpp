#include "SafeFileName.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <string>

using comfygate::modeldownload::SafeFileName;

class SafeFileNameTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SafeFileNameTest);
    CPPUNIT_TEST(testOrdinaryNamesAccepted);
    CPPUNIT_TEST(testTraversalAndSeparatorsRefused);
    CPPUNIT_TEST(testControlCharactersRefused);
    CPPUNIT_TEST(testHiddenAndWorkingNamesRefused);
    CPPUNIT_TEST(testLengthLimit);
    CPPUNIT_TEST(testFromSourceTakesTheBasename);
    CPPUNIT_TEST(testFromSourceRefusesWhatRemainsUnsafe);
    CPPUNIT_TEST_SUITE_END();

public:
    void testOrdinaryNamesAccepted()
    {
        for (const char* name :
             {"model.safetensors", "Juggernaut_XL v9 (fp16).safetensors", "a", "ÄÖ-ü.gguf", "x..y.safetensors"})
            CPPUNIT_ASSERT_MESSAGE(name, SafeFileName::isSafe(name));
    }

    void testTraversalAndSeparatorsRefused()
    {
        for (const char* name : {"", ".", "..", "../x.safetensors", "/etc/passwd", "a/b", "a\\b", "..\\x"})
            CPPUNIT_ASSERT_MESSAGE(name, !SafeFileName::isSafe(name));
    }

    void testControlCharactersRefused()
    {
        CPPUNIT_ASSERT(!SafeFileName::isSafe(std::string("a\0b", 3)));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("a\nb"));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("a\x7f"));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("a\tb"));
    }

    void testHiddenAndWorkingNamesRefused()
    {
        CPPUNIT_ASSERT(!SafeFileName::isSafe(".bashrc"));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("model.safetensors.part"));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("model.safetensors.part.json"));
        CPPUNIT_ASSERT(!SafeFileName::isSafe("trailing "));
    }

    void testLengthLimit()
    {
        CPPUNIT_ASSERT(SafeFileName::isSafe(std::string(SafeFileName::maxLength, 'a')));
        CPPUNIT_ASSERT(!SafeFileName::isSafe(std::string(SafeFileName::maxLength + 1, 'a')));
    }

    void testFromSourceTakesTheBasename()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("model.safetensors"), SafeFileName::fromSource("unet/model.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::string("m.gguf"), SafeFileName::fromSource("a\\b\\m.gguf"));
        CPPUNIT_ASSERT_EQUAL(std::string("passwd"), SafeFileName::fromSource("../../etc/passwd"));
    }

    void testFromSourceRefusesWhatRemainsUnsafe()
    {
        CPPUNIT_ASSERT_THROW(SafeFileName::fromSource("dir/.."), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(SafeFileName::fromSource("dir/"), std::invalid_argument);
        try {
            SafeFileName::fromSource("evil\x1b[31m.safetensors");
            CPPUNIT_FAIL("control characters accepted");
        } catch (const std::invalid_argument& error) {
            const std::string message = error.what();
            CPPUNIT_ASSERT_MESSAGE(message, message.find('\x1b') == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("control") != std::string::npos);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SafeFileNameTest);

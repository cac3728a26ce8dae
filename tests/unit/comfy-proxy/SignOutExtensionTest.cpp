#include "SignOutExtension.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::SignOutExtension;

class SignOutExtensionTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SignOutExtensionTest);
    CPPUNIT_TEST(appendsToComfyUisList);
    CPPUNIT_TEST(fillsAnEmptyList);
    CPPUNIT_TEST(refusesWhatIsNotAnArray);
    CPPUNIT_TEST_SUITE_END();

    static Poco::JSON::Array::Ptr parsed(const std::string& text)
    {
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
    }

public:
    void appendsToComfyUisList()
    {
        const auto out = SignOutExtension::withScript(" [\"/extensions/core/a.js\", \"/x/]b.js\"]\n");
        CPPUNIT_ASSERT(out);
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["/extensions/core/a.js", "/x/]b.js","/extensions/comfygate/signout.js"])"), *out);
        const auto list = parsed(*out);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), list->size());
        CPPUNIT_ASSERT_EQUAL(std::string("/x/]b.js"), list->getElement<std::string>(1));
    }

    void fillsAnEmptyList()
    {
        for (const std::string empty : {"[]", "[ ]", "\r\n[\n]\n"}) {
            const auto out = SignOutExtension::withScript(empty);
            CPPUNIT_ASSERT_MESSAGE(empty, out);
            CPPUNIT_ASSERT_EQUAL(std::string(R"(["/extensions/comfygate/signout.js"])"), *out);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), parsed(*out)->size());
        }
    }

    void refusesWhatIsNotAnArray()
    {
        for (const std::string text : {"", "  ", "{}", "{\"a\":[]}", "[", "]", "null", "\"[]\"", "[1,2"})
            CPPUNIT_ASSERT_MESSAGE(text, !SignOutExtension::withScript(text));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SignOutExtensionTest);

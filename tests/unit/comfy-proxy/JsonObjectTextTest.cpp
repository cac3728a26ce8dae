#include "JsonObjectText.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::JsonMembers;
using comfygate::comfyproxy::JsonObjectText;

class JsonObjectTextTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(JsonObjectTextTest);
    CPPUNIT_TEST(untouchedTextIsRenderedAsWritten);
    CPPUNIT_TEST(replacedValuesKeepEveryOtherByte);
    CPPUNIT_TEST(newMembersGoBeforeTheClosingBrace);
    CPPUNIT_TEST(aRepeatedKeyIsReadAndReplacedAtItsLastOccurrence);
    CPPUNIT_TEST(quotedStringsAreValidJson);
    CPPUNIT_TEST(malformedTextIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void untouchedTextIsRenderedAsWritten()
    {
        const std::string text = " {\"b\": 1.50, \"a\":[1, {\"x\": \"}\"}] }\n";
        CPPUNIT_ASSERT_EQUAL(text, JsonObjectText(text).render());
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), JsonObjectText("{}").render());
    }

    void replacedValuesKeepEveryOtherByte()
    {
        const std::string text = R"({"prompt": {"9": {"inputs": {"filename_prefix": "x"}}}, "client_id": "tab", "n": 1E2})";
        JsonObjectText object(text);
        CPPUNIT_ASSERT_EQUAL(std::string(R"("tab")"), std::string(*object.value("client_id")));
        object.set("client_id", JsonObjectText::quote("gateway"));
        object.set("prompt", R"({"9":{}})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"prompt": {"9":{}}, "client_id": "gateway", "n": 1E2})"), object.render());
    }

    void newMembersGoBeforeTheClosingBrace()
    {
        JsonObjectText object("{\"prompt\": {} \n}\n");
        object.set("client_id", "\"c\"");
        object.set("prompt_id", "\"p\"");
        object.set("client_id", "\"d\""); // set twice: added once, with the later value
        CPPUNIT_ASSERT_EQUAL(std::string("{\"prompt\": {} \n,\"client_id\":\"d\",\"prompt_id\":\"p\"}\n"), object.render());
        JsonObjectText empty(" { } ");
        empty.set("a", "1");
        empty.set("b", "true");
        CPPUNIT_ASSERT_EQUAL(std::string(" { \"a\":1,\"b\":true} "), empty.render());
        CPPUNIT_ASSERT(!empty.value("a")); // value() reads the text, not the changes
    }

    void aRepeatedKeyIsReadAndReplacedAtItsLastOccurrence()
    {
        const std::string text = R"({"client_id": "first", "x": 0, "client_id": "second"})";
        JsonObjectText object(text);
        CPPUNIT_ASSERT_EQUAL(std::string(R"("second")"), std::string(*object.value("client_id")));
        object.set("client_id", "\"gateway\"");
        const std::string rendered = object.render();
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"client_id": "first", "x": 0, "client_id": "gateway"})"), rendered);
        // What a parser keeps is the gateway's value.
        const auto parsed = Poco::JSON::Parser().parse(rendered).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("gateway"), parsed->getValue<std::string>("client_id"));
    }

    void quotedStringsAreValidJson()
    {
        const std::string awkward = "a \"quoted\" \\ path/\n\x01 caf\xc3\xa9";
        const std::string quoted = JsonObjectText::quote(awkward);
        const auto parsed =
            Poco::JSON::Parser().parse("{\"v\":" + quoted + "}").extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(awkward, parsed->getValue<std::string>("v"));
    }

    void malformedTextIsRefused()
    {
        for (const char* text : {"", "[]", "{\"a\":1,}", "{\"a\":1}x"})
            CPPUNIT_ASSERT_THROW_MESSAGE(text, JsonObjectText{text}, JsonMembers::Malformed);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonObjectTextTest);

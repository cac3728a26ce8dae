#include "JsonMembers.h"

#include <cppunit/extensions/HelperMacros.h>

using comfygate::comfyproxy::JsonMembers;

class JsonMembersTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(JsonMembersTest);
    CPPUNIT_TEST(membersKeepTheirBytesAndOrder);
    CPPUNIT_TEST(bracesAndQuotesInsideStringsDoNotEndAValue);
    CPPUNIT_TEST(nestedValuesAreSkippedWhole);
    CPPUNIT_TEST(escapedKeysAreDecoded);
    CPPUNIT_TEST(emptyObjectsAndWhitespace);
    CPPUNIT_TEST(theSeparatorIsTheSources);
    CPPUNIT_TEST(malformedTextIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void membersKeepTheirBytesAndOrder()
    {
        const std::string text = R"({"b": 1.50, "a":true ,"c" : null})";
        const auto members = JsonMembers::of(text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), members.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b"), members[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string(R"("b": 1.50)"), std::string(members[0].member));
        CPPUNIT_ASSERT_EQUAL(std::string("1.50"), std::string(members[0].value));
        CPPUNIT_ASSERT_EQUAL(std::string(R"("a":true)"), std::string(members[1].member));
        CPPUNIT_ASSERT_EQUAL(std::string("c"), members[2].key);
        CPPUNIT_ASSERT_EQUAL(std::string("null"), std::string(members[2].value));
    }

    void bracesAndQuotesInsideStringsDoNotEndAValue()
    {
        const std::string text = R"({"p1": {"text": "a } b ] \" { [ \\", "x": "\\\\"}, "p2": "\"}\"", "p3": []})";
        const auto members = JsonMembers::of(text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), members.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"text": "a } b ] \" { [ \\", "x": "\\\\"})"), std::string(members[0].value));
        CPPUNIT_ASSERT_EQUAL(std::string(R"("\"}\"")"), std::string(members[1].value));
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), std::string(members[2].value));
    }

    void nestedValuesAreSkippedWhole()
    {
        const std::string text =
            R"({"a": {"prompt": [1, "id", {"3": {"inputs": {"seed": [1, [2, {"k": {}}]]}}}, {}, ["9"]]}, "b": {"c": {"d": {}}}})";
        const auto members = JsonMembers::of(text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), members.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"c": {"d": {}}})"), std::string(members[1].value));
        CPPUNIT_ASSERT(members[0].value.back() == '}');
    }

    void escapedKeysAreDecoded()
    {
        const std::string text = R"({"\u00e9t\u00e9 \"q\"": 1, "caf\u00e9\ud83d\ude00": 2, "plain": "\u007b"})";
        const auto members = JsonMembers::of(text);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), members.size());
        CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9t\xc3\xa9 \"q\""), members[0].key);
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xc3\xa9\xf0\x9f\x98\x80"), members[1].key);
        CPPUNIT_ASSERT_EQUAL(std::string(R"("\u007b")"), std::string(members[2].value)); // values stay as written
    }

    void emptyObjectsAndWhitespace()
    {
        CPPUNIT_ASSERT(JsonMembers::of("{}").empty());
        CPPUNIT_ASSERT(JsonMembers::of(" \n{ \t}\r\n").empty());
        const auto members = JsonMembers::of("\n{\n  \"a\" :\n {}\n}\n");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), members.size());
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), std::string(members[0].value));
    }

    void theSeparatorIsTheSources()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(","), std::string(JsonMembers::separatorOf(JsonMembers::of(R"({"a":1,"b":2})"))));
        CPPUNIT_ASSERT_EQUAL(std::string(", "),
                             std::string(JsonMembers::separatorOf(JsonMembers::of(R"({"a": 1, "b": 2})"))));
        CPPUNIT_ASSERT_EQUAL(std::string(", "), std::string(JsonMembers::separatorOf(JsonMembers::of(R"({"a":1})"))));
    }

    void malformedTextIsRefused()
    {
        for (const char* text : {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1}x", "{\"a\":[1}",
                                 "{\"a\":{\"b\":1]}", "{\"a\":\"unterminated}", "{a:1}", "{\"a\":1 \"b\":2}",
                                 "{\"\\x\":1}"}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(text, JsonMembers::of(text), JsonMembers::Malformed);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonMembersTest);

#include "CustomNodeRoutes.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::comfyproxy::CustomNodeRoutes;

namespace {

std::string parseError(const std::string& value)
{
    try {
        CustomNodeRoutes::parse(value, "comfy.passthrough");
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

} // namespace

class CustomNodeRoutesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CustomNodeRoutesTest);
    CPPUNIT_TEST(emptyValueOpensNothing);
    CPPUNIT_TEST(entriesWithAndWithoutMethods);
    CPPUNIT_TEST(badEntriesNameTheKeyAndTheEntry);
    CPPUNIT_TEST_SUITE_END();

public:
    void emptyValueOpensNothing()
    {
        CPPUNIT_ASSERT(CustomNodeRoutes::parse("", "comfy.passthrough").empty());
        CPPUNIT_ASSERT(CustomNodeRoutes::parse(" ; ", "comfy.passthrough").empty());
    }

    void entriesWithAndWithoutMethods()
    {
        const auto rules = CustomNodeRoutes::parse(
            " /manager/ : can_access_manager : get, POST ; /customnode:can_manage_extensions;", "comfy.passthrough");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), rules.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/manager"), rules[0].prefix);
        CPPUNIT_ASSERT_EQUAL(std::string("can_access_manager"), rules[0].permission);
        CPPUNIT_ASSERT((rules[0].methods == std::set<std::string>{"GET", "POST"}));
        CPPUNIT_ASSERT_EQUAL(std::string("/customnode"), rules[1].prefix);
        CPPUNIT_ASSERT((rules[1].methods == std::set<std::string>{"GET"}));
        CPPUNIT_ASSERT_EQUAL(std::string("/rgthree/api"),
                             CustomNodeRoutes::parse("/rgthree/api/:p", "k").front().prefix);
    }

    void badEntriesNameTheKeyAndTheEntry()
    {
        for (const std::string entry : {"/manager/", "manager:p", "/:p", "/a/../b:p", "/a/{x}:p", "/api/x:p", "/api:p",
                                        "/x:p:FETCH", "/x::GET", "/x:p:GET:POST", "/a b:p"}) {
            const std::string message = parseError("/ok:p; " + entry);
            CPPUNIT_ASSERT_MESSAGE(entry, message.find("comfy.passthrough") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("'" + entry + "'") != std::string::npos);
        }
        CPPUNIT_ASSERT(parseError("/x:p; /x/:q:GET").find("twice") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CustomNodeRoutesTest);

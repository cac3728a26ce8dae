#include "ServiceTable.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <stdexcept>

using comfygate::ServiceRegistry;
using comfygate::ServiceTable;

namespace {

struct Grants
{
    virtual ~Grants() = default;
    virtual int count() const { return 1; }
};

struct MoreGrants : Grants
{
    int count() const override { return 2; }
};

struct Users
{
    std::string name = "users";
};

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class ServiceTableTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ServiceTableTest);
    CPPUNIT_TEST(testPublishAndFind);
    CPPUNIT_TEST(testMissingIsNull);
    CPPUNIT_TEST(testDuplicateNameRefused);
    CPPUNIT_TEST(testTypeMismatchRefused);
    CPPUNIT_TEST(testInterfaceTypeIsTheKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void testPublishAndFind()
    {
        ServiceTable table;
        ServiceRegistry& registry = table;
        auto users = std::make_shared<Users>();
        registry.publish("auth.users", users);
        const auto found = registry.find<Users>("auth.users");
        CPPUNIT_ASSERT(found == users);
        CPPUNIT_ASSERT_EQUAL(std::string("users"), found->name);
    }

    void testMissingIsNull()
    {
        ServiceTable table;
        ServiceRegistry& registry = table;
        CPPUNIT_ASSERT(registry.find<Users>("auth.users") == nullptr);
    }

    void testDuplicateNameRefused()
    {
        ServiceTable table;
        ServiceRegistry& registry = table;
        auto first = std::make_shared<Users>();
        registry.publish("auth.users", first);
        try {
            registry.publish("auth.users", std::make_shared<Users>());
            CPPUNIT_FAIL("a second service under one name was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "auth.users"));
        }
        CPPUNIT_ASSERT(registry.find<Users>("auth.users") == first);
    }

    void testTypeMismatchRefused()
    {
        ServiceTable table;
        ServiceRegistry& registry = table;
        registry.publish("model-download.grants", std::make_shared<Grants>());
        try {
            registry.find<Users>("model-download.grants");
            CPPUNIT_FAIL("a lookup with the wrong type succeeded");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "model-download.grants"));
        }
    }

    void testInterfaceTypeIsTheKey()
    {
        ServiceTable table;
        ServiceRegistry& registry = table;
        // Published as the interface: found as the interface, with the implementation's behaviour.
        registry.publish<Grants>("grants", std::make_shared<MoreGrants>());
        CPPUNIT_ASSERT_EQUAL(2, registry.find<Grants>("grants")->count());
        // Looking it up as the implementation type is a different type.
        CPPUNIT_ASSERT_THROW(registry.find<MoreGrants>("grants"), std::logic_error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServiceTableTest);

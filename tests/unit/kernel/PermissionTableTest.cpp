#include "PermissionTable.h"
#include "PolicyEngine.h"
#include "TempDir.h"
#include "comfygate/Principal.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>
#include <tuple>

using comfygate::FailMode;
using comfygate::PermissionSpec;
using comfygate::PermissionTable;
using comfygate::PolicyEngine;
using comfygate::test::TempDir;
using Ids = std::set<std::string>;

namespace {

PermissionSpec permission(const std::string& id, std::vector<std::string> roles)
{
    return PermissionSpec{id, "test permission " + id, "test", std::move(roles)};
}

/// can_run: user and up; can_upload: power and up; can_view_metrics: admin only.
void declareThree(PermissionTable& table)
{
    table.declare(permission("can_run", {"admin", "power", "user"}));
    table.declare(permission("can_upload", {"admin", "power"}));
    table.declare(permission("can_view_metrics", {"admin"}));
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::string loadError(PermissionTable& table, const std::string& json)
{
    try {
        table.loadGroups(json, "groups.json");
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

const char* const groupsScript = R"(
policy.on('groups', function(subject, request)
    if subject.username == 'ann' then
        local out = {}
        for _, id in ipairs(request.permissions) do
            if id ~= 'can_run' then out[#out + 1] = id end
        end
        out[#out + 1] = 'can_view_metrics'
        out[#out + 1] = 'not_declared'
        return { permissions = out }
    end
    if subject.username == 'banned' then return { permissions = {} } end
    if subject.username == 'broken' then error('boom') end
    if subject.username == 'nolist' then return { other = 1 } end
    if subject.username == 'notstrings' then return { permissions = { 1, 2 } } end
    for _, group in ipairs(subject.groups) do
        if group == 'beta' and subject.role == 'guest' then
            local out = request.permissions
            out[#out + 1] = 'can_upload'
            return { permissions = out }
        end
    end
end)
)";

} // namespace

class PermissionTableTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PermissionTableTest);
    CPPUNIT_TEST(testValidIds);
    CPPUNIT_TEST(testDeclareRejectsBadIdAndRole);
    CPPUNIT_TEST(testSecondDeclarationKeepsFirst);
    CPPUNIT_TEST(testDefaultsByRole);
    CPPUNIT_TEST(testGroupsFileOverridesDefaults);
    CPPUNIT_TEST(testOwnerGetsEverything);
    CPPUNIT_TEST(testExtraGroupsUnion);
    CPPUNIT_TEST(testUnknownIds);
    CPPUNIT_TEST(testUnknownIdsNeverEffective);
    CPPUNIT_TEST(testLoadGroupsErrors);
    CPPUNIT_TEST(testFailedLoadKeepsTable);
    CPPUNIT_TEST(testGroupsJson);
    CPPUNIT_TEST(testGroupsHookAdjustsSet);
    CPPUNIT_TEST(testGroupsHookSeesSubject);
    CPPUNIT_TEST(testGroupsHookCanRemoveEverything);
    CPPUNIT_TEST(testFailingGroupsHookKeepsSet);
    CPPUNIT_TEST(testGroupsHookNonStringIdsGrantNothing);
    CPPUNIT_TEST(testGroupsHookNotAskedForOwner);
    CPPUNIT_TEST(testMemoAnswersLikeTheTable);
    CPPUNIT_TEST(testMemoDroppedWhenTheRoleTableChanges);
    CPPUNIT_TEST(testMemoDroppedOnPolicyReload);
    CPPUNIT_TEST(testFailedHookIsNotMemoised);
    CPPUNIT_TEST(testMemoIsBounded);
    CPPUNIT_TEST_SUITE_END();

public:
    void testValidIds()
    {
        CPPUNIT_ASSERT(PermissionTable::isValidId("can_run"));
        CPPUNIT_ASSERT(PermissionTable::isValidId("a"));
        CPPUNIT_ASSERT(PermissionTable::isValidId("x2_y"));
        CPPUNIT_ASSERT(PermissionTable::isValidId(std::string(64, 'a')));
        CPPUNIT_ASSERT(!PermissionTable::isValidId(std::string(65, 'a')));
        CPPUNIT_ASSERT(!PermissionTable::isValidId(""));
        CPPUNIT_ASSERT(!PermissionTable::isValidId("Can_run"));
        CPPUNIT_ASSERT(!PermissionTable::isValidId("1run"));
        CPPUNIT_ASSERT(!PermissionTable::isValidId("_run"));
        CPPUNIT_ASSERT(!PermissionTable::isValidId("can-run"));
        CPPUNIT_ASSERT(!PermissionTable::isValidId("can.run"));
    }

    void testDeclareRejectsBadIdAndRole()
    {
        PermissionTable table;
        CPPUNIT_ASSERT_THROW(table.declare(permission("Bad", {"user"})), std::invalid_argument);
        try {
            table.declare(permission("can_fly", {"user", "superuser"}));
            CPPUNIT_FAIL("an unknown default role was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "superuser"));
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "can_fly"));
        }
        CPPUNIT_ASSERT(table.all().empty());
        CPPUNIT_ASSERT(!table.isDeclared("can_fly"));
    }

    void testSecondDeclarationKeepsFirst()
    {
        PermissionTable table;
        table.declare(permission("can_run", {"user"}));
        table.declare(permission("can_run", {"admin"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), table.all().size());
        CPPUNIT_ASSERT(table.effective("u", "user", {}).count("can_run"));
    }

    void testDefaultsByRole()
    {
        PermissionTable table;
        declareThree(table);
        CPPUNIT_ASSERT(table.effective("a", "admin", {}) ==
                       (Ids{"can_run", "can_upload", "can_view_metrics"}));
        CPPUNIT_ASSERT(table.effective("p", "power", {}) == (Ids{"can_run", "can_upload"}));
        CPPUNIT_ASSERT(table.effective("u", "user", {}) == (Ids{"can_run"}));
        CPPUNIT_ASSERT(table.effective("g", "guest", {}).empty());
        CPPUNIT_ASSERT(table.effective("x", "nobody", {}).empty());
    }

    void testGroupsFileOverridesDefaults()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(R"({"user": {"can_run": false, "can_upload": true},
                             "guest": {"can_run": true}})",
                         "groups.json");
        CPPUNIT_ASSERT(table.effective("u", "user", {}) == (Ids{"can_upload"}));
        CPPUNIT_ASSERT(table.effective("g", "guest", {}) == (Ids{"can_run"}));
        // Roles the file is silent about keep their defaults.
        CPPUNIT_ASSERT(table.effective("p", "power", {}) == (Ids{"can_run", "can_upload"}));
    }

    void testOwnerGetsEverything()
    {
        PermissionTable table;
        declareThree(table);
        table.declare(permission("no_default", {}));
        table.loadGroups(R"({"owner": {"can_run": false}})", "groups.json");
        CPPUNIT_ASSERT(table.effective("o", "owner", {}) ==
                       (Ids{"can_run", "can_upload", "can_view_metrics", "no_default"}));
    }

    void testExtraGroupsUnion()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(
            R"({"artists": {"can_upload": true}, "metrics": {"can_view_metrics": true}})",
            "groups.json");
        CPPUNIT_ASSERT(table.effective("u", "user", {"artists"}) == (Ids{"can_run", "can_upload"}));
        CPPUNIT_ASSERT(table.effective("g", "guest", {"artists", "metrics"}) ==
                       (Ids{"can_upload", "can_view_metrics"}));
        // A role named as a group grants what that role holds.
        CPPUNIT_ASSERT(table.effective("g", "guest", {"power"}) == (Ids{"can_run", "can_upload"}));
        CPPUNIT_ASSERT(table.effective("g", "guest", {"unknown_group"}).empty());
    }

    void testUnknownIds()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(
            R"({"user": {"can_run": true, "can_teleport": true}, "guest": {"can_fly": false}})",
            "groups.json");
        CPPUNIT_ASSERT(table.unknownIds() ==
                       (std::vector<std::string>{"guest.can_fly", "user.can_teleport"}));
        table.declare(permission("can_fly", {}));
        CPPUNIT_ASSERT(table.unknownIds() == (std::vector<std::string>{"user.can_teleport"}));
    }

    void testUnknownIdsNeverEffective()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(R"({"user": {"can_teleport": true}})", "groups.json");
        CPPUNIT_ASSERT(!table.effective("u", "user", {}).count("can_teleport"));
    }

    void testLoadGroupsErrors()
    {
        PermissionTable table;
        declareThree(table);
        std::string message = loadError(table, "[]");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "groups.json"));
        message = loadError(table, "{not json");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "groups.json"));
        message = loadError(table, R"({"user": true})");
        CPPUNIT_ASSERT_MESSAGE(message,
                               contains(message, "groups.json") && contains(message, "user"));
        message = loadError(table, R"({"user": ["can_run"]})");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "user"));
        message = loadError(table, R"({"user": {"can_run": 1}})");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "user.can_run"));
        message = loadError(table, R"({"user": {"can_run": "true"}})");
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "user.can_run"));
        CPPUNIT_ASSERT_EQUAL(std::string(), loadError(table, "{}"));
    }

    void testFailedLoadKeepsTable()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(R"({"guest": {"can_run": true}})", "groups.json");
        CPPUNIT_ASSERT_THROW(
            table.loadGroups(R"({"guest": {"can_run": false}, "user": {"x": 2}})", "g2"),
            std::invalid_argument);
        CPPUNIT_ASSERT(table.effective("g", "guest", {}) == (Ids{"can_run"}));
    }

    void testGroupsJson()
    {
        PermissionTable table;
        declareThree(table);
        table.loadGroups(R"({"user": {"can_upload": true}, "power": {"can_run": false}})",
                         "groups.json");
        const auto root =
            Poco::JSON::Parser().parse(table.groupsJson()).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), root->size());
        for (const auto& role : comfygate::knownRoles())
            CPPUNIT_ASSERT_MESSAGE(role, root->has(role));
        const auto flag = [&](const std::string& role, const std::string& id) {
            return root->getObject(role)->getValue<bool>(id);
        };
        CPPUNIT_ASSERT(flag("owner", "can_view_metrics"));
        CPPUNIT_ASSERT(flag("admin", "can_view_metrics"));
        CPPUNIT_ASSERT(!flag("power", "can_run"));
        CPPUNIT_ASSERT(flag("power", "can_upload"));
        CPPUNIT_ASSERT(flag("user", "can_run"));
        CPPUNIT_ASSERT(flag("user", "can_upload"));
        CPPUNIT_ASSERT(!flag("guest", "can_run"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), root->getObject("guest")->size());
    }

    void testGroupsHookAdjustsSet()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table;
        declareThree(table);
        table.setPolicy(&engine);
        // ann, a power user: can_run removed, can_view_metrics added, the undeclared id dropped.
        CPPUNIT_ASSERT(table.effective("ann", "power", {}) ==
                       (Ids{"can_upload", "can_view_metrics"}));
        // Others are left alone.
        CPPUNIT_ASSERT(table.effective("bob", "power", {}) == (Ids{"can_run", "can_upload"}));
        CPPUNIT_ASSERT(table.effective("nolist", "user", {}) == (Ids{"can_run"}));
    }

    void testGroupsHookSeesSubject()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table;
        declareThree(table);
        table.setPolicy(&engine);
        CPPUNIT_ASSERT(table.effective("carl", "guest", {"x", "beta"}) == (Ids{"can_upload"}));
        CPPUNIT_ASSERT(table.effective("carl", "user", {"beta"}) == (Ids{"can_run"}));
    }

    void testGroupsHookCanRemoveEverything()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table;
        declareThree(table);
        table.setPolicy(&engine);
        CPPUNIT_ASSERT(table.effective("banned", "admin", {}).empty());
    }

    void testFailingGroupsHookKeepsSet()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        for (const FailMode mode : {FailMode::Open, FailMode::Closed}) {
            PolicyEngine engine(dir.path());
            engine.declareHook({"groups", "", mode});
            engine.load();
            PermissionTable table;
            declareThree(table);
            table.setPolicy(&engine);
            CPPUNIT_ASSERT(table.effective("broken", "power", {}) ==
                           (Ids{"can_run", "can_upload"}));
        }
    }

    void testGroupsHookNonStringIdsGrantNothing()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table;
        declareThree(table);
        table.setPolicy(&engine);
        // {permissions = {1, 2}} is a replacement list naming no declared id.
        CPPUNIT_ASSERT(table.effective("notstrings", "power", {}).empty());
    }

    void testGroupsHookNotAskedForOwner()
    {
        TempDir dir;
        dir.write("groups.lua",
                  "policy.on('groups', function() return { permissions = {} } end)\n");
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table;
        declareThree(table);
        table.setPolicy(&engine);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), table.effective("root", "owner", {}).size());
        CPPUNIT_ASSERT(table.effective("u", "user", {}).empty());
    }

    void testMemoAnswersLikeTheTable()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable plain, memoised(100);
        for (PermissionTable* table : {&plain, &memoised}) {
            declareThree(*table);
            table->setPolicy(&engine);
        }
        const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> principals{
            {"ann", "power", {}},          {"bob", "power", {}},      {"carl", "guest", {"x", "beta"}},
            {"carl", "guest", {"xbeta"}},  {"carl", "user", {"beta"}}, {"banned", "admin", {}},
            {"owner", "owner", {}},        {"nolist", "user", {}},    {"dan", "user", {"power"}}};
        for (int round = 0; round < 2; ++round) {
            for (const auto& [name, role, groups] : principals)
                CPPUNIT_ASSERT(plain.effective(name, role, groups) == memoised.effective(name, role, groups));
        }
        CPPUNIT_ASSERT_EQUAL(principals.size(), memoised.effectiveCache().size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(principals.size()), memoised.effectiveCache().hits());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), plain.effectiveCache().size());
    }

    void testMemoDroppedWhenTheRoleTableChanges()
    {
        PermissionTable table(100);
        declareThree(table);
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{"can_run"}));
        table.loadGroups(R"({"user": {"can_upload": true}})", "groups.json");
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{"can_run", "can_upload"}));
        table.setGroups(R"({"user": {"can_run": false}})");
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{}));
        table.declare(permission("can_share", {"user"}));
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{"can_share"}));
    }

    void testMemoDroppedOnPolicyReload()
    {
        TempDir dir;
        dir.write("groups.lua", "policy.on('groups', function(subject, request) end)\n");
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table(100);
        declareThree(table);
        table.setPolicy(&engine);
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{"can_run"}));
        dir.write("groups.lua", "policy.on('groups', function(subject, request)\n"
                                "    return { permissions = { 'can_view_metrics' } }\nend)\n");
        CPPUNIT_ASSERT(engine.reload().swapped);
        CPPUNIT_ASSERT(table.effective("bob", "user", {}) == (Ids{"can_view_metrics"}));
    }

    void testFailedHookIsNotMemoised()
    {
        TempDir dir;
        dir.write("groups.lua", groupsScript);
        PolicyEngine engine(dir.path());
        engine.declareHook({"groups", "", FailMode::Open});
        engine.load();
        PermissionTable table(100);
        declareThree(table);
        table.setPolicy(&engine);
        CPPUNIT_ASSERT(table.effective("broken", "user", {}) == (Ids{"can_run"}));
        CPPUNIT_ASSERT(table.effective("broken", "user", {}) == (Ids{"can_run"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), table.effectiveCache().size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), table.effectiveCache().hits());
    }

    void testMemoIsBounded()
    {
        PermissionTable table(3);
        declareThree(table);
        for (int i = 0; i < 10; ++i)
            table.effective("user" + std::to_string(i), "user", {});
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), table.effectiveCache().size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PermissionTableTest);

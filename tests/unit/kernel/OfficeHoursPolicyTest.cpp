// The shipped office_hours.lua (the `login` hook) on a policy engine with a settable clock:
// the window, the days, the time zone, windows across midnight, who is limited, and
// malformed settings failing the load with the script's line.
#include "PolicyEngine.h"
#include "RecordingPolicyEffects.h"
#include "TestPaths.h"

#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <array>
#include <map>
#include <memory>

using comfygate::FailMode;
using comfygate::PolicyEngine;
using comfygate::Verdict;
using Poco::Dynamic::Var;

namespace {

const std::string shippedPolicies = std::string(COMFYGATE_SOURCE_DIR) + "/scripts/policy";

// Monday 2026-12-07, UTC.
constexpr std::int64_t monday = 1796601600;
constexpr std::int64_t hour = 3600;
constexpr std::int64_t minute = 60;

Var json(const std::string& text)
{
    return Poco::JSON::Parser().parse(text);
}

Var user(const std::string& role, const std::string& groupsJson = "[]")
{
    return json(R"({"username":"u1","role":")" + role + R"(","groups":)" + groupsJson + "}");
}

const Var login = json(R"({"method":"password","address":"203.0.113.7","user_agent":"test"})");

} // namespace

class OfficeHoursPolicyTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(OfficeHoursPolicyTest);
    CPPUNIT_TEST(testOffUnlessConfigured);
    CPPUNIT_TEST(testWindowInTheConfiguredZone);
    CPPUNIT_TEST(testOnlyTheListedRolesAndGroups);
    CPPUNIT_TEST(testWindowAcrossMidnight);
    CPPUNIT_TEST(testMalformedSettingsFailTheLoad);
    CPPUNIT_TEST_SUITE_END();

public:
    void testOffUnlessConfigured()
    {
        const auto engine = start({});
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), engine->check().handlers["login"]);
        _effects->clock = monday + 3 * hour; // 03:00 on a Monday
        CPPUNIT_ASSERT(engine->call("login", user("user"), login).allowed());
    }

    void testWindowInTheConfiguredZone()
    {
        const auto engine = start({{"office_hours", "09:00-18:00"},
                                   {"office_hours_zone", "Europe/Berlin"},
                                   {"office_hours_groups", "staff"}});
        const Var staff = user("user", R"(["user","staff"])");
        // Berlin is UTC+1 in December: 08:59 there is 07:59 UTC.
        _effects->clock = monday + 7 * hour + 59 * minute;
        Verdict verdict = engine->call("login", staff, login);
        CPPUNIT_ASSERT(verdict.decision == Verdict::Decision::Deny);
        CPPUNIT_ASSERT(!verdict.failed);
        CPPUNIT_ASSERT_EQUAL(std::string("sign-in is possible 09:00-18:00 on mon-fri (Europe/Berlin); it is mon 08:59 there"),
                             verdict.reason);
        _effects->clock = monday + 8 * hour;
        CPPUNIT_ASSERT(engine->call("login", staff, login).allowed());
        _effects->clock = monday + 16 * hour + 59 * minute;
        CPPUNIT_ASSERT(engine->call("login", staff, login).allowed());
        _effects->clock = monday + 17 * hour; // 18:00 in Berlin: the end is exclusive
        CPPUNIT_ASSERT(!engine->call("login", staff, login).allowed());
        _effects->clock = monday + 5 * 24 * hour + 10 * hour; // Saturday 11:00 in Berlin
        verdict = engine->call("login", staff, login);
        CPPUNIT_ASSERT_EQUAL(std::string("sign-in is possible 09:00-18:00 on mon-fri (Europe/Berlin); it is sat 11:00 there"),
                             verdict.reason);
    }

    void testOnlyTheListedRolesAndGroups()
    {
        const auto engine = start({{"office_hours", "09:00-18:00"}, {"office_hours_groups", "Staff, power"}});
        _effects->clock = monday + 20 * hour;
        CPPUNIT_ASSERT(!engine->call("login", user("user", R"(["staff"])"), login).allowed());
        CPPUNIT_ASSERT(!engine->call("login", user("power"), login).allowed());
        CPPUNIT_ASSERT(engine->call("login", user("user", R"(["user"])"), login).allowed());
        CPPUNIT_ASSERT(engine->call("login", user("owner", R"(["staff"])"), login).allowed()); // never limited

        const auto everyone = start({{"office_hours", "09:00-18:00"}});
        CPPUNIT_ASSERT(!everyone->call("login", user("admin"), login).allowed());
        CPPUNIT_ASSERT(!everyone->call("login", user("guest"), login).allowed());
        CPPUNIT_ASSERT(everyone->call("login", user("owner"), login).allowed());
    }

    void testWindowAcrossMidnight()
    {
        const auto engine = start({{"office_hours", "22:00-06:00"}, {"office_hours_days", "fri"}});
        const std::int64_t friday = monday + 4 * 24 * hour;
        _effects->clock = friday + 22 * hour + 30 * minute;
        CPPUNIT_ASSERT(engine->call("login", user("user"), login).allowed());
        _effects->clock = friday + 24 * hour + 4 * hour; // Saturday 04:00: still Friday's night
        CPPUNIT_ASSERT(engine->call("login", user("user"), login).allowed());
        _effects->clock = friday + 24 * hour + 7 * hour;
        CPPUNIT_ASSERT_EQUAL(std::string("sign-in is possible 22:00-06:00 on fri (UTC); it is sat 07:00 there"),
                             engine->call("login", user("user"), login).reason);
        _effects->clock = friday + 4 * hour; // Friday 04:00 belongs to Thursday's night
        CPPUNIT_ASSERT(!engine->call("login", user("user"), login).allowed());

        const auto ranges = start({{"office_hours", "00:00-24:00"}, {"office_hours_days", "fri-mon"}});
        _effects->clock = monday + 12 * hour;
        CPPUNIT_ASSERT(ranges->call("login", user("user"), login).allowed());
        _effects->clock = monday + 24 * hour + 12 * hour; // Tuesday
        CPPUNIT_ASSERT(!ranges->call("login", user("user"), login).allowed());
    }

    void testMalformedSettingsFailTheLoad()
    {
        for (const auto& [name, value, expected] : std::vector<std::array<std::string, 3>>{
                 {"office_hours", "9-18", "'9-18' is not HH:MM-HH:MM"},
                 {"office_hours", "09:00-25:00", "'09:00-25:00' is not HH:MM-HH:MM"},
                 {"office_hours", "09:00-09:00", "'09:00-09:00' is an empty window"},
                 {"office_hours_days", "mon-fry", "'mon-fry' is not a day or a range of days"}}) {
            std::map<std::string, std::string> settings{{"office_hours", "09:00-18:00"}};
            settings[name] = value;
            PolicyEngine engine(shippedPolicies, comfygate::PolicyLimits{}, settings, _effects);
            declareHooks(engine);
            const auto report = engine.check();
            std::string errors;
            for (const auto& error : report.errors)
                errors += error + "\n";
            CPPUNIT_ASSERT_MESSAGE(errors, errors.find("office_hours.lua:") == 0);
            CPPUNIT_ASSERT_MESSAGE(errors, errors.find("policy.settings." + name + ": " + expected) != std::string::npos);
        }
    }

private:
    // Every hook the kernel declares, so that every shipped script loads.
    static void declareHooks(PolicyEngine& engine)
    {
        for (const char* name : {"view", "prompt", "download", "login", "register", "token", "upload", "model"})
            engine.declareHook({name, name, FailMode::Closed});
        for (const char* name : {"groups", "queue", "event"})
            engine.declareHook({name, name, FailMode::Open});
    }

    std::unique_ptr<PolicyEngine> start(std::map<std::string, std::string> settings)
    {
        auto engine = std::make_unique<PolicyEngine>(shippedPolicies, comfygate::PolicyLimits{}, std::move(settings), _effects);
        declareHooks(*engine);
        engine->load();
        return engine;
    }

    std::shared_ptr<comfygate::test::RecordingPolicyEffects> _effects =
        std::make_shared<comfygate::test::RecordingPolicyEffects>();
};

CPPUNIT_TEST_SUITE_REGISTRATION(OfficeHoursPolicyTest);

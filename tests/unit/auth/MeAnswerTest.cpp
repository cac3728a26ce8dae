#include "MeAnswer.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::Principal;
using comfygate::auth::MeAnswer;

namespace {

using Features = std::vector<std::pair<std::string, bool>>;

/// The answer as MeRoutes built it before MeAnswer: a Poco::JSON::Object, stringified.
std::string pocoAnswer(const Principal& principal, const std::vector<std::string>& groupNames,
                       const std::set<std::string>& permissionIds, const Features& features)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr permissions = new Poco::JSON::Array;
    for (const auto& group : groupNames)
        groups->add(group);
    for (const auto& permission : permissionIds)
        permissions->add(permission);
    body->set("username", principal.authenticated ? principal.username : "guest");
    body->set("role", principal.authenticated ? principal.role : "guest");
    body->set("user_id", principal.userId);
    body->set("groups", groups);
    body->set("is_admin", principal.authenticated && principal.isAdmin());
    body->set("is_owner", principal.authenticated && principal.role == "owner");
    body->set("authenticated", principal.authenticated);
    body->set("mfa_enabled", principal.authenticated && principal.mfaEnabled);
    body->set("sfw_check", principal.sfwCheck);
    body->set("token_kind", principal.tokenKind);
    body->set("permissions", permissions);
    Poco::JSON::Object::Ptr experimental = new Poco::JSON::Object;
    for (const auto& [name, enabled] : features)
        experimental->set(name, enabled);
    body->set("experimental_features", experimental);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(Poco::Dynamic::Var(body), out);
    return out.str();
}

} // namespace

class MeAnswerTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(MeAnswerTest);
    CPPUNIT_TEST(testSameBytesAsThePocoObject);
    CPPUNIT_TEST(testGuestShape);
    CPPUNIT_TEST(testEscaping);
    CPPUNIT_TEST_SUITE_END();

public:
    void testSameBytesAsThePocoObject()
    {
        const Features features{{"mfa", true}, {"s3", false}, {"model_isolation", true}};
        for (const std::string role : {"owner", "admin", "power", "user"}) {
            Principal principal;
            principal.authenticated = true;
            principal.userId = "0123456789abcdef";
            principal.username = "alice";
            principal.role = role;
            principal.groups = {role, "artists"};
            principal.permissions = {"can_run", "can_upload"};
            principal.mfaEnabled = role == "admin";
            principal.sfwCheck = role != "owner";
            principal.tokenKind = "api_token";
            CPPUNIT_ASSERT_EQUAL(pocoAnswer(principal, principal.groups, principal.permissions, features),
                                 MeAnswer(features).text(principal, principal.groups, principal.permissions));
        }
    }

    void testGuestShape()
    {
        const Features features{{"mfa", false}, {"s3", false}, {"model_isolation", false}};
        const Principal anonymous;
        CPPUNIT_ASSERT_EQUAL(pocoAnswer(anonymous, {"guest"}, {"can_view"}, features),
                             MeAnswer(features).text(anonymous, {"guest"}, {"can_view"}));
        CPPUNIT_ASSERT_EQUAL(pocoAnswer(anonymous, {}, {}, {}), MeAnswer({}).text(anonymous, {}, {}));
    }

    void testEscaping()
    {
        Principal principal;
        principal.authenticated = true;
        principal.username = "quote\"back\\slash/\x01\n\xc3\xa9\xe2\x82\xac";
        principal.role = "user";
        principal.groups = {"tab\there", "\xf0\x9f\x98\x80"};
        principal.tokenKind = "session";
        const Features features{{"mfa", false}};
        CPPUNIT_ASSERT_EQUAL(pocoAnswer(principal, principal.groups, {}, features),
                             MeAnswer(features).text(principal, principal.groups, {}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MeAnswerTest);

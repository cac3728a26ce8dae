#include "Router.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::Access;
using comfygate::ModuleRoutes;
using comfygate::Router;
using comfygate::RouteSpec;

namespace {

RouteSpec spec(const std::string& method, const std::string& pattern, const std::string& tag = {})
{
    RouteSpec route;
    route.method = method;
    route.pattern = pattern;
    route.description = tag.empty() ? method + " " + pattern : tag;
    route.handler = [](comfygate::HttpExchange&) {};
    return route;
}

/// The description of the route a request resolves to ("" when none).
std::string resolvedTag(const Router& router, const std::string& method, const std::string& path)
{
    const auto resolution = router.resolve(method, path);
    return resolution.route ? resolution.route->spec->description : std::string();
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class RouterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(RouterTest);
    CPPUNIT_TEST(testFoundWithParameters);
    CPPUNIT_TEST(testLiteralBeatsParameterRegisteredFirst);
    CPPUNIT_TEST(testLiteralBeatsParameterRegisteredLast);
    CPPUNIT_TEST(testLeftmostLiteralWins);
    CPPUNIT_TEST(testParameterBeatsRestInEitherOrder);
    CPPUNIT_TEST(testLiteralBeatsRest);
    CPPUNIT_TEST(testFirstSegmentParameterMeetsLiteralRoutes);
    CPPUNIT_TEST(testLiteralPathOfAnotherMethodFallsBackToParameters);
    CPPUNIT_TEST(testNotFound);
    CPPUNIT_TEST(testMethodNotAllowedListsMethods);
    CPPUNIT_TEST(testHeadImpliedByGetInAllowed);
    CPPUNIT_TEST(testHeadResolvesToGet);
    CPPUNIT_TEST(testHeadWithoutGetIsNotAllowed);
    CPPUNIT_TEST(testBadPath);
    CPPUNIT_TEST(testApiTwinRegistered);
    CPPUNIT_TEST(testAliasesRegistered);
    CPPUNIT_TEST(testDuplicateShapeNamesOwner);
    CPPUNIT_TEST(testDuplicateAcrossTwin);
    CPPUNIT_TEST(testDuplicateAcrossAlias);
    CPPUNIT_TEST(testFailedAddRegistersNothing);
    CPPUNIT_TEST(testSameShapeOtherMethodAllowed);
    CPPUNIT_TEST(testBadMethodRefused);
    CPPUNIT_TEST(testMissingHandlerRefused);
    CPPUNIT_TEST(testPermissionWithoutIdRefused);
    CPPUNIT_TEST(testBadPatternRefused);
    CPPUNIT_TEST(testFreezeRefusesAdd);
    CPPUNIT_TEST(testModuleRoutesTagsOwnerAndHonoursOpen);
    CPPUNIT_TEST_SUITE_END();

public:
    void testFoundWithParameters()
    {
        Router router;
        router.add(spec("GET", "/jobs/{job_id}/files/{name}"), "downloads");
        const auto resolution = router.resolve("GET", "/jobs/7/files/a%2Fb");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::Found);
        CPPUNIT_ASSERT(resolution.route != nullptr);
        CPPUNIT_ASSERT_EQUAL(std::string("downloads"), resolution.route->owner);
        CPPUNIT_ASSERT_EQUAL(std::string("7"), resolution.params.at("job_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b"), resolution.params.at("name"));
        CPPUNIT_ASSERT(resolution.allowed.empty());
    }

    void testLiteralBeatsParameterRegisteredFirst()
    {
        Router router;
        router.add(spec("GET", "/jobs/stats", "stats"), "m");
        router.add(spec("GET", "/jobs/{id}", "job"), "m");
        CPPUNIT_ASSERT_EQUAL(std::string("stats"), resolvedTag(router, "GET", "/jobs/stats"));
        CPPUNIT_ASSERT_EQUAL(std::string("job"), resolvedTag(router, "GET", "/jobs/12"));
        CPPUNIT_ASSERT(router.resolve("GET", "/jobs/stats").params.empty());
    }

    void testLiteralBeatsParameterRegisteredLast()
    {
        Router router;
        router.add(spec("GET", "/jobs/{id}", "job"), "m");
        router.add(spec("GET", "/jobs/stats", "stats"), "m");
        CPPUNIT_ASSERT_EQUAL(std::string("stats"), resolvedTag(router, "GET", "/jobs/stats"));
        CPPUNIT_ASSERT_EQUAL(std::string("job"), resolvedTag(router, "GET", "/jobs/12"));
    }

    void testLeftmostLiteralWins()
    {
        for (int order = 0; order < 2; ++order) {
            Router router;
            auto a = spec("GET", "/a/{x}/c", "param-first");
            auto b = spec("GET", "/a/b/{y}", "literal-first");
            if (order == 0) {
                router.add(a, "m");
                router.add(b, "m");
            } else {
                router.add(b, "m");
                router.add(a, "m");
            }
            CPPUNIT_ASSERT_EQUAL(std::string("literal-first"),
                                 resolvedTag(router, "GET", "/a/b/c"));
            CPPUNIT_ASSERT_EQUAL(std::string("param-first"), resolvedTag(router, "GET", "/a/z/c"));
        }
    }

    void testParameterBeatsRestInEitherOrder()
    {
        // "/files/{name}" is the more specific of the two for a one-segment path; the answer
        // must not depend on which module registered first.
        for (int order = 0; order < 2; ++order) {
            Router router;
            auto one = spec("GET", "/files/{name}", "one");
            auto rest = spec("GET", "/files/{path...}", "rest");
            if (order == 0) {
                router.add(one, "m");
                router.add(rest, "m");
            } else {
                router.add(rest, "m");
                router.add(one, "m");
            }
            CPPUNIT_ASSERT_EQUAL_MESSAGE("order " + std::to_string(order), std::string("one"),
                                         resolvedTag(router, "GET", "/files/x"));
            CPPUNIT_ASSERT_EQUAL(std::string("rest"), resolvedTag(router, "GET", "/files/x/y"));
        }
    }

    void testLiteralBeatsRest()
    {
        Router router;
        router.add(spec("GET", "/files/{path...}", "rest"), "m");
        router.add(spec("GET", "/files/special", "special"), "m");
        CPPUNIT_ASSERT_EQUAL(std::string("special"), resolvedTag(router, "GET", "/files/special"));
        CPPUNIT_ASSERT_EQUAL(std::string("rest"), resolvedTag(router, "GET", "/files/special/x"));
    }

    void testFirstSegmentParameterMeetsLiteralRoutes()
    {
        // The router indexes routes by their first literal; a route starting with a parameter
        // must still compete with them, a percent-encoded first segment finds its literal, and
        // `/` is found.
        for (int order = 0; order < 2; ++order) {
            Router router;
            auto any = spec("GET", "/{page}", "any");
            auto anyDeep = spec("GET", "/{a}/view", "any-view");
            auto view = spec("GET", "/view", "view");
            if (order == 0) {
                router.add(any, "m");
                router.add(anyDeep, "m");
                router.add(view, "m");
            } else {
                router.add(view, "m");
                router.add(anyDeep, "m");
                router.add(any, "m");
            }
            router.add(spec("GET", "/", "root"), "m" + std::to_string(order));
            router.add(spec("POST", "/other/{x}", "post-other"), "m");
            CPPUNIT_ASSERT_EQUAL(std::string("view"), resolvedTag(router, "GET", "/view"));
            CPPUNIT_ASSERT_EQUAL(std::string("view"), resolvedTag(router, "GET", "/%76iew"));
            CPPUNIT_ASSERT_EQUAL(std::string("any"), resolvedTag(router, "GET", "/other"));
            CPPUNIT_ASSERT_EQUAL(std::string("any-view"), resolvedTag(router, "GET", "/other/view"));
            CPPUNIT_ASSERT_EQUAL(std::string("root"), resolvedTag(router, "GET", "/"));
            const auto wrongMethod = router.resolve("GET", "/other/thing");
            CPPUNIT_ASSERT(wrongMethod.outcome == Router::Outcome::MethodNotAllowed);
            CPPUNIT_ASSERT(router.resolve("GET", "/nothing/at/all").outcome == Router::Outcome::NotFound);
        }
    }

    void testLiteralPathOfAnotherMethodFallsBackToParameters()
    {
        // Literal routes are looked up by their exact path; a method they lack still finds a
        // parameter route, HEAD finds the literal GET, and a path that only decodes to the
        // literal still resolves to it.
        Router router;
        router.add(spec("POST", "/{anything}", "post-any"), "m");
        router.add(spec("GET", "/items", "items"), "m");
        CPPUNIT_ASSERT_EQUAL(std::string("items"), resolvedTag(router, "GET", "/items"));
        CPPUNIT_ASSERT_EQUAL(std::string("items"), resolvedTag(router, "HEAD", "/items"));
        CPPUNIT_ASSERT_EQUAL(std::string("items"), resolvedTag(router, "GET", "/it%65ms"));
        CPPUNIT_ASSERT_EQUAL(std::string("post-any"), resolvedTag(router, "POST", "/items"));
        const auto put = router.resolve("PUT", "/items");
        CPPUNIT_ASSERT(put.outcome == Router::Outcome::MethodNotAllowed);
        CPPUNIT_ASSERT(put.allowed == (std::set<std::string>{"GET", "HEAD", "POST"}));
        CPPUNIT_ASSERT(router.resolve("GET", "/items/").outcome == Router::Outcome::NotFound);
    }

    void testNotFound()
    {
        Router router;
        router.add(spec("GET", "/jobs/{id}"), "m");
        const auto resolution = router.resolve("GET", "/nothing/here");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::NotFound);
        CPPUNIT_ASSERT(resolution.route == nullptr);
        CPPUNIT_ASSERT(resolution.allowed.empty());
        CPPUNIT_ASSERT(router.resolve("GET", "/jobs").outcome == Router::Outcome::NotFound);
        CPPUNIT_ASSERT(router.resolve("POST", "/nothing").outcome == Router::Outcome::NotFound);
    }

    void testMethodNotAllowedListsMethods()
    {
        Router router;
        router.add(spec("POST", "/jobs/{id}"), "m");
        router.add(spec("DELETE", "/jobs/{id}"), "m");
        router.add(spec("PUT", "/other/{id}"), "m");
        const auto resolution = router.resolve("PATCH", "/jobs/4");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::MethodNotAllowed);
        CPPUNIT_ASSERT(resolution.route == nullptr);
        CPPUNIT_ASSERT(resolution.allowed == (std::set<std::string>{"DELETE", "POST"}));
    }

    void testHeadImpliedByGetInAllowed()
    {
        Router router;
        router.add(spec("GET", "/items"), "m");
        router.add(spec("PUT", "/items"), "m");
        const auto resolution = router.resolve("POST", "/items");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::MethodNotAllowed);
        CPPUNIT_ASSERT(resolution.allowed == (std::set<std::string>{"GET", "HEAD", "PUT"}));
    }

    void testHeadResolvesToGet()
    {
        Router router;
        router.add(spec("GET", "/items/{id}", "get"), "m");
        router.add(spec("POST", "/items/{id}", "post"), "m");
        const auto resolution = router.resolve("HEAD", "/items/3");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("get"), resolution.route->spec->description);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), resolution.route->method);
        CPPUNIT_ASSERT_EQUAL(std::string("3"), resolution.params.at("id"));
    }

    void testHeadWithoutGetIsNotAllowed()
    {
        Router router;
        router.add(spec("POST", "/items"), "m");
        const auto resolution = router.resolve("HEAD", "/items");
        CPPUNIT_ASSERT(resolution.outcome == Router::Outcome::MethodNotAllowed);
        CPPUNIT_ASSERT(resolution.allowed == (std::set<std::string>{"POST"}));
    }

    void testBadPath()
    {
        Router router;
        router.add(spec("GET", "/files/{path...}"), "m");
        for (const std::string path : {"/files/../etc/passwd", "/files/%2e%2e/x", "/files/a%00",
                                       "/files/%zz", "files/a", "/files/..%2F..%2Fetc"}) {
            const auto resolution = router.resolve("GET", path);
            CPPUNIT_ASSERT_MESSAGE(path, resolution.outcome == Router::Outcome::BadPath);
            CPPUNIT_ASSERT(resolution.route == nullptr);
        }
    }

    void testApiTwinRegistered()
    {
        Router router;
        auto route = spec("POST", "/prompt", "prompt");
        route.apiTwin = true;
        router.add(route, "comfy-proxy");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), router.routes().size());
        CPPUNIT_ASSERT_EQUAL(std::string("prompt"), resolvedTag(router, "POST", "/prompt"));
        CPPUNIT_ASSERT_EQUAL(std::string("prompt"), resolvedTag(router, "POST", "/api/prompt"));
        const auto twin = router.resolve("POST", "/api/prompt");
        CPPUNIT_ASSERT_EQUAL(std::string("/api/prompt"), twin.route->pattern.text());
        CPPUNIT_ASSERT_EQUAL(std::string("comfy-proxy"), twin.route->owner);
        // One spec shared by both registrations.
        CPPUNIT_ASSERT(router.routes()[0]->spec == router.routes()[1]->spec);
        CPPUNIT_ASSERT(router.resolve("POST", "/api/api/prompt").outcome ==
                       Router::Outcome::NotFound);
    }

    void testAliasesRegistered()
    {
        Router router;
        auto route = spec("GET", "/mss-login/api/me", "me");
        route.aliases = {"/me", "/users/{id}/me"};
        router.add(route, "auth");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), router.routes().size());
        CPPUNIT_ASSERT_EQUAL(std::string("me"), resolvedTag(router, "GET", "/me"));
        CPPUNIT_ASSERT_EQUAL(std::string("me"), resolvedTag(router, "GET", "/mss-login/api/me"));
        const auto aliased = router.resolve("GET", "/users/5/me");
        CPPUNIT_ASSERT(aliased.outcome == Router::Outcome::Found);
        CPPUNIT_ASSERT_EQUAL(std::string("5"), aliased.params.at("id"));
        CPPUNIT_ASSERT(router.resolve("GET", "/api/me").outcome == Router::Outcome::NotFound);
    }

    void testDuplicateShapeNamesOwner()
    {
        Router router;
        router.add(spec("GET", "/jobs/{id}"), "downloads");
        try {
            router.add(spec("GET", "/jobs/{job_id}"), "presets");
            CPPUNIT_FAIL("a duplicate shape was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "downloads"));
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "/jobs/{id}"));
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "/jobs/{job_id}"));
        }
    }

    void testDuplicateAcrossTwin()
    {
        Router router;
        auto twin = spec("GET", "/history");
        twin.apiTwin = true;
        router.add(twin, "comfy-proxy");
        try {
            router.add(spec("GET", "/api/history"), "userdata");
            CPPUNIT_FAIL("a route colliding with an /api twin was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "comfy-proxy"));
        }
        // And the other way round: a twin colliding with an existing route.
        Router second;
        second.add(spec("GET", "/api/queue"), "userdata");
        auto late = spec("GET", "/queue");
        late.apiTwin = true;
        try {
            second.add(late, "comfy-proxy");
            CPPUNIT_FAIL("an /api twin colliding with a route was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "userdata"));
        }
    }

    void testDuplicateAcrossAlias()
    {
        Router router;
        auto aliased = spec("GET", "/mss-login/api/me");
        aliased.aliases = {"/whoami"};
        router.add(aliased, "auth");
        try {
            router.add(spec("GET", "/whoami"), "presets");
            CPPUNIT_FAIL("a route colliding with an alias was accepted");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "auth"));
        }
    }

    void testFailedAddRegistersNothing()
    {
        Router router;
        router.add(spec("GET", "/taken"), "first");
        auto route = spec("GET", "/fresh");
        route.aliases = {"/taken"};
        CPPUNIT_ASSERT_THROW(router.add(route, "second"), std::logic_error);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), router.routes().size());
        CPPUNIT_ASSERT(router.resolve("GET", "/fresh").outcome == Router::Outcome::NotFound);
    }

    void testSameShapeOtherMethodAllowed()
    {
        Router router;
        router.add(spec("GET", "/jobs/{id}", "get"), "a");
        router.add(spec("DELETE", "/jobs/{job}", "delete"), "b");
        CPPUNIT_ASSERT_EQUAL(std::string("delete"), resolvedTag(router, "DELETE", "/jobs/1"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             router.resolve("DELETE", "/jobs/1").params.at("job"));
    }

    void testBadMethodRefused()
    {
        Router router;
        CPPUNIT_ASSERT_THROW(router.add(spec("get", "/x"), "m"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(router.add(spec("FETCH", "/x"), "m"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(router.add(spec("", "/x"), "m"), std::invalid_argument);
        CPPUNIT_ASSERT(router.routes().empty());
    }

    void testMissingHandlerRefused()
    {
        Router router;
        auto route = spec("GET", "/x");
        route.handler = nullptr;
        CPPUNIT_ASSERT_THROW(router.add(route, "m"), std::invalid_argument);
        CPPUNIT_ASSERT(router.routes().empty());
    }

    void testPermissionWithoutIdRefused()
    {
        Router router;
        auto route = spec("GET", "/x");
        route.access = Access::Permission;
        CPPUNIT_ASSERT_THROW(router.add(route, "m"), std::invalid_argument);
        route.permission = "can_run";
        router.add(route, "m");
        CPPUNIT_ASSERT_EQUAL(std::string("can_run"),
                             router.resolve("GET", "/x").route->spec->permission);
    }

    void testBadPatternRefused()
    {
        Router router;
        CPPUNIT_ASSERT_THROW(router.add(spec("GET", "x"), "m"), std::invalid_argument);
        auto route = spec("GET", "/good");
        route.aliases = {"/bad/{"};
        CPPUNIT_ASSERT_THROW(router.add(route, "m"), std::invalid_argument);
        CPPUNIT_ASSERT(router.routes().empty());
    }

    void testFreezeRefusesAdd()
    {
        Router router;
        router.add(spec("GET", "/before"), "m");
        router.freeze();
        try {
            router.add(spec("GET", "/after"), "late");
            CPPUNIT_FAIL("a route was added after freeze()");
        } catch (const std::logic_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "late"));
        }
        CPPUNIT_ASSERT(router.resolve("GET", "/before").outcome == Router::Outcome::Found);
        CPPUNIT_ASSERT(router.resolve("GET", "/after").outcome == Router::Outcome::NotFound);
    }

    void testModuleRoutesTagsOwnerAndHonoursOpen()
    {
        Router router;
        bool open = true;
        ModuleRoutes routes(router, "presets", open);
        routes.add(spec("GET", "/presets"));
        CPPUNIT_ASSERT_EQUAL(std::string("presets"),
                             router.resolve("GET", "/presets").route->owner);
        open = false;
        CPPUNIT_ASSERT_THROW(routes.add(spec("GET", "/presets/{id}")), std::logic_error);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), router.routes().size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);

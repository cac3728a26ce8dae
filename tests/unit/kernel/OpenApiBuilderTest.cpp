#include "OpenApiBuilder.h"
#include "Router.h"
#include "comfygate/SwarmApi.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

using comfygate::Access;
using comfygate::ErrorStyle;
using comfygate::OpenApiBuilder;
using comfygate::Router;
using comfygate::RouteSpec;
using Poco::JSON::Object;

namespace {

RouteSpec spec(const std::string& method, const std::string& pattern, Access access,
               ErrorStyle style, const std::string& description)
{
    RouteSpec route;
    route.method = method;
    route.pattern = pattern;
    route.access = access;
    route.errorStyle = style;
    route.description = description;
    route.handler = [](comfygate::HttpExchange&) {};
    return route;
}

Object::Ptr document(const Router& router)
{
    return Poco::JSON::Parser().parse(OpenApiBuilder(router).build()).extract<Object::Ptr>();
}

Object::Ptr operation(const Object::Ptr& doc, const std::string& path, const std::string& method)
{
    const auto paths = doc->getObject("paths");
    CPPUNIT_ASSERT_MESSAGE(path, paths->has(path));
    const auto item = paths->getObject(path);
    CPPUNIT_ASSERT_MESSAGE(path + " " + method, item->has(method));
    return item->getObject(method);
}

std::string errorRef(const Object::Ptr& op)
{
    return op->getObject("responses")
        ->getObject("default")
        ->getObject("content")
        ->getObject("application/json")
        ->getObject("schema")
        ->getValue<std::string>("$ref");
}

} // namespace

class OpenApiBuilderTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(OpenApiBuilderTest);
    CPPUNIT_TEST(testDocumentHeader);
    CPPUNIT_TEST(testEmptyRouter);
    CPPUNIT_TEST(testPathParameters);
    CPPUNIT_TEST(testRestParameterPath);
    CPPUNIT_TEST(testTwinAndAliasListed);
    CPPUNIT_TEST(testMethodsShareAPathItem);
    CPPUNIT_TEST(testAccessAndSecurity);
    CPPUNIT_TEST(testErrorSchemaPerStyle);
    CPPUNIT_TEST(testOwnerAndDescription);
    CPPUNIT_TEST(testSwarmRoutesHaveARequestBody);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        auto job = spec("GET", "/jobs/{job_id}/files/{name}", Access::Permission, ErrorStyle::Plain,
                        "A job file");
        job.permission = "can_download_models";
        _router.add(job, "model-download");
        auto prompt =
            spec("POST", "/prompt", Access::Authenticated, ErrorStyle::Plain, "Queue a prompt");
        prompt.apiTwin = true;
        _router.add(prompt, "comfy-proxy");
        _router.add(spec("GET", "/prompt", Access::Authenticated, ErrorStyle::Plain, "Queue state"),
                    "comfy-proxy");
        auto login = spec("POST", "/API/Login", Access::Public, ErrorStyle::SwarmUI, "Swarm login");
        login.aliases = {"/API/GetNewSession"};
        _router.add(login, "auth");
        _router.add(spec("GET", "/api/assets/{id}", Access::Authenticated, ErrorStyle::ComfyCloud,
                         "An asset"),
                    "model-download");
        _router.add(spec("GET", "/userdata/{path...}", Access::Authenticated, ErrorStyle::Plain,
                         "User file"),
                    "userdata");
    }

    void testDocumentHeader()
    {
        const auto doc = document(_router);
        CPPUNIT_ASSERT_EQUAL(std::string("3.0.3"), doc->getValue<std::string>("openapi"));
        CPPUNIT_ASSERT_EQUAL(std::string("comfygate"),
                             doc->getObject("info")->getValue<std::string>("title"));
        CPPUNIT_ASSERT(!doc->getObject("info")->getValue<std::string>("version").empty());
        const auto schemes = doc->getObject("components")->getObject("securitySchemes");
        CPPUNIT_ASSERT_EQUAL(std::string("bearer"),
                             schemes->getObject("bearer")->getValue<std::string>("scheme"));
        const auto security = doc->getArray("security");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), security->size());
        CPPUNIT_ASSERT(security->getObject(0)->has("bearer"));
        const auto schemas = doc->getObject("components")->getObject("schemas");
        CPPUNIT_ASSERT(schemas->getObject("Error")->getObject("properties")->has("error"));
        CPPUNIT_ASSERT(schemas->getObject("SwarmError")->getObject("properties")->has("error_id"));
        CPPUNIT_ASSERT(schemas->getObject("CloudError")->getObject("properties")->has("code"));
        CPPUNIT_ASSERT(schemas->getObject("CloudError")->getObject("properties")->has("message"));
    }

    void testEmptyRouter()
    {
        Router empty;
        const auto doc = document(empty);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), doc->getObject("paths")->size());
    }

    void testPathParameters()
    {
        const auto op = operation(document(_router), "/jobs/{job_id}/files/{name}", "get");
        const auto parameters = op->getArray("parameters");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), parameters->size());
        CPPUNIT_ASSERT_EQUAL(std::string("job_id"),
                             parameters->getObject(0)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("name"),
                             parameters->getObject(1)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("path"),
                             parameters->getObject(0)->getValue<std::string>("in"));
        CPPUNIT_ASSERT(parameters->getObject(0)->getValue<bool>("required"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("string"),
            parameters->getObject(0)->getObject("schema")->getValue<std::string>("type"));
        CPPUNIT_ASSERT(!operation(document(_router), "/prompt", "post")->has("parameters"));
    }

    void testRestParameterPath()
    {
        const auto doc = document(_router);
        CPPUNIT_ASSERT(!doc->getObject("paths")->has("/userdata/{path...}"));
        const auto op = operation(doc, "/userdata/{path}", "get");
        CPPUNIT_ASSERT_EQUAL(
            std::string("path"),
            op->getArray("parameters")->getObject(0)->getValue<std::string>("name"));
    }

    void testTwinAndAliasListed()
    {
        const auto doc = document(_router);
        CPPUNIT_ASSERT_EQUAL(
            std::string("Queue a prompt"),
            operation(doc, "/api/prompt", "post")->getValue<std::string>("summary"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Swarm login"),
            operation(doc, "/API/GetNewSession", "post")->getValue<std::string>("summary"));
        // Operation ids stay unique across the twin.
        CPPUNIT_ASSERT(
            operation(doc, "/api/prompt", "post")->getValue<std::string>("operationId") !=
            operation(doc, "/prompt", "post")->getValue<std::string>("operationId"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), doc->getObject("paths")->size());
    }

    void testMethodsShareAPathItem()
    {
        const auto item = document(_router)->getObject("paths")->getObject("/prompt");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), item->size());
        CPPUNIT_ASSERT_EQUAL(std::string("Queue state"),
                             item->getObject("get")->getValue<std::string>("summary"));
        CPPUNIT_ASSERT_EQUAL(std::string("Queue a prompt"),
                             item->getObject("post")->getValue<std::string>("summary"));
    }

    void testAccessAndSecurity()
    {
        const auto doc = document(_router);
        const auto open = operation(doc, "/API/Login", "post");
        CPPUNIT_ASSERT_EQUAL(std::string("public"), open->getValue<std::string>("x-access"));
        CPPUNIT_ASSERT(open->has("security"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), open->getArray("security")->size());

        const auto guarded = operation(doc, "/jobs/{job_id}/files/{name}", "get");
        CPPUNIT_ASSERT_EQUAL(std::string("permission"), guarded->getValue<std::string>("x-access"));
        CPPUNIT_ASSERT_EQUAL(std::string("can_download_models"),
                             guarded->getValue<std::string>("x-permission"));
        CPPUNIT_ASSERT(!guarded->has("security")); // the document's bearer requirement applies

        const auto authenticated = operation(doc, "/prompt", "post");
        CPPUNIT_ASSERT_EQUAL(std::string("authenticated"),
                             authenticated->getValue<std::string>("x-access"));
        CPPUNIT_ASSERT(!authenticated->has("x-permission"));
        CPPUNIT_ASSERT(!authenticated->has("security"));
    }

    void testErrorSchemaPerStyle()
    {
        const auto doc = document(_router);
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/Error"),
                             errorRef(operation(doc, "/prompt", "post")));
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/SwarmError"),
                             errorRef(operation(doc, "/API/Login", "post")));
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/CloudError"),
                             errorRef(operation(doc, "/api/assets/{id}", "get")));
        CPPUNIT_ASSERT(operation(doc, "/prompt", "post")->getObject("responses")->has("200"));
    }

    void testOwnerAndDescription()
    {
        const auto op = operation(document(_router), "/jobs/{job_id}/files/{name}", "get");
        CPPUNIT_ASSERT_EQUAL(std::string("A job file"), op->getValue<std::string>("summary"));
        CPPUNIT_ASSERT_EQUAL(std::string("model-download"), op->getValue<std::string>("x-module"));
        CPPUNIT_ASSERT_EQUAL(std::string("model-download"),
                             op->getArray("tags")->getElement<std::string>(0));
    }

private:
    Router _router;

    void testSwarmRoutesHaveARequestBody()
    {
        using namespace comfygate;
        Router router;
        bool open = true;
        ModuleRoutes routes(router, "auth", open);
        swarm::RouteInfo change;
        change.name = "ChangePassword";
        change.permission = "edit_user_settings";
        change.parameters = {swarm::Parameter::needed("oldPassword", swarm::ParamType::String, "the current one"),
                             swarm::Parameter::optional("count", swarm::ParamType::Int, "a number", 3),
                             swarm::Parameter::optional("rest", swarm::ParamType::Raw, "the body")};
        const swarm::Handler handler = [](swarm::Call&, HttpExchange&, const swarm::Emit&) { return swarm::success(); };
        swarm::addRoute(routes, change, handler);
        swarm::RouteInfo login;
        login.name = "Login";
        login.sessionless = true;
        swarm::addRoute(routes, login, handler);
        swarm::RouteInfo socket;
        socket.name = "WatchWS";
        socket.permission = "fundamental";
        socket.webSocket = true;
        swarm::addRoute(routes, socket, handler);

        const auto doc = document(router);
        const auto post = operation(doc, "/API/ChangePassword", "post");
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/SwarmError"), errorRef(post));
        const auto schema = post->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema");
        const auto properties = schema->getObject("properties");
        CPPUNIT_ASSERT(properties->has("session_id") && properties->has("oldPassword") && properties->has("count"));
        CPPUNIT_ASSERT(!properties->has("rest")); // a raw parameter is the whole body, not a member
        CPPUNIT_ASSERT_EQUAL(std::string("string"), properties->getObject("oldPassword")->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(3, properties->getObject("count")->getValue<int>("default"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), properties->getObject("count")->getArray("oneOf")->size()); // 5 or "5"
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), schema->getArray("required")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("oldPassword"), schema->getArray("required")->getElement<std::string>(0));

        const auto loginSchema = operation(doc, "/API/Login", "post")->getObject("requestBody")->getObject("content")
                                     ->getObject("application/json")->getObject("schema");
        CPPUNIT_ASSERT(!loginSchema->getObject("properties")->has("session_id"));
        CPPUNIT_ASSERT(!loginSchema->has("required"));
        const auto watch = operation(doc, "/API/WatchWS", "get");
        CPPUNIT_ASSERT(watch->getValue<bool>("x-websocket"));
        CPPUNIT_ASSERT(!watch->has("requestBody"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OpenApiBuilderTest);

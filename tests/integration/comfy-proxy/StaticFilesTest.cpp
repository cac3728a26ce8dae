// ComfyUI's web UI files through the real gateway (StaticFileRoutes, SignOutExtension): streamed
// from the fake ComfyUI's web root with its cache headers, 304s and HEAD, behind a credential.
#include "ComfyGateway.h"

#include <Poco/JSON/Parser.h>

using namespace comfygate::test;

class StaticFilesTest : public ComfyGatewayTest
{
    CPPUNIT_TEST_SUITE(StaticFilesTest);
    CPPUNIT_TEST(pagesAndAssetsComeWithComfysCacheHeaders);
    CPPUNIT_TEST(conditionalRequestsAreAnswered304);
    CPPUNIT_TEST(headSendsNoBody);
    CPPUNIT_TEST(filesNeedACredentialAndBrowsersAreSentToSignIn);
    CPPUNIT_TEST(onlyGetAndHeadAndNoClientIdentityUpstream);
    CPPUNIT_TEST(extensionListCarriesTheSignOutScript);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { startGateway(); }

    void pagesAndAssetsComeWithComfysCacheHeaders()
    {
        for (const std::string path : {"/", "/index.html"}) {
            auto page = _client->get(path, alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, page.status);
            CPPUNIT_ASSERT(page.body.find("/assets/index-fake.js") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(std::string("no-cache"), page.header("Cache-Control"));
            CPPUNIT_ASSERT(page.header("Content-Type").find("text/html") == 0);
        }
        auto asset = _client->get("/assets/index-fake.js", alice);
        CPPUNIT_ASSERT_EQUAL(200, asset.status);
        CPPUNIT_ASSERT(asset.header("Cache-Control").find("max-age=31536000") != std::string::npos);
        CPPUNIT_ASSERT(!asset.header("ETag").empty());
        CPPUNIT_ASSERT(!asset.header("Last-Modified").empty());
        for (const std::string path : {"/scripts/app.js", "/extensions/core/clipspace.js", "/templates/default.json",
                                       "/docs/SaveImage/en.md", "/user.css", "/favicon.ico"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, _client->get(path, alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/assets/missing.js", alice).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/not-a-frontend-file.js", alice).status);
    }

    void conditionalRequestsAreAnswered304()
    {
        const auto first = _client->get("/assets/index-fake.js", alice);
        Headers byTag = alice;
        byTag["If-None-Match"] = first.header("ETag");
        for (int i = 0; i < 2; ++i) { // the connection stays usable after a 304
            auto cached = _client->get("/assets/index-fake.js", byTag);
            CPPUNIT_ASSERT_EQUAL(304, cached.status);
            CPPUNIT_ASSERT(cached.body.empty());
            CPPUNIT_ASSERT_EQUAL(first.header("ETag"), cached.header("ETag"));
        }
        Headers byDate = alice;
        byDate["If-Modified-Since"] = first.header("Last-Modified");
        CPPUNIT_ASSERT_EQUAL(304, _client->get("/", byDate).status);
        byTag["If-None-Match"] = "\"another\"";
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/assets/index-fake.js", byTag).status);
    }

    void headSendsNoBody()
    {
        const auto full = _client->get("/assets/index-fake.js", alice);
        auto head = _client->request("HEAD", "/assets/index-fake.js", {}, alice);
        CPPUNIT_ASSERT_EQUAL(200, head.status);
        CPPUNIT_ASSERT(head.body.empty());
        CPPUNIT_ASSERT_EQUAL(std::to_string(full.body.size()), head.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::string("HEAD"), _comfy->requests().back().method);
    }

    void filesNeedACredentialAndBrowsersAreSentToSignIn()
    {
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/assets/index-fake.js").status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/").status);
        auto page = _client->get("/?workflow=a%2Fb&x=1", {{"Accept", "text/html,application/xhtml+xml"}});
        CPPUNIT_ASSERT_EQUAL(302, page.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/login?next=%2F%3Fworkflow%3Da%252Fb%26x%3D1"), page.header("Location"));
        CPPUNIT_ASSERT_EQUAL(std::string("/login?next=%2Fdocs%2FSaveImage%2Fen.md"),
                             _client->get("/docs/SaveImage/en.md", {{"Accept", "text/html"}}).header("Location"));
    }

    void onlyGetAndHeadAndNoClientIdentityUpstream()
    {
        CPPUNIT_ASSERT_EQUAL(405, _client->request("POST", "/", "{}", alice).status);
        CPPUNIT_ASSERT_EQUAL(405, _client->request("DELETE", "/assets/index-fake.js", {}, alice).status);
        Headers browser = alice;
        browser["Origin"] = "http://gateway.example";
        browser["comfy-user"] = "someone-else";
        browser["Cookie"] = "jwt_token=x";
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/index.html", browser).status);
        const auto forwarded = _comfy->requests().back();
        CPPUNIT_ASSERT_EQUAL(std::string("/index.html"), forwarded.uri);
        for (const std::string name : {"Origin", "comfy-user", "Cookie", "Authorization"})
            CPPUNIT_ASSERT_MESSAGE(name, !forwarded.hasHeader(name));
    }

    void extensionListCarriesTheSignOutScript()
    {
        for (const std::string path : {"/extensions", "/api/extensions"}) {
            auto list = _client->get(path, alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, list.status);
            auto scripts = Poco::JSON::Parser().parse(list.body).extract<Poco::JSON::Array::Ptr>();
            CPPUNIT_ASSERT_EQUAL(std::string("/extensions/core/clipspace.js"), scripts->getElement<std::string>(0));
            CPPUNIT_ASSERT_EQUAL(std::string("/extensions/comfygate/signout.js"),
                                 scripts->getElement<std::string>(static_cast<int>(scripts->size()) - 1));
        }
        auto script = _client->get("/extensions/comfygate/signout.js", alice);
        CPPUNIT_ASSERT_EQUAL(200, script.status);
        CPPUNIT_ASSERT(script.header("Content-Type").find("javascript") != std::string::npos);
        CPPUNIT_ASSERT(script.body.find("registerExtension") != std::string::npos);
        CPPUNIT_ASSERT(script.body.find("/logout") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/extensions/comfygate/signout.js").status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StaticFilesTest);

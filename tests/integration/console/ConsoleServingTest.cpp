// The web console's files over real HTTP from the real binary (kernel/src/console): the page
// for /console, /console/ and client-side routes, assets with their media types, ETag and 304,
// cache headers, HEAD, the security headers on every answer under /console (refusals too), and
// confinement: dot segments (plain and percent-encoded), hidden files and a symbolic link that
// points out of the directory never reveal a file outside it.
#include "ChildProcess.h"
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::TempDir;

namespace {

const std::string indexPage =
    "<!DOCTYPE html><title>console</title><script type=\"module\" src=\"/console/app.js\"></script>";
const std::string script = "export const answer = 42;\n";
const std::string secret = "the contents of a file outside the console directory";

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

class ConsoleServingTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConsoleServingTest);
    CPPUNIT_TEST(pageAtEveryEntryAndForClientRoutes);
    CPPUNIT_TEST(assetsWithTheirMediaTypesAndCacheHeaders);
    CPPUNIT_TEST(entityTagGivesNotModified);
    CPPUNIT_TEST(headAnswersWithoutBody);
    CPPUNIT_TEST(missingAssetIs404Json);
    CPPUNIT_TEST(otherMethodsAre405);
    CPPUNIT_TEST(dotSegmentsNeverLeaveTheDirectory);
    CPPUNIT_TEST(symbolicLinkOutOfTheDirectoryIsRefused);
    CPPUNIT_TEST(hiddenFilesAreNotServed);
    CPPUNIT_TEST(securityHeadersOnEveryConsoleAnswer);
    CPPUNIT_TEST(routesOutsideTheConsoleKeepTheirHeaders);
    CPPUNIT_TEST(missingInstallationSaysWhatToSet);
    CPPUNIT_TEST(shippedConsoleLoadsNothingFromElsewhere);
    CPPUNIT_TEST(curlKeepsOneConnectionThroughARefusedBody);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _www = std::make_unique<TempDir>();
        _www->write("console/index.html", indexPage);
        _www->write("console/app.js", script);
        _www->write("console/console.css", "body { color: black; }\n");
        _www->write("console/lang/console.de.json", "{\"code\":\"de\",\"keys\":{}}");
        _www->write("console/.hidden.js", "hidden");
        _www->write("secret.txt", secret);
        std::filesystem::create_symlink(_www->file("secret.txt"), _www->file("console/escape.js"));
        std::filesystem::create_symlink(_www->file("console/app.js"), _www->file("console/inside.js"));
        start(_www->path());
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
        _www.reset();
    }

    /// curl, a client nobody here wrote: three requests with --next on one keep-alive
    /// connection, the second a POST whose body the 405 refuses. The body must be drained (or
    /// the connection closed with Connection: close), never read as the next request.
    void curlKeepsOneConnectionThroughARefusedBody()
    {
        const std::string base = "http://127.0.0.1:" + std::to_string(_server->port());
        const std::string format = "%{http_code} %{num_connects}\\n";
        const auto curl = comfygate::test::runProgram({"/usr/bin/curl", "-sS", "--http1.1", "-o", "/dev/null", "-w", format,
                                      base + "/console/app.js", "--next", "-sS", "--http1.1", "-o", "/dev/null", "-w",
                                      format, "-X", "POST", "-H", "Content-Type: application/json", "--data",
                                      "{\"padding\":\"" + std::string(4096, 'x') + "\"}", base + "/console/app.js",
                                      "--next", "-sS", "--http1.1", "-o", "/dev/null", "-w", format,
                                      base + "/console/"},
                                     {}, std::chrono::seconds(30));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(curl.err, 0, curl.exitStatus);
        // One connection for all three: 1 connect, then 0 and 0.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(curl.out, std::string("200 1\n405 0\n200 0\n"), curl.out);
    }

    void pageAtEveryEntryAndForClientRoutes()
    {
        for (const std::string path :
             {"/console", "/console/", "/console/tokens", "/console/admin/users", "/console/downloads?job=1"}) {
            const auto page = _client->get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, page.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, indexPage, page.body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string("text/html; charset=utf-8"), page.header("content-type"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string("no-cache"), page.header("cache-control"));
        }
    }

    void assetsWithTheirMediaTypesAndCacheHeaders()
    {
        const auto js = _client->get("/console/app.js");
        CPPUNIT_ASSERT_EQUAL(200, js.status);
        CPPUNIT_ASSERT_EQUAL(script, js.body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/javascript; charset=utf-8"), js.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(std::string("max-age=300"), js.header("cache-control"));
        CPPUNIT_ASSERT_EQUAL(std::string("text/css; charset=utf-8"),
                             _client->get("/console/console.css").header("content-type"));
        const auto json = _client->get("/console/lang/console.de.json");
        CPPUNIT_ASSERT_EQUAL(200, json.status);
        CPPUNIT_ASSERT_EQUAL(std::string("application/json; charset=utf-8"), json.header("content-type"));
        // A link that stays inside the directory is an ordinary file.
        CPPUNIT_ASSERT_EQUAL(script, _client->get("/console/inside.js").body);
    }

    void entityTagGivesNotModified()
    {
        const auto first = _client->get("/console/app.js");
        const std::string etag = first.header("etag");
        CPPUNIT_ASSERT_MESSAGE(etag, std::regex_match(etag, std::regex("\"[0-9a-f]{32}\"")));
        const auto again = _client->get("/console/app.js", {{"If-None-Match", etag}});
        CPPUNIT_ASSERT_EQUAL(304, again.status);
        CPPUNIT_ASSERT(again.body.empty());
        CPPUNIT_ASSERT_EQUAL(etag, again.header("etag"));
        CPPUNIT_ASSERT_EQUAL(304, _client->get("/console/app.js", {{"If-None-Match", "\"x\", W/" + etag}}).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/console/app.js", {{"If-None-Match", "\"other\""}}).status);

        // An edited file gets a new tag, so the browser's copy is replaced.
        _www->write("console/app.js", "export const answer = 43;\n");
        const auto edited = _client->get("/console/app.js", {{"If-None-Match", etag}});
        CPPUNIT_ASSERT_EQUAL(200, edited.status);
        CPPUNIT_ASSERT(edited.header("etag") != etag);
    }

    void headAnswersWithoutBody()
    {
        const auto head = _client->request("HEAD", "/console/app.js");
        CPPUNIT_ASSERT_EQUAL(200, head.status);
        CPPUNIT_ASSERT(head.body.empty());
        CPPUNIT_ASSERT_EQUAL(std::to_string(script.size()), head.header("content-length"));
        CPPUNIT_ASSERT_EQUAL(_client->get("/console/app.js").header("etag"), head.header("etag"));
        CPPUNIT_ASSERT(!head.header("content-security-policy").empty());
    }

    void missingAssetIs404Json()
    {
        const auto missing = _client->get("/console/nothing-here.js");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no console file nothing-here.js"),
                             missing.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/console/lang/xx.json").status);
    }

    void otherMethodsAre405()
    {
        for (const std::string method : {"POST", "PUT", "DELETE", "PATCH"}) {
            const auto refused =
                _client->request(method, "/console/app.js", "{}", {{"Content-Type", "application/json"}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(method, 405, refused.status);
            CPPUNIT_ASSERT_MESSAGE(refused.header("allow"), refused.header("allow").find("GET") != std::string::npos);
            CPPUNIT_ASSERT(refused.json()->has("error"));
            CPPUNIT_ASSERT_EQUAL(
                405, _client->request(method, "/console/", "{}", {{"Content-Type", "application/json"}}).status);
        }
    }

    void dotSegmentsNeverLeaveTheDirectory()
    {
        for (const std::string path :
             {"/console/../secret.txt", "/console/%2e%2e/secret.txt", "/console/%2E%2E/secret.txt",
              "/console/lang/..%2F..%2Fsecret.txt", "/console/.%2e/secret.txt", "/console/%2e%2e%2fsecret.txt",
              "/console/..%5csecret.txt", "/console/./app.js"}) {
            const auto answer = _client->get(path);
            CPPUNIT_ASSERT_MESSAGE(path + " answered " + std::to_string(answer.status),
                                   answer.status == 400 || answer.status == 404);
            CPPUNIT_ASSERT_MESSAGE(path, answer.body.find(secret) == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(path, answer.json()->has("error"));
        }
    }

    void symbolicLinkOutOfTheDirectoryIsRefused()
    {
        const auto escape = _client->get("/console/escape.js");
        CPPUNIT_ASSERT_EQUAL(404, escape.status);
        CPPUNIT_ASSERT(escape.body.find(secret) == std::string::npos);
        // The same for a linked directory.
        std::filesystem::create_symlink(_www->path(), _www->file("console/up"));
        const auto through = _client->get("/console/up/secret.txt");
        CPPUNIT_ASSERT_EQUAL(404, through.status);
        CPPUNIT_ASSERT(through.body.find(secret) == std::string::npos);
    }

    void hiddenFilesAreNotServed() { CPPUNIT_ASSERT_EQUAL(404, _client->get("/console/.hidden.js").status); }

    void securityHeadersOnEveryConsoleAnswer()
    {
        std::vector<HttpResult> answers{_client->get("/console"),
                                        _client->get("/console/"),
                                        _client->get("/console/tokens"),
                                        _client->get("/console/app.js"),
                                        _client->get("/console/missing.js"),
                                        _client->get("/console/%2e%2e/secret.txt"),
                                        _client->request("POST", "/console/app.js", "{}"),
                                        _client->request("HEAD", "/console/")};
        answers.push_back(_client->get("/console/app.js", {{"If-None-Match", answers[3].header("etag")}}));
        for (const auto& answer : answers) {
            const std::string csp = answer.header("content-security-policy");
            const std::string where = std::to_string(answer.status) + " " + answer.body;
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("default-src 'self'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("script-src 'self';") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("frame-ancestors 'none'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("base-uri 'none'") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("unsafe-inline") == std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(where, csp.find("http") == std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(where, std::string("nosniff"), answer.header("x-content-type-options"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(where, std::string("no-referrer"), answer.header("referrer-policy"));
        }
    }

    void routesOutsideTheConsoleKeepTheirHeaders()
    {
        // /consoles and /healthz are not the console: no console policy is forced on them.
        CPPUNIT_ASSERT(_client->get("/healthz").header("content-security-policy").empty());
        CPPUNIT_ASSERT(_client->get("/consoles").header("content-security-policy").empty());
    }

    void missingInstallationSaysWhatToSet()
    {
        TempDir empty;
        start(empty.path());
        const auto page = _client->get("/console/");
        CPPUNIT_ASSERT_EQUAL(503, page.status);
        CPPUNIT_ASSERT(page.json()->getValue<std::string>("error").find("http.www_dir") != std::string::npos);
    }

    /// The shipped files (share/www/console): every script is a file of this origin (no inline
    /// script, which the CSP would block anyway) and no file names another origin to load from.
    void shippedConsoleLoadsNothingFromElsewhere()
    {
        start(COMFYGATE_SOURCE_DIR "/share/www");
        const auto page = _client->get("/console/");
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        const std::regex scriptTag("<script([^>]*)>([^<]*)</script>");
        int scripts = 0;
        for (std::sregex_iterator it(page.body.begin(), page.body.end(), scriptTag), end; it != end; ++it, ++scripts) {
            CPPUNIT_ASSERT_MESSAGE((*it)[0].str(), (*it)[1].str().find("src=\"/console/") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE((*it)[0].str(), (*it)[2].str().empty());
        }
        CPPUNIT_ASSERT(scripts >= 1);
        CPPUNIT_ASSERT(page.body.find(" style=") == std::string::npos);
        // Every shipped file is served, and none loads from another origin.
        const std::regex foreign("(src|href)=\"(https?:)?//|import[^;]*from\\s*\"(https?:)?//|url\\((https?:)?//");
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(COMFYGATE_SOURCE_DIR "/share/www/console")) {
            if (!entry.is_regular_file())
                continue;
            const std::string relative =
                std::filesystem::relative(entry.path(), COMFYGATE_SOURCE_DIR "/share/www/console").generic_string();
            const auto served = _client->get("/console/" + relative);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(relative, 200, served.status);
            CPPUNIT_ASSERT_MESSAGE(relative,
                                   served.body == readFile(entry.path().string()) || relative == "index.html");
            CPPUNIT_ASSERT_MESSAGE(relative + " loads from another origin", !std::regex_search(served.body, foreign));
        }
    }

private:
    void start(const std::string& wwwDir)
    {
        _client.reset();
        _server.reset();
        _server = std::make_unique<ServerProcess>(std::map<std::string, std::string>{
            {"modules.dir", COMFYGATE_TEST_MODULE_DIR}, {"modules.enabled", "fixture_auth"}, {"http.www_dir", wwwDir}});
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    std::unique_ptr<TempDir> _www;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleServingTest);

// SwarmUI's dispatcher (/API/<Name>) in the real binary, over real HTTP and WebSockets: the
// whole table of reference swarmui-basic-api.md §1.1-1.4, the generated docs, /openapi.json
// and the auth module's SwarmUI token routes. The fixture_swarm module adds an HTTP route
// (FixtureEcho) and a WebSocket route (FixtureProgressWS) under a permission guests lack.
#include "HttpTestClient.h"
#include "RawHttpConnection.h"
#include "ServerProcess.h"
#include "TestPaths.h"
#include "WebSocketTestClient.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <sstream>

using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::RawHttpConnection;
using comfygate::test::RawHttpResponse;
using comfygate::test::ServerProcess;
using comfygate::test::WebSocketFrame;
using comfygate::test::WebSocketTestClient;
using Headers = std::map<std::string, std::string>;

namespace {

const std::string ownerPassword = "correct horse battery staple";
const std::string guestPassword = "quiet-river-stone-1";
const std::string powerPassword = "maple-frost-42";

/// A JSON object of the given members (values already JSON text).
std::string body(std::initializer_list<std::pair<const char*, std::string>> members)
{
    std::string out = "{";
    for (const auto& [name, value] : members)
        out += (out.size() > 1 ? "," : "") + std::string("\"") + name + "\":" + value;
    return out + "}";
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

std::string errorId(const HttpResult& result) { return result.json()->optValue<std::string>("error_id", ""); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string post(const std::string& path, const std::string& contentType, const std::string& payload,
                 const std::string& extraHeaders = {})
{
    return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n" + extraHeaders + "\r\n" + payload;
}

} // namespace

class SwarmDispatcherTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SwarmDispatcherTest);
    CPPUNIT_TEST(namesAreCaseInsensitiveAndUnknownOnesAreBadRoutes);
    CPPUNIT_TEST(otherMethodsAreSentToNoGetApi);
    CPPUNIT_TEST(framingIsCheckedBeforeTheHandler);
    CPPUNIT_TEST(refusalsKeepTheConnectionOnlyWhenTheBodyWasRead);
    CPPUNIT_TEST(sessionsAndPermissionsAreTheDispatchers);
    CPPUNIT_TEST(parametersBindAndHandlersFailInSwarmUIsShapes);
    CPPUNIT_TEST(webSocketRoutesStreamTheirMessagesThenClose);
    CPPUNIT_TEST(webSocketRefusalsAreMessagesThenAClose);
    CPPUNIT_TEST(aSilentWebSocketIsClosedAfterTheConfiguredWait);
    CPPUNIT_TEST(theWrongTransportIsABadRequestMethod);
    CPPUNIT_TEST(docsAndOpenApiComeFromTheMetadata);
    CPPUNIT_TEST(authTokensAreListedCreatedAndRevoked);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server = std::make_unique<ServerProcess>(
            std::map<std::string, std::string>{{"modules.dir", COMFYGATE_MODULE_DIR "," COMFYGATE_TEST_MODULE_DIR},
                                               {"modules.enabled", "auth,fixture_swarm"},
                                               {"http.swarm_ws_first_message_seconds", "2"}},
            std::map<std::string, std::string>{{"SECRET_KEY", "swarm-dispatcher-test-secret-key-0123456789"}});
        addUser("owner", "owner", ownerPassword);
        addUser("gus", "guest", guestPassword);
        addUser("pat", "power", powerPassword);
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
        _owner = login("owner", ownerPassword);
        _ownerSession = newSession(_owner);
    }

    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void namesAreCaseInsensitiveAndUnknownOnesAreBadRoutes()
    {
        auto lower = _client->postJson("/API/getnewsession", "{}", bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(lower.body, 200, lower.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(40), lower.json()->getValue<std::string>("session_id").size());
        auto upper = _client->postJson("/API/FIXTUREECHO", body({{"session_id", quoted(_ownerSession)}, {"text", "\"x\""}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(upper.body, 200, upper.status);
        CPPUNIT_ASSERT_EQUAL(std::string("x"), upper.json()->getValue<std::string>("text"));

        for (const std::string path : {"/API/NoSuchRoute", "/API/", "/API/Fixture/Echo"}) {
            auto unknown = _client->postJson(path, body({{"session_id", quoted(_ownerSession)}}));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path + ": " + unknown.body, 400, unknown.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Unknown API route"), unknown.json()->getValue<std::string>("error"));
            CPPUNIT_ASSERT_EQUAL(std::string("bad_route"), errorId(unknown));
        }
        // ComfyUI's /api/ is another family: no SwarmUI dispatcher there.
        CPPUNIT_ASSERT_EQUAL(404, _client->postJson("/api/GetNewSession", "{}").status);
    }

    void otherMethodsAreSentToNoGetApi()
    {
        for (const std::string method : {"GET", "PUT", "DELETE", "HEAD"}) {
            for (const std::string path : {"/API/GetNewSession", "/API/NoSuchRoute"}) {
                auto redirected = _client->request(method, path);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(method + " " + path, 302, redirected.status);
                CPPUNIT_ASSERT_EQUAL(std::string("/Error/NoGetAPI"), redirected.header("Location"));
            }
        }
        auto options = _client->request("OPTIONS", "/API/GetNewSession");
        CPPUNIT_ASSERT_EQUAL(200, options.status);
        CPPUNIT_ASSERT(contains(options.header("Allow"), "POST"));

        auto page = _client->get("/Error/NoGetAPI");
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        CPPUNIT_ASSERT(contains(page.header("Content-Type"), "text/html"));
        CPPUNIT_ASSERT(contains(page.body, "POST") && contains(page.body, "JSON"));
    }

    void framingIsCheckedBeforeTheHandler()
    {
        const std::string call = body({{"session_id", quoted(_ownerSession)}, {"text", "\"x\""}});
        for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonx"}) {
            auto wrong = _client->request("POST", "/API/FixtureEcho", call, {{"Content-Type", type}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(type, 400, wrong.status);
            CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), errorId(wrong));
        }
        auto charset = _client->request("POST", "/API/FixtureEcho", call, {{"Content-Type", "Application/JSON; charset=utf-8"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(charset.body, 200, charset.status);

        for (const std::string payload : {"null", "[1,2]", "\"text\"", "42", "{not json", "{} {}"}) {
            auto notObject = _client->postJson("/API/FixtureEcho", payload, {{"X-Session-ID", _ownerSession}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(payload, 400, notObject.status);
            CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), errorId(notObject));
        }

        RawHttpConnection raw(_server->port());
        raw.write("POST /API/FixtureEcho HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\r\n");
        auto noLength = raw.read("POST");
        CPPUNIT_ASSERT_EQUAL(400, noLength.status);
        CPPUNIT_ASSERT(contains(noLength.body, "\"basic_api\""));
        raw.write(post("/API/FixtureEcho", "application/json", ""));
        auto zero = raw.read("POST");
        CPPUNIT_ASSERT_EQUAL(400, zero.status);
        CPPUNIT_ASSERT(contains(zero.body, "\"basic_api\""));
        raw.write("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n");
        CPPUNIT_ASSERT_EQUAL(200, raw.read().status);
    }

    void refusalsKeepTheConnectionOnlyWhenTheBodyWasRead()
    {
        // Read and refused: the connection carries the next request.
        RawHttpConnection kept(_server->port());
        kept.write(post("/API/FixtureEcho", "text/plain", std::string(2000, 'x')));
        auto wrongType = kept.read("POST");
        CPPUNIT_ASSERT_EQUAL(400, wrongType.status);
        CPPUNIT_ASSERT(!wrongType.closes());
        kept.write(post("/API/FixtureEcho", "application/json", "[\"" + std::string(3000, 'y') + "\"]"));
        CPPUNIT_ASSERT_EQUAL(400, kept.read("POST").status);
        kept.write(post("/API/FixtureEcho", "application/json", body({{"text", "\"x\""}})));
        auto noSession = kept.read("POST");
        CPPUNIT_ASSERT_EQUAL(400, noSession.status);
        CPPUNIT_ASSERT(!noSession.closes());
        kept.write(post("/API/FixtureEcho", "application/json",
                        body({{"session_id", quoted(_ownerSession)}, {"text", "\"again\""}})));
        auto served = kept.read("POST");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(served.body, 200, served.status);
        CPPUNIT_ASSERT(contains(served.body, "again"));

        // Too large for the route (1 MiB): 413 in SwarmUI's shape, unread, so the connection closes.
        RawHttpConnection oversized(_server->port());
        oversized.write("POST /API/FixtureEcho HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                        "Content-Length: 5000000\r\n\r\n{\"text\":\"");
        auto tooLarge = oversized.read("POST");
        CPPUNIT_ASSERT_EQUAL(413, tooLarge.status);
        CPPUNIT_ASSERT(tooLarge.closes());
        CPPUNIT_ASSERT(contains(tooLarge.body, "\"error_id\""));
        CPPUNIT_ASSERT(oversized.closedByServer());

        // Chunked: SwarmUI needs the length up front; refused unread, closed.
        RawHttpConnection chunked(_server->port());
        chunked.write("POST /API/FixtureEcho HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        auto refusedChunked = chunked.read("POST");
        CPPUNIT_ASSERT_EQUAL(400, refusedChunked.status);
        CPPUNIT_ASSERT(contains(refusedChunked.body, "\"basic_api\""));
        CPPUNIT_ASSERT(refusedChunked.closes());
        CPPUNIT_ASSERT(chunked.closedByServer());
    }

    void sessionsAndPermissionsAreTheDispatchers()
    {
        const std::string call = body({{"text", "\"x\""}});
        auto anonymous = _client->postJson("/API/FixtureEcho", call);
        CPPUNIT_ASSERT_EQUAL(400, anonymous.status);
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), errorId(anonymous));
        CPPUNIT_ASSERT(contains(anonymous.json()->getValue<std::string>("error"), "session_id"));

        auto unknown = _client->postJson("/API/FixtureEcho", body({{"session_id", quoted(std::string(40, 'a'))}, {"text", "\"x\""}}));
        CPPUNIT_ASSERT_EQUAL(401, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"), errorId(unknown));
        auto unknownHeader = _client->postJson("/API/FixtureEcho", call, {{"X-Session-ID", std::string(40, 'b')}});
        CPPUNIT_ASSERT_EQUAL(401, unknownHeader.status);

        const std::string guestSession = newSession(login("gus", guestPassword));
        auto lacking = _client->postJson("/API/FixtureEcho", body({{"session_id", quoted(guestSession)}, {"text", "\"x\""}}));
        CPPUNIT_ASSERT_EQUAL(400, lacking.status);
        CPPUNIT_ASSERT_EQUAL(std::string("You lack permissions for this route."), lacking.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("bad_permissions"), errorId(lacking));
        // The guest holds `fundamental` (SwarmUI's GUEST tier): Logout is theirs.
        auto logout = _client->postJson("/API/Logout", body({{"session_id", quoted(guestSession)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(logout.body, 200, logout.status);

        // A bearer token is a credential too; sessionless routes run without any.
        auto withToken = _client->postJson("/API/FixtureEcho", call, bearer(_owner));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(withToken.body, 200, withToken.status);
        auto sessionless = _client->postJson("/API/Login", body({{"username", "\"owner\""}, {"password", "\"wrong-password\""}}));
        CPPUNIT_ASSERT_EQUAL(401, sessionless.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_login"), errorId(sessionless));
    }

    void parametersBindAndHandlersFailInSwarmUIsShapes()
    {
        const std::string session = quoted(_ownerSession);
        auto bound = _client->postJson("/API/FixtureEcho", body({{"session_id", session}, {"text", "5"}, {"count", "\"12\""},
                                                                  {"flag", "\"true\""}, {"tags", "\"a, b\""}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bound.body, 200, bound.status);
        const auto answer = bound.json();
        CPPUNIT_ASSERT_EQUAL(std::string("5"), answer->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(12, answer->getValue<int>("count"));
        CPPUNIT_ASSERT_EQUAL(true, answer->getValue<bool>("flag"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), answer->getArray("tags")->size());
        CPPUNIT_ASSERT_EQUAL(1, answer->getValue<int>("progress")); // emitted messages fold into the reply
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), answer->getValue<std::string>("user"));

        auto missing = _client->postJson("/API/FixtureEcho", body({{"session_id", session}}));
        CPPUNIT_ASSERT_EQUAL(200, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'text'"), missing.json()->getValue<std::string>("error"));
        auto mistyped = _client->postJson("/API/FixtureEcho", body({{"session_id", session}, {"text", "\"x\""}, {"count", "\"many\""}}));
        CPPUNIT_ASSERT_EQUAL(200, mistyped.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'count': must be type int"),
                             mistyped.json()->getValue<std::string>("error"));

        const auto misbehave = [&](const std::string& mode) {
            return _client->postJson("/API/FixtureEcho", body({{"session_id", session}, {"text", "\"x\""}, {"mode", quoted(mode)}}));
        };
        auto refused = misbehave("refuse");
        CPPUNIT_ASSERT_EQUAL(200, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture refusal"), refused.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("fixture_refused"), errorId(refused));
        auto preset = misbehave("preset_fail");
        CPPUNIT_ASSERT_EQUAL(200, preset.status);
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."), preset.json()->getValue<std::string>("preset_fail"));
        auto thrown = misbehave("throw");
        CPPUNIT_ASSERT_EQUAL(400, thrown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("internal_error"), errorId(thrown));
        CPPUNIT_ASSERT(!contains(thrown.body, "exploded")); // no internals leak
        auto nothing = misbehave("nothing");
        CPPUNIT_ASSERT_EQUAL(400, nothing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no_result"), errorId(nothing));
    }

    void webSocketRoutesStreamTheirMessagesThenClose()
    {
        for (const std::string path : {"/API/FixtureProgressWS", "/API/fixtureprogressws"}) {
            WebSocketTestClient socket(_server->port(), path);
            socket.sendText(body({{"session_id", quoted(_ownerSession)}, {"text", "\"hi\""}, {"steps", "\"2\""}}));
            const auto frames = socket.drain(std::chrono::seconds(3));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::size_t(4), frames.size());
            CPPUNIT_ASSERT_EQUAL(1, frames[0].json()->getValue<int>("progress"));
            CPPUNIT_ASSERT_EQUAL(2, frames[1].json()->getValue<int>("progress"));
            CPPUNIT_ASSERT_EQUAL(true, frames[2].json()->getValue<bool>("success"));
            CPPUNIT_ASSERT_EQUAL(std::string("hi"), frames[2].json()->getValue<std::string>("text"));
            CPPUNIT_ASSERT_EQUAL(std::string("owner"), frames[2].json()->getValue<std::string>("user"));
            CPPUNIT_ASSERT(frames[3].isClose());
            CPPUNIT_ASSERT_EQUAL(1000, frames[3].closeCode());
        }
        // The session may come in X-Session-ID too; a handler's refusal is a message.
        WebSocketTestClient refused(_server->port(), "/API/FixtureProgressWS", {{"X-Session-ID", _ownerSession}});
        refused.sendText(body({{"text", "\"hi\""}, {"mode", "\"refuse\""}}));
        const auto frames = refused.drain(std::chrono::seconds(3));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), frames.size());
        CPPUNIT_ASSERT_EQUAL(std::string("fixture_refused"), frames[0].json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(frames[1].isClose());
        // So is a missing parameter, and a handler's exception.
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'text'"),
                             firstWebSocketMessage("/API/FixtureProgressWS", body({{"session_id", quoted(_ownerSession)}}))
                                 ->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("internal_error"),
                             firstWebSocketMessage("/API/FixtureProgressWS",
                                                   body({{"session_id", quoted(_ownerSession)}, {"text", "\"x\""}, {"mode", "\"throw\""}}))
                                 ->getValue<std::string>("error_id"));
    }

    void webSocketRefusalsAreMessagesThenAClose()
    {
        const auto refusalOf = [&](const std::string& path, const std::string& message) {
            return firstWebSocketMessage(path, message)->getValue<std::string>("error_id");
        };
        const std::string call = body({{"text", "\"hi\""}});
        CPPUNIT_ASSERT_EQUAL(std::string("bad_route"), refusalOf("/API/NoSuchRouteWS", call));
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), refusalOf("/API/FixtureProgressWS", call));
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), refusalOf("/API/FixtureProgressWS", "[1,2,3]"));
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"),
                             refusalOf("/API/FixtureProgressWS", body({{"session_id", quoted(std::string(40, 'c'))}, {"text", "\"hi\""}})));
        const std::string guestSession = newSession(login("gus", guestPassword));
        CPPUNIT_ASSERT_EQUAL(std::string("bad_permissions"),
                             refusalOf("/API/FixtureProgressWS", body({{"session_id", quoted(guestSession)}, {"text", "\"hi\""}})));
        CPPUNIT_ASSERT_EQUAL(std::string("payload_too_large"),
                             refusalOf("/API/FixtureProgressWS",
                                       body({{"session_id", quoted(_ownerSession)}, {"text", quoted(std::string(5000, 'z'))}})));
        // A cookie alone never authenticates a socket's call (browsers send it cross-site).
        auto cookieLogin = _client->postJson("/API/Login", body({{"username", "\"owner\""}, {"password", quoted(ownerPassword)}}));
        const std::string cookie = cookieLogin.header("Set-Cookie").substr(0, cookieLogin.header("Set-Cookie").find(';'));
        WebSocketTestClient withCookie(_server->port(), "/API/FixtureProgressWS", {{"Cookie", cookie}});
        withCookie.sendText(call);
        auto frame = withCookie.next(std::chrono::seconds(5));
        CPPUNIT_ASSERT(frame && frame->isText());
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), frame->json()->getValue<std::string>("error_id"));
    }

    void aSilentWebSocketIsClosedAfterTheConfiguredWait()
    {
        WebSocketTestClient socket(_server->port(), "/API/FixtureProgressWS");
        const auto started = std::chrono::steady_clock::now();
        const auto frames = socket.drain(std::chrono::seconds(5));
        const auto waited = std::chrono::steady_clock::now() - started;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), frames.size());
        CPPUNIT_ASSERT_EQUAL(std::string("basic_api"), frames[0].json()->getValue<std::string>("error_id"));
        CPPUNIT_ASSERT(frames[1].isClose());
        CPPUNIT_ASSERT(waited >= std::chrono::milliseconds(1500) && waited < std::chrono::seconds(5));
    }

    void theWrongTransportIsABadRequestMethod()
    {
        auto posted = _client->postJson("/API/FixtureProgressWS", body({{"session_id", quoted(_ownerSession)}, {"text", "\"x\""}}));
        CPPUNIT_ASSERT_EQUAL(400, posted.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bad_request_method"), errorId(posted));

        RawHttpConnection raw(_server->port());
        raw.write("GET /API/FixtureEcho HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        auto upgraded = raw.read();
        CPPUNIT_ASSERT_EQUAL(400, upgraded.status);
        CPPUNIT_ASSERT(contains(upgraded.body, "\"bad_request_method\""));
    }

    void docsAndOpenApiComeFromTheMetadata()
    {
        auto docs = _client->get("/API/docs");
        CPPUNIT_ASSERT_EQUAL(200, docs.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/markdown; charset=utf-8"), docs.header("Content-Type"));
        const std::string& text = docs.body;
        for (const std::string part :
             {"## Table of Contents", "- [BasicAPIFeatures](#basicapifeatures)", "    - [ChangePassword](#changepassword)",
              "## BasicAPIFeatures", "### ChangePassword", "#### HTTP route", "`edit_user_settings`",
              "| Name | Type | Description | Default |", "| oldPassword | string | the current password | **REQUIRED** |",
              "| newPassword | string | the new password | **REQUIRED** |", "This route is marked non-final",
              "```js\n{\"success\": true}\n```", "### FixtureProgressWS", "#### WebSocket route",
              "| steps | int | how many progress messages | `2` |", "| flag | bool | a switch | `false` |",
              "### ListMyAuthTokens", "`read_user_settings`"})
            CPPUNIT_ASSERT_MESSAGE(part + " is not in:\n" + text, contains(text, part));
        // The table of contents comes before every section.
        CPPUNIT_ASSERT(text.find("## Table of Contents") < text.find("## BasicAPIFeatures"));

        auto spec = _client->get("/openapi.json");
        CPPUNIT_ASSERT_EQUAL(200, spec.status);
        const auto paths = spec.json()->getObject("paths");
        const auto change = paths->getObject("/API/ChangePassword")->getObject("post");
        const auto schema = change->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema");
        const auto required = schema->getArray("required");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), required->size());
        CPPUNIT_ASSERT_EQUAL(std::string("oldPassword"), required->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::string("newPassword"), required->getElement<std::string>(1));
        CPPUNIT_ASSERT(schema->getObject("properties")->has("session_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("edit_user_settings"), change->getValue<std::string>("x-permission"));
        CPPUNIT_ASSERT_EQUAL(std::string("#/components/schemas/SwarmError"),
                             change->getObject("responses")->getObject("default")->getObject("content")
                                 ->getObject("application/json")->getObject("schema")->getValue<std::string>("$ref"));
        const auto login = paths->getObject("/API/Login")->getObject("post");
        CPPUNIT_ASSERT(!login->getObject("requestBody")->getObject("content")->getObject("application/json")
                            ->getObject("schema")->getObject("properties")->has("session_id"));
        CPPUNIT_ASSERT(paths->getObject("/API/FixtureProgressWS")->getObject("get")->getValue<bool>("x-websocket"));
    }

    void authTokensAreListedCreatedAndRevoked()
    {
        const std::string session = quoted(_ownerSession);
        auto created = _client->postJson("/API/CreateAuthToken", body({{"session_id", session}, {"reason", "\"ci runner\""}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 200, created.status);
        const std::string token = created.json()->getValue<std::string>("token");
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/api/tokens", bearer(token)).status);

        // A session made from the token sees it as its current one.
        const std::string tokenSession = newSession(token);
        auto listed = _client->postJson("/API/ListMyAuthTokens", body({{"session_id", quoted(tokenSession)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        const auto tokens = listed.json()->getArray("tokens");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), tokens->size());
        const auto item = tokens->getObject(0);
        const std::string id = item->getValue<std::string>("id");
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), id.size());
        CPPUNIT_ASSERT_EQUAL(std::string("ci runner"), item->getValue<std::string>("user_agent"));
        CPPUNIT_ASSERT(item->getValue<std::int64_t>("created") > 1700000000);
        CPPUNIT_ASSERT(item->has("last_active") && item->has("origin_address"));
        CPPUNIT_ASSERT_EQUAL(true, item->getValue<bool>("is_current"));
        auto fromOwner = _client->postJson("/API/ListMyAuthTokens", body({{"session_id", session}}));
        CPPUNIT_ASSERT_EQUAL(false, fromOwner.json()->getArray("tokens")->getObject(0)->getValue<bool>("is_current"));

        // Another user's token id is not found; neither is a prefix of one's own.
        const std::string patSession = newSession(login("pat", powerPassword));
        auto patToken = _client->postJson("/API/CreateAuthToken", body({{"session_id", quoted(patSession)}, {"reason", "\"pat's\""}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patToken.body, 200, patToken.status);
        const std::string patId = _client->postJson("/API/ListMyAuthTokens", body({{"session_id", quoted(patSession)}}))
                                      .json()->getArray("tokens")->getObject(0)->getValue<std::string>("id");
        for (const std::string& foreign : {patId, id.substr(0, 16), std::string("nonsense")}) {
            auto notFound = _client->postJson("/API/RevokeMyAuthToken", body({{"session_id", session}, {"tokenId", quoted(foreign)}}));
            CPPUNIT_ASSERT_EQUAL(200, notFound.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Token not found."), notFound.json()->getValue<std::string>("error"));
        }
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/mss-login/api/tokens", bearer(patToken.json()->getValue<std::string>("token"))).status);

        // Revoked: refused from the very next request, with the session made from it.
        auto revoked = _client->postJson("/API/RevokeMyAuthToken", body({{"session_id", session}, {"token_id", quoted(id)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(revoked.body, 200, revoked.status);
        CPPUNIT_ASSERT_EQUAL(true, revoked.json()->getValue<bool>("success"));
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/tokens", bearer(token)).status);
        auto deadSession = _client->postJson("/API/ListMyAuthTokens", body({{"session_id", quoted(tokenSession)}}));
        CPPUNIT_ASSERT_EQUAL(401, deadSession.status);
        CPPUNIT_ASSERT_EQUAL(std::string("invalid_session_id"), errorId(deadSession));
        auto again = _client->postJson("/API/RevokeMyAuthToken", body({{"session_id", session}, {"tokenId", quoted(id)}}));
        CPPUNIT_ASSERT_EQUAL(std::string("Token not found."), again.json()->getValue<std::string>("error"));

        // The reason is 1-500 characters; guests may not create tokens at all.
        for (const std::string& reason : {std::string(), std::string(501, 'r')}) {
            auto bad = _client->postJson("/API/CreateAuthToken", body({{"session_id", session}, {"reason", quoted(reason)}}));
            CPPUNIT_ASSERT_EQUAL(200, bad.status);
            CPPUNIT_ASSERT(bad.json()->has("error"));
        }
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/API/CreateAuthToken",
                                                    body({{"session_id", session}, {"reason", quoted(std::string(500, 'r'))}})).status);
        const std::string guestSession = newSession(login("gus", guestPassword));
        auto guest = _client->postJson("/API/CreateAuthToken", body({{"session_id", quoted(guestSession)}, {"reason", "\"x\""}}));
        CPPUNIT_ASSERT_EQUAL(400, guest.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bad_permissions"), errorId(guest));
    }

private:
    static Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

    void addUser(const std::string& name, const std::string& role, const std::string& password)
    {
        std::string out, err;
        const int status = _server->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err, password + "\n");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, status);
    }

    std::string login(const std::string& user, const std::string& password)
    {
        auto result = _client->postJson("/login", body({{"username", quoted(user)}, {"password", quoted(password)}}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("jwt_token");
    }

    std::string newSession(const std::string& token)
    {
        auto result = _client->postJson("/API/GetNewSession", "{}", bearer(token));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return result.json()->getValue<std::string>("session_id");
    }

    /// The first message a WebSocket call gets back; the socket must close right after it.
    Poco::JSON::Object::Ptr firstWebSocketMessage(const std::string& path, const std::string& message)
    {
        WebSocketTestClient socket(_server->port(), path);
        socket.sendText(message);
        const auto frames = socket.drain(std::chrono::seconds(3));
        CPPUNIT_ASSERT_MESSAGE(path + ": " + std::to_string(frames.size()) + " frames", frames.size() == 2);
        CPPUNIT_ASSERT(frames[0].isText());
        CPPUNIT_ASSERT(frames[1].isClose());
        return frames[0].json();
    }

    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
    std::string _owner;
    std::string _ownerSession;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SwarmDispatcherTest);

// The kernel's routes for the web console's admin pages, in the real binary over HTTP: the
// audit log search (filters, keyset paging, bad parameters, permission) on SQLite and
// PostgreSQL, and the policy files (listing, source, errors split into file and line).
#include "HttpTestClient.h"
#include "PostgresCluster.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/URI.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <thread>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Headers = std::map<std::string, std::string>;

namespace {

const Headers ada{{"Authorization", "Bearer fixture:ada:admin"}};
const Headers bob{{"Authorization", "Bearer fixture:bob:admin"}};
const Headers ann{{"Authorization", "Bearer fixture:ann:user"}};
const Headers olga{{"Authorization", "Bearer fixture:olga:owner"}};

const char* denyBad = "policy.on('fixture_hook', function(subject, request)\n"
                      "  if request.value == 'bad' then return false, 'bad values are refused' end\n"
                      "end)\n";

const char* allowAll = "policy.on('fixture_hook', function(subject, request) end)\n";
const char* broken = "policy.on('fixture_hook', function(subject, request)\n  return false,\n";

std::unique_ptr<comfygate::test::PostgresCluster>& cluster()
{
    static std::unique_ptr<comfygate::test::PostgresCluster> instance;
    return instance;
}

std::string query(const std::map<std::string, std::string>& parameters)
{
    std::string text;
    for (const auto& [name, value] : parameters) {
        std::string encoded;
        Poco::URI::encode(value, "&=+?#/:", encoded);
        text += (text.empty() ? "?" : "&") + name + "=" + encoded;
    }
    return text;
}

} // namespace

class ConsoleAdminRoutesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConsoleAdminRoutesTest);
    CPPUNIT_TEST(auditFiltersByActorActionAndTarget);
    CPPUNIT_TEST(auditPagesNewestFirstWithACursor);
    CPPUNIT_TEST(auditTimeRange);
    CPPUNIT_TEST(auditBadParametersAreNamed);
    CPPUNIT_TEST(auditNeedsThePermission);
    CPPUNIT_TEST(auditSearchOnPostgresql);
    CPPUNIT_TEST(policyFilesAndSources);
    CPPUNIT_TEST(policyErrorsCarryFileAndLine);
    CPPUNIT_TEST(policySourceIsConfinedToTheListing);
    CPPUNIT_TEST(policyEditReloadsOrPutsTheFileBack);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { start({}); }
    void tearDown() override
    {
        _client.reset();
        _server.reset();
    }

    void auditFiltersByActorActionAndTarget()
    {
        recordReloads();
        auto byBob = search({{"actor", "bob"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), byBob->size());
        for (std::size_t i = 0; i < byBob->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(std::string("bob"), byBob->getObject(i)->getValue<std::string>("actor"));

        // "policy.reload" is a prefix of "policy.reload_failed": both match it.
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), search({{"action", "policy.reload"}})->size());
        auto failed = search({{"action", "policy.reload_"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), failed->size());
        CPPUNIT_ASSERT_EQUAL(std::string("policy.reload_failed"),
                             failed->getObject(0)->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("ada"), failed->getObject(0)->getValue<std::string>("actor"));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), failed->getObject(0)->getValue<std::string>("client"));
        CPPUNIT_ASSERT(failed->getObject(0)->getObject("detail")->has("generation"));
        // LIKE wildcards in the filter are literal characters.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), search({{"action", "policy%"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), search({{"action", "policy_reload"}})->size());

        CPPUNIT_ASSERT_EQUAL(std::size_t(4), search({{"target", _scripts.path()}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), search({{"target", "elsewhere"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), search({{"actor", "ada"}, {"action", "policy.reload_failed"}})->size());
    }

    void auditPagesNewestFirstWithACursor()
    {
        recordReloads();
        std::vector<long long> ids;
        std::string cursor;
        int pages = 0;
        do {
            std::map<std::string, std::string> parameters{{"limit", "3"}, {"action", "policy."}};
            if (!cursor.empty())
                parameters["before"] = cursor;
            auto page = _client->get("/mss-login/api/admin/audit" + query(parameters), ada);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(page.body, 200, page.status);
            const auto body = page.json();
            const auto entries = body->getArray("entries");
            CPPUNIT_ASSERT(entries->size() <= 3);
            for (std::size_t i = 0; i < entries->size(); ++i)
                ids.push_back(entries->getObject(i)->getValue<long long>("id"));
            cursor = body->isNull("next") ? "" : body->getValue<std::string>("next");
            ++pages;
        } while (!cursor.empty() && pages < 10);
        CPPUNIT_ASSERT_EQUAL(2, pages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), ids.size());
        for (std::size_t i = 1; i < ids.size(); ++i)
            CPPUNIT_ASSERT(ids[i] < ids[i - 1]);
    }

    void auditTimeRange()
    {
        recordReloads();
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), search({{"action", "policy."}, {"since", "2020-01-01"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             search({{"action", "policy."}, {"since", "2999-01-01T00:00:00Z"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             search({{"action", "policy."}, {"until", "2020-01-01T00:00:00+02:00"}})->size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(4),
            search({{"action", "policy."}, {"since", "2020-01-01T00:00"}, {"until", "2999-12-31"}})->size());
    }

    void auditBadParametersAreNamed()
    {
        const std::vector<std::pair<std::string, std::string>> bad{
            {"since", "yesterday"}, {"until", "2026-13-45"},         {"limit", "0"}, {"limit", "201"}, {"limit", "ten"},
            {"before", "-4"},       {"actor", std::string(201, 'a')}};
        for (const auto& [name, value] : bad) {
            auto answer = _client->get("/mss-login/api/admin/audit" + query({{name, value}}), ada);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name + "=" + value, 400, answer.status);
            CPPUNIT_ASSERT_EQUAL(name, answer.json()->getValue<std::string>("parameter"));
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), answer.json()->getValue<std::string>("error").find(name + ": "));
        }
        auto reversed =
            _client->get("/mss-login/api/admin/audit" + query({{"since", "2026-02-01"}, {"until", "2026-01-01"}}), ada);
        CPPUNIT_ASSERT_EQUAL(400, reversed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("until"), reversed.json()->getValue<std::string>("parameter"));
    }

    void auditNeedsThePermission()
    {
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/admin/audit").status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/admin/audit", ann).status);
        // The API twin answers the same.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/api/mss-login/api/admin/audit", ada).status);
    }

    void auditSearchOnPostgresql()
    {
        if (!cluster()) {
            if (comfygate::test::PostgresCluster::binDir().empty())
                throw std::runtime_error("PostgreSQL binaries (initdb, pg_ctl) not found: install postgresql");
            cluster() = std::make_unique<comfygate::test::PostgresCluster>();
        }
        cluster()->createDatabase("console_audit");
        start(cluster()->gatewaySettings("console_audit"));
        recordReloads();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), search({{"actor", "bob"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), search({{"action", "policy.reload_"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), search({{"action", "policy%"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4),
                             search({{"action", "policy."}, {"since", "2020-01-01"}, {"until", "2999-01-01"}})->size());
        auto first =
            _client->get("/mss-login/api/admin/audit" + query({{"limit", "3"}, {"action", "policy."}}), ada).json();
        const auto rest = search({{"action", "policy."}, {"before", first->getValue<std::string>("next")}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rest->size());
    }

    void policyFilesAndSources()
    {
        auto overview = _client->get("/mss-login/api/admin/policies", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(overview.body, 200, overview.status);
        const auto files = overview.json()->getArray("files");
        bool fixture = false;
        for (std::size_t i = 0; i < files->size(); ++i) {
            const auto file = files->getObject(i);
            if (file->getValue<std::string>("name") != "fixture.lua")
                continue;
            fixture = true;
            CPPUNIT_ASSERT_EQUAL(static_cast<long long>(std::string(allowAll).size()),
                                 file->getValue<long long>("size"));
            CPPUNIT_ASSERT(file->getValue<std::string>("modified").size() >= 20);
        }
        CPPUNIT_ASSERT(fixture);
        CPPUNIT_ASSERT(overview.json()->getObject("last_reload")->getValue<bool>("ok"));

        auto source = _client->get("/mss-login/api/admin/policies/source?file=fixture.lua", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(source.body, 200, source.status);
        CPPUNIT_ASSERT_EQUAL(std::string(allowAll), source.json()->getValue<std::string>("source"));
        CPPUNIT_ASSERT(source.json()->getValue<bool>("active"));
        auto library = _client->get("/mss-login/api/admin/policies/source?file=lib/helper.lua", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(library.body, 200, library.status);
        CPPUNIT_ASSERT(library.json()->getValue<bool>("active"));
        writeScript(broken);
        auto changed = _client->get("/mss-login/api/admin/policies/source?file=fixture.lua", ada);
        CPPUNIT_ASSERT_EQUAL(std::string(broken), changed.json()->getValue<std::string>("source"));
        CPPUNIT_ASSERT(!changed.json()->getValue<bool>("active")); // on disk, not yet running
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/admin/policies/source?file=fixture.lua", ann).status);
    }

    void policyErrorsCarryFileAndLine()
    {
        writeScript(broken);
        CPPUNIT_ASSERT_EQUAL(422, _client->request("POST", "/mss-login/api/admin/policies/reload", "", ada).status);
        const auto last = _client->get("/mss-login/api/admin/policies", ada).json()->getObject("last_reload");
        CPPUNIT_ASSERT(!last->getValue<bool>("ok"));
        const auto problem = last->getArray("problems")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture.lua"), problem->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(3, problem->getValue<int>("line"));
        CPPUNIT_ASSERT(!problem->getValue<std::string>("message").empty());
        CPPUNIT_ASSERT(last->getArray("errors")->getElement<std::string>(0).find("fixture.lua:3:") == 0);
    }

    void policySourceIsConfinedToTheListing()
    {
        _outside.write("secret.lua", "return 'outside'\n");
        for (const std::string& name :
             std::vector<std::string>{"../secret.lua", "/etc/passwd", "lib/../../secret.lua", "missing.lua",
                                      _outside.file("secret.lua"), "fixture.lua/", "lib"}) {
            auto answer = _client->get("/mss-login/api/admin/policies/source" + query({{"file", name}}), ada);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, 404, answer.status);
            CPPUNIT_ASSERT(answer.body.find("outside") == std::string::npos);
        }
        auto missing = _client->get("/mss-login/api/admin/policies/source", ada);
        CPPUNIT_ASSERT_EQUAL(400, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("file"), missing.json()->getValue<std::string>("parameter"));
    }

    void policyEditReloadsOrPutsTheFileBack()
    {
        const std::string route = "/mss-login/api/admin/policies/source?file=fixture.lua";
        const auto put = [&](const std::string& text, const Headers& who) {
            Poco::JSON::Object body;
            body.set("source", text);
            std::ostringstream json;
            body.stringify(json);
            Headers headers = who;
            headers["Content-Type"] = "application/json";
            return _client->request("PUT", route, json.str(), headers);
        };
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=bad").status);
        CPPUNIT_ASSERT_EQUAL(403, put(denyBad, ada).status); // can_edit_policies is the owner's by default

        auto edited = put(denyBad, olga);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(edited.body, 200, edited.status);
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/fixture/hooked?value=bad").status);

        auto failed = put(broken, olga);
        CPPUNIT_ASSERT_EQUAL(422, failed.status);
        const auto problem = failed.json()->getArray("problems")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("fixture.lua"), problem->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(3, problem->getValue<int>("line"));
        // The file went back to what runs, and what runs is still the edited policy.
        const auto source = _client->get(route, olga).json();
        CPPUNIT_ASSERT_EQUAL(std::string(denyBad), source->getValue<std::string>("source"));
        CPPUNIT_ASSERT(source->getValue<bool>("active"));
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/fixture/hooked?value=bad").status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/fixture/hooked?value=ok").status);

        CPPUNIT_ASSERT_EQUAL(
            404,
            _client->request("PUT", "/mss-login/api/admin/policies/source?file=../x.lua", "{\"source\":\"\"}", olga)
                .status);
        auto noSource = _client->request("PUT", route, "{}", olga);
        CPPUNIT_ASSERT_EQUAL(400, noSource.status);
        CPPUNIT_ASSERT_EQUAL(std::string("source"), noSource.json()->getValue<std::string>("parameter"));
        CPPUNIT_ASSERT_EQUAL(
            400, _client->request("PUT", "/mss-login/api/admin/policies/source", "{\"source\":\"\"}", olga).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), search({{"actor", "olga"}, {"action", "policy.edit_failed"}})->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), search({{"actor", "olga"}, {"action", "policy.edit"}})->size());
    }

private:
    /// Four policy.* audit entries: ada reloads twice (the second with a broken script, so
    /// it fails), bob twice.
    void recordReloads()
    {
        const auto reload = [&](const Headers& who) {
            return _client->request("POST", "/mss-login/api/admin/policies/reload", "", who).status;
        };
        CPPUNIT_ASSERT_EQUAL(200, reload(ada));
        CPPUNIT_ASSERT_EQUAL(200, reload(bob));
        CPPUNIT_ASSERT_EQUAL(200, reload(bob));
        writeScript(broken);
        CPPUNIT_ASSERT_EQUAL(422, reload(ada));
        writeScript(allowAll);
    }

    Poco::JSON::Array::Ptr search(const std::map<std::string, std::string>& parameters)
    {
        auto answer = _client->get("/mss-login/api/admin/audit" + query(parameters), ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json()->getArray("entries");
    }

    void start(std::map<std::string, std::string> extra)
    {
        _client.reset();
        _server.reset();
        _scripts.write("fixture.lua", allowAll);
        Poco::File(_scripts.file("lib")).createDirectories();
        _scripts.write("lib/helper.lua", "return { answer = 42 }\n");
        std::map<std::string, std::string> settings{{"modules.dir", COMFYGATE_TEST_MODULE_DIR},
                                                    {"modules.enabled", "fixture,fixture_auth"},
                                                    {"policy.dir", _scripts.path()},
                                                    {"policy.watch_seconds", "0"}};
        for (auto& [key, value] : extra)
            settings[key] = value;
        _server = std::make_unique<ServerProcess>(settings);
        _server->start();
        _client = std::make_unique<HttpTestClient>(_server->port());
    }

    void writeScript(const std::string& text)
    {
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a later mtime on coarse file systems
        _scripts.write("fixture.lua", text);
    }

    comfygate::test::TempDir _scripts;
    comfygate::test::TempDir _outside;
    std::unique_ptr<ServerProcess> _server;
    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleAdminRoutesTest);

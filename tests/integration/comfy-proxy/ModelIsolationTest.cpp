// Model isolation and sharing through the real binary, the real auth module and the fake
// ComfyUI: users see and use only the models shared with them (directly, through their role
// or group, or by a glob); the owner and admins see everything; shared-items is the owner's
// (or a flagged admin's) and answers in MSS-Login's shapes.
#include "FakeComfyUI.h"
#include "TestPaths.h"
#include "HttpTestClient.h"
#include "PooledDatabase.h"
#include "ServerProcess.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <set>
#include <thread>

using comfygate::fakes::FakeComfyUI;
using comfygate::test::HttpResult;
using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using Headers = std::map<std::string, std::string>;

namespace CppUnit {
template <> struct assertion_traits<std::set<std::string>>
{
    static bool equal(const std::set<std::string>& a, const std::set<std::string>& b) { return a == b; }
    static std::string toString(const std::set<std::string>& names)
    {
        std::string text;
        for (const auto& name : names)
            text += (text.empty() ? "" : ", ") + name;
        return "{" + text + "}";
    }
};
} // namespace CppUnit

namespace {

/// A safetensors file that holds only a header (8-byte little-endian length, then JSON).
std::string safetensors(const std::string& header)
{
    std::string bytes;
    for (int i = 0; i < 8; ++i)
        bytes += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return bytes + header;
}

/// One fake ComfyUI and one gateway for the whole suite (creating accounts hashes passwords,
/// which is the slow part); each test uses its own users or items so they stay independent.
struct Environment
{
    comfygate::test::TempDir root;
    std::unique_ptr<FakeComfyUI> comfy;
    std::unique_ptr<ServerProcess> server;
    std::map<std::string, Headers> tokens; ///< username → Authorization header

    Environment()
    {
        comfy = std::make_unique<FakeComfyUI>(root.path());
        for (const char* name :
             {"sd15.safetensors", "secret.safetensors", "sdxl/base.safetensors", "sdxl/refiner.safetensors"})
            comfy->addModel("checkpoints", name);
        comfy->addModel("checkpoints", "sdxl/base.webp", "RIFF base preview");
        comfy->addModel("checkpoints", "secret.webp", "RIFF secret preview");
        comfy->addModel("loras", "style.safetensors");
        comfy->addModel("loras", "other.safetensors");
        comfy->addModel("vae", "meta.safetensors", safetensors(R"({"__metadata__":{"trained_by":"olga"}})"));
        comfy->addModel("embeddings", "good.pt");
        comfy->addModel("embeddings", "bad.safetensors");
        comfy->setExecutionTime(std::chrono::milliseconds(20));
        comfy->start();
        server =
            std::make_unique<ServerProcess>(Headers{{"modules.dir", COMFYGATE_MODULE_DIR},
                                                    {"modules.enabled", "comfy-proxy,auth"},
                                                    {"comfy.url", comfy->url()},
                                                    {"comfy.multi_user", "true"},
                                                    {"comfy.model_list_ttl_seconds", "1"},
                                                    {"experimental.model_isolation", "true"}},
                                            Headers{{"SECRET_KEY", "model-isolation-test-secret-0123456789abcdef"}});
        const std::vector<std::pair<std::string, std::string>> accounts{
            {"olga", "owner"}, {"ada", "admin"}, {"alice", "user"}, {"bob", "user"},  {"pat", "power"},
            {"gina", "user"},  {"carl", "user"}, {"dora", "user"},  {"erin", "user"}, {"fay", "user"}};
        for (const auto& [name, role] : accounts) {
            std::string out, err;
            if (server->runCommand({"user", "add", name, "--role", role, "--password-stdin"}, out, err,
                                   "orbit lantern cobalt 8\n") != 0)
                throw std::runtime_error("user add " + name + ": " + err);
        }
        server->start();
        // Session JWTs from POST /login: plain users may not hold API tokens.
        HttpTestClient client(server->port());
        for (const auto& [name, role] : accounts) {
            auto login =
                client.postJson("/login", R"({"username":")" + name + R"(","password":"orbit lantern cobalt 8"})");
            if (login.status != 200)
                throw std::runtime_error("login " + name + ": " + login.body);
            tokens[name] = {{"Authorization", "Bearer " + login.json()->getValue<std::string>("jwt_token")}};
        }
    }
};

Environment& environment()
{
    static Environment shared;
    return shared;
}

std::string checkpointGraph(const std::string& checkpoint, const std::string& text = "a red fox")
{
    return R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":")" + checkpoint +
           R"("}},)"
           R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},)"
           R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":")" +
           text +
           R"(","clip":["4",1]}},)"
           R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"","clip":["4",1]}},)"
           R"("3":{"class_type":"KSampler","inputs":{"seed":1,"steps":4,"cfg":7.5,"sampler_name":"euler",)"
           R"("scheduler":"normal","denoise":1,"model":["4",0],"positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
           R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
           R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"iso","images":["8",0]}}})";
}

std::set<std::string> names(const HttpResult& result)
{
    std::set<std::string> out;
    const auto array = Poco::JSON::Parser().parse(result.body).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < array->size(); ++i)
        out.insert(array->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
}

Poco::JSON::Array::Ptr array(const HttpResult& result)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
    return Poco::JSON::Parser().parse(result.body).extract<Poco::JSON::Array::Ptr>();
}

std::string item(const std::string& folder, const std::string& name)
{
    return R"({"folder":")" + folder + R"(","item_name":")" + name + R"("})";
}

} // namespace

class ModelIsolationTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ModelIsolationTest);
    CPPUNIT_TEST(usersSeeOnlyGrantedModelsAdminsSeeAll);
    CPPUNIT_TEST(grantThroughSharedItemsMakesTheModelVisible);
    CPPUNIT_TEST(groupGrantReachesTheRole);
    CPPUNIT_TEST(globGrantCoversASubfolder);
    CPPUNIT_TEST(deleteRevokesAtOnce);
    CPPUNIT_TEST(ungrantedModelInAnUnknownNodeIsRefused);
    CPPUNIT_TEST(grantedModelRuns);
    CPPUNIT_TEST(embeddingsAreFilteredAndChecked);
    CPPUNIT_TEST(objectInfoCombosAreFiltered);
    CPPUNIT_TEST(metadataOnlyOfSharedModels);
    CPPUNIT_TEST(modelLibraryHidesPathsAndUnsharedModels);
    CPPUNIT_TEST(onlyOwnerOrFlaggedAdminManagesSharing);
    CPPUNIT_TEST(badBodiesAre400);
    CPPUNIT_TEST(unknownUserIs404);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _client = std::make_unique<HttpTestClient>(environment().server->port()); }

    void usersSeeOnlyGrantedModelsAdminsSeeAll()
    {
        CPPUNIT_ASSERT(names(get("/models/checkpoints", "erin")).empty());
        CPPUNIT_ASSERT(names(get("/api/models/loras", "erin")).empty());
        CPPUNIT_ASSERT(names(get("/embeddings", "erin")).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), names(get("/models/checkpoints", "ada")).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), names(get("/models/checkpoints", "olga")).size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), names(get("/embeddings", "ada")).size());
        // The folder list stays whole; an unknown folder is ComfyUI's 404.
        CPPUNIT_ASSERT(names(get("/models", "erin")).count("checkpoints"));
        CPPUNIT_ASSERT_EQUAL(404, get("/models/no_such_folder", "erin").status);
    }

    void grantThroughSharedItemsMakesTheModelVisible()
    {
        auto granted =
            share("olga", "/mss-login/api/users/alice/shared-items", item("checkpoints", "sd15.safetensors"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(granted.body, 200, granted.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), granted.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::set<std::string>{"sd15.safetensors"}, names(get("/models/checkpoints", "alice")));
        CPPUNIT_ASSERT_EQUAL(std::set<std::string>{"sd15.safetensors"}, names(get("/api/models/checkpoints", "alice")));
        auto listed = get("/mss-login/api/users/alice/shared-items", "olga").json();
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), listed->getValue<std::string>("username"));
        const auto first = listed->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), first->getValue<std::string>("folder"));
        CPPUNIT_ASSERT_EQUAL(std::string("sd15.safetensors"), first->getValue<std::string>("item_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("local"), first->getValue<std::string>("source_backend"));
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), first->getValue<std::string>("granted_by_role"));
        CPPUNIT_ASSERT(!first->getValue<std::string>("granted_by_user_id").empty());
        CPPUNIT_ASSERT(!first->getValue<std::string>("created_at").empty());
        CPPUNIT_ASSERT(first->isNull("expires_at"));
        // The MSS-Login alias answers the same.
        CPPUNIT_ASSERT_EQUAL(200, get("/api/mss-login/api/users/alice/shared-items", "olga").status);
    }

    void groupGrantReachesTheRole()
    {
        auto granted = share("olga", "/mss-login/api/groups/power/shared-items", item("loras", "style.safetensors"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(granted.body, 200, granted.status);
        CPPUNIT_ASSERT_EQUAL(std::set<std::string>{"style.safetensors"}, names(get("/models/loras", "pat")));
        CPPUNIT_ASSERT(names(get("/models/loras", "gina")).empty());
        auto listed = get("/mss-login/api/groups/power/shared-items", "olga").json();
        CPPUNIT_ASSERT_EQUAL(std::string("power"), listed->getValue<std::string>("group"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listed->getArray("items")->size());
    }

    void globGrantCoversASubfolder()
    {
        CPPUNIT_ASSERT_EQUAL(
            200, share("olga", "/mss-login/api/users/bob/shared-items", item("checkpoints", "sdxl/*")).status);
        CPPUNIT_ASSERT_EQUAL((std::set<std::string>{"sdxl/base.safetensors", "sdxl/refiner.safetensors"}),
                             names(get("/models/checkpoints", "bob")));
    }

    void deleteRevokesAtOnce()
    {
        const std::string path = "/mss-login/api/users/gina/shared-items";
        CPPUNIT_ASSERT_EQUAL(200, share("olga", path, item("loras", "other.safetensors")).status);
        CPPUNIT_ASSERT_EQUAL(std::set<std::string>{"other.safetensors"}, names(get("/models/loras", "gina")));
        auto removed = request("DELETE", path, item("loras", "other.safetensors"), "olga");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(removed.body, 200, removed.status);
        CPPUNIT_ASSERT(names(get("/models/loras", "gina")).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), get(path, "olga").json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(404, request("DELETE", path, item("loras", "other.safetensors"), "olga").status);
        // Both changes are in the audit log, with who made them.
        comfygate::DatabaseSettings settings;
        settings.sqlitePath = environment().server->dataDir() + "/comfygate.db";
        comfygate::PooledDatabase database(settings);
        database.open();
        std::vector<std::string> actions;
        Poco::Data::Session session = database.session();
        using namespace Poco::Data::Keywords;
        session << "SELECT action FROM audit_log WHERE actor = 'olga' AND target = 'user:gina' ORDER BY id",
            into(actions), now;
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), actions.size());
        CPPUNIT_ASSERT_EQUAL(std::string("model_grant.add"), actions[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("model_grant.remove"), actions[1]);
    }

    void ungrantedModelInAnUnknownNodeIsRefused()
    {
        environment().comfy->clearRequests();
        // A node class the gateway has never heard of, with the model in a nested list.
        const std::string custom = R"({"prompt":{"1":{"class_type":"SomeoneElsesFancyLoader",)"
                                   R"("inputs":{"models":[{"path":"secret.safetensors","weight":1}]}}}})";
        auto refused = _client->postJson("/prompt", custom, environment().tokens["dora"]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 403, refused.status);
        const auto body = refused.json();
        CPPUNIT_ASSERT_EQUAL(std::string("MODEL_NOT_ALLOWED"), body->getValue<std::string>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), body->getValue<std::string>("folder"));
        CPPUNIT_ASSERT_EQUAL(std::string("secret.safetensors"), body->getValue<std::string>("item_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"), body->getValue<std::string>("node_id"));
        CPPUNIT_ASSERT(body->has("error"));
        // The usual loader, through the /api twin, is refused too; ComfyUI never saw either.
        auto usual = _client->postJson("/api/prompt", "{\"prompt\":" + checkpointGraph("secret.safetensors") + "}",
                                       environment().tokens["dora"]);
        CPPUNIT_ASSERT_EQUAL(403, usual.status);
        for (const auto& recorded : environment().comfy->requests())
            CPPUNIT_ASSERT(recorded.method != "POST" || recorded.uri.find("prompt") == std::string::npos);
        // An admin is not limited: the prompt reaches ComfyUI.
        auto admin = _client->postJson("/prompt", "{\"prompt\":" + checkpointGraph("secret.safetensors") + "}",
                                       environment().tokens["ada"]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(admin.body, 200, admin.status);
    }

    void grantedModelRuns()
    {
        CPPUNIT_ASSERT_EQUAL(
            200,
            share("olga", "/mss-login/api/users/dora/shared-items", item("checkpoints", "sd15.safetensors")).status);
        auto accepted = _client->postJson("/prompt", "{\"prompt\":" + checkpointGraph("sd15.safetensors") + "}",
                                          environment().tokens["dora"]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(accepted.body, 200, accepted.status);
        const std::string id = accepted.json()->getValue<std::string>("prompt_id");
        for (int i = 0; i < 200; ++i) {
            auto history = get("/history/" + id, "dora").json();
            if (history->has(id) && history->getObject(id)->getObject("status")->optValue<bool>("completed", false))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        CPPUNIT_FAIL("the granted prompt did not run");
    }

    void embeddingsAreFilteredAndChecked()
    {
        CPPUNIT_ASSERT_EQUAL(
            200,
            share("olga", "/mss-login/api/users/carl/shared-items", item("checkpoints", "sd15.safetensors")).status);
        CPPUNIT_ASSERT_EQUAL(
            200, share("olga", "/mss-login/api/users/carl/shared-items", item("embeddings", "good.pt")).status);
        CPPUNIT_ASSERT_EQUAL(std::set<std::string>{"good"}, names(get("/embeddings", "carl")));
        auto refused = _client->postJson(
            "/prompt", "{\"prompt\":" + checkpointGraph("sd15.safetensors", "a fox, embedding:bad") + "}",
            environment().tokens["carl"]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 403, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("embeddings"), refused.json()->getValue<std::string>("folder"));
        auto allowed = _client->postJson(
            "/prompt", "{\"prompt\":" + checkpointGraph("sd15.safetensors", "a fox, embedding:good") + "}",
            environment().tokens["carl"]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(allowed.body, 200, allowed.status);
    }

    void objectInfoCombosAreFiltered()
    {
        CPPUNIT_ASSERT_EQUAL(
            200, share("olga", "/mss-login/api/users/alice/shared-items", item("checkpoints", "sdxl/base.safetensors"))
                     .status);
        auto options = [this](const std::string& user, const std::string& path) {
            auto info = get(path, user).json()->getObject("CheckpointLoaderSimple");
            auto list = info->getObject("input")->getObject("required")->getArray("ckpt_name")->getArray(0);
            std::set<std::string> out;
            for (std::size_t i = 0; i < list->size(); ++i)
                out.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
            return out;
        };
        const auto mine = options("alice", "/object_info/CheckpointLoaderSimple");
        CPPUNIT_ASSERT(mine.count("sdxl/base.safetensors"));
        CPPUNIT_ASSERT(!mine.count("secret.safetensors"));
        CPPUNIT_ASSERT(!mine.count("sdxl/refiner.safetensors"));
        CPPUNIT_ASSERT(!options("alice", "/api/object_info").count("secret.safetensors"));
        CPPUNIT_ASSERT(options("ada", "/object_info").count("secret.safetensors"));
    }

    void metadataOnlyOfSharedModels()
    {
        const std::string path = "/view_metadata/vae?filename=meta.safetensors";
        auto refused = get(path, "bob");
        CPPUNIT_ASSERT_EQUAL(404, refused.status);
        CPPUNIT_ASSERT(refused.body.find("olga") == std::string::npos);
        // Looks the same as a model that does not exist.
        CPPUNIT_ASSERT_EQUAL(refused.body, get("/view_metadata/vae?filename=none.safetensors", "bob").body);
        auto forAdmin = get("/api" + path, "ada");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(forAdmin.body, 200, forAdmin.status);
        CPPUNIT_ASSERT_EQUAL(std::string("olga"), forAdmin.json()->getValue<std::string>("trained_by"));
        CPPUNIT_ASSERT_EQUAL(
            200, share("olga", "/mss-login/api/users/bob/shared-items", item("vae", "meta.safetensors")).status);
        CPPUNIT_ASSERT_EQUAL(200, get(path, "bob").status);
    }

    void modelLibraryHidesPathsAndUnsharedModels()
    {
        // /experiment/models: every folder, but paths on the ComfyUI host only for admins.
        const auto forUser = array(get("/experiment/models", "fay"));
        CPPUNIT_ASSERT(forUser->size() > 0);
        for (std::size_t i = 0; i < forUser->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                                 forUser->getObject(static_cast<unsigned>(i))->getArray("folders")->size());
        const auto forAdmin = array(get("/api/experiment/models", "ada"));
        CPPUNIT_ASSERT_EQUAL(forUser->size(), forAdmin->size());
        const auto adminFolders = forAdmin->getObject(0)->getArray("folders");
        CPPUNIT_ASSERT(adminFolders->size() == 1 && adminFolders->getElement<std::string>(0).front() == '/');

        // /experiment/models/{folder}: only the shared entries, with ComfyUI's fields.
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), array(get("/experiment/models/checkpoints", "fay"))->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), array(get("/experiment/models/checkpoints", "ada"))->size());
        CPPUNIT_ASSERT_EQUAL(
            200, share("olga", "/mss-login/api/users/fay/shared-items", item("checkpoints", "sdxl/base.safetensors"))
                     .status);
        const auto shared = array(get("/api/experiment/models/checkpoints", "fay"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), shared->size());
        CPPUNIT_ASSERT_EQUAL(std::string("sdxl/base.safetensors"), shared->getObject(0)->getValue<std::string>("name"));
        CPPUNIT_ASSERT(shared->getObject(0)->has("size"));

        // Previews: of shared models only; an unshared one looks like a missing one.
        const std::string preview = "/experiment/models/preview/checkpoints/0/";
        auto own = get(preview + "sdxl/base.safetensors", "fay");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 200, own.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RIFF base preview"), own.body);
        auto refused = get(preview + "secret.safetensors", "fay");
        CPPUNIT_ASSERT_EQUAL(404, refused.status);
        CPPUNIT_ASSERT_EQUAL(refused.body, get(preview + "none.safetensors", "fay").body);
        CPPUNIT_ASSERT_EQUAL(std::string("RIFF secret preview"),
                             get("/api" + preview + "secret.safetensors", "ada").body);
    }

    void onlyOwnerOrFlaggedAdminManagesSharing()
    {
        const std::string path = "/mss-login/api/users/bob/shared-items";
        CPPUNIT_ASSERT_EQUAL(403, get(path, "alice").status);
        CPPUNIT_ASSERT_EQUAL(403, share("alice", path, item("checkpoints", "secret.safetensors")).status);
        CPPUNIT_ASSERT_EQUAL(403, request("DELETE", path, item("checkpoints", "sdxl/*"), "pat").status);
        // An admin needs can_manage_model_sharing explicitly (off in the shipped groups.json).
        CPPUNIT_ASSERT_EQUAL(403, get(path, "ada").status);
        CPPUNIT_ASSERT_EQUAL(403, share("ada", "/mss-login/api/groups/user/shared-items", item("loras", "*")).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(path).status);
        CPPUNIT_ASSERT(names(get("/models/checkpoints", "alice")).count("secret.safetensors") == 0);
        // With the flag set for admins, ada may share.
        auto flag = [this](bool on) {
            const std::string body =
                std::string(R"({"groups":{"admin":{"can_manage_model_sharing":)") + (on ? "true" : "false") + "}}}";
            return request("PUT", "/mss-login/api/groups", body, "olga").status;
        };
        CPPUNIT_ASSERT_EQUAL(200, flag(true));
        auto byAdmin = share("ada", "/mss-login/api/users/carl/shared-items", item("loras", "other.safetensors"));
        CPPUNIT_ASSERT_EQUAL(200, flag(false));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byAdmin.body, 200, byAdmin.status);
        CPPUNIT_ASSERT_EQUAL(std::string("admin"),
                             byAdmin.json()->getObject("item")->getValue<std::string>("granted_by_role"));
    }

    void badBodiesAre400()
    {
        const std::string path = "/mss-login/api/users/bob/shared-items";
        const std::vector<std::string> bodies{"not json",
                                              "[]",
                                              R"({"folder":"checkpoints"})",
                                              R"({"item_name":"a.safetensors"})",
                                              R"({"folder":"checkpoints","item_name":"../../etc/passwd"})",
                                              R"({"folder":"checkpoints","item_name":"/abs.safetensors"})",
                                              R"({"folder":"checkpoints","item_name":"sub\\..\\x"})",
                                              R"({"folder":"../models","item_name":"a"})",
                                              R"({"folder":"no_such_folder","item_name":"a"})",
                                              R"({"folder":"checkpoints","item_name":7})",
                                              R"({"folder":"checkpoints","item_name":"a","source_backend":"ftp"})",
                                              R"({"folder":"checkpoints","item_name":"a","expires_in_hours":-1})"};
        for (const auto& body : bodies) {
            auto result = share("olga", path, body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " → " + result.body, 400, result.status);
            CPPUNIT_ASSERT_MESSAGE(body, result.json()->has("error"));
        }
        CPPUNIT_ASSERT_EQUAL(
            400, share("olga", "/mss-login/api/groups/bad%20group/shared-items", item("loras", "*")).status);
        // A duplicate is refused; an expiring grant is accepted and shows its end.
        const std::string expiring = R"({"folder":"loras","item_name":"style.safetensors","expires_in_hours":2})";
        CPPUNIT_ASSERT_EQUAL(200, share("olga", path, expiring).status);
        auto duplicate = share("olga", path, expiring);
        CPPUNIT_ASSERT_EQUAL(400, duplicate.status);
        CPPUNIT_ASSERT(duplicate.json()->getValue<std::string>("error").find("already") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(400, request("DELETE", path, R"({"folder":"loras"})", "olga").status);
    }

    void unknownUserIs404()
    {
        CPPUNIT_ASSERT_EQUAL(404, get("/mss-login/api/users/nobody/shared-items", "olga").status);
        CPPUNIT_ASSERT_EQUAL(404, share("olga", "/mss-login/api/users/nobody/shared-items", item("loras", "*")).status);
        CPPUNIT_ASSERT_EQUAL(
            404, request("DELETE", "/mss-login/api/users/nobody/shared-items", item("loras", "*"), "olga").status);
    }

private:
    HttpResult get(const std::string& path, const std::string& user)
    {
        return _client->get(path, environment().tokens[user]);
    }

    HttpResult share(const std::string& user, const std::string& path, const std::string& body)
    {
        return request("POST", path, body, user);
    }

    HttpResult request(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& user)
    {
        auto headers = environment().tokens[user];
        headers["Content-Type"] = "application/json";
        return _client->request(method, path, body, headers);
    }

    std::unique_ptr<HttpTestClient> _client;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModelIsolationTest);

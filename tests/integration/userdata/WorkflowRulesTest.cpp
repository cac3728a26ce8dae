// The userdata module's workflow rules over real HTTP (modules/userdata/README.md): the global
// set merged with each user's own (own wins, marked), loading own-then-global, saving over a
// global name, who may delete a global workflow, MSS-Login's user-env workflow actions,
// version history with restore, userdata_changed events on the owner's WebSockets, and Comfy
// Portal's /cpe routes with UI-to-API conversion against the fake ComfyUI's /object_info.
#include "UserDataSupport.h"

#include "SampleWorkflow.h"
#include "WebSocketTestClient.h"

#include <chrono>
#include <map>

using namespace comfygate::test;
using namespace comfygate::test::userdata;
using namespace std::chrono_literals;

namespace {

bool isWorkflowDenied(const HttpResult& result)
{
    if (result.status != 403)
        return false;
    try {
        auto body = parseJson(result.body).extract<Poco::JSON::Object::Ptr>();
        return body->getValue<std::string>("error") == "WORKFLOW_DENIED" && body->has("message");
    } catch (...) {
        return false;
    }
}

/// A small ComfyUI UI-format (LiteGraph) text-to-image workflow with the fake's node classes;
/// `unknownClass` replaces the VAEDecode node's type.
std::string uiWorkflow(const std::string& decodeClass = "VAEDecode")
{
    return R"({"last_node_id":9,"last_link_id":9,"nodes":[)"
           R"({"id":4,"type":"CheckpointLoaderSimple","pos":[0,0],"size":[300,100],"mode":0,"order":0,"inputs":[],)"
           R"("outputs":[{"name":"MODEL","type":"MODEL","links":[1],"slot_index":0},{"name":"CLIP","type":"CLIP","links":[3,5],"slot_index":1},)"
           R"({"name":"VAE","type":"VAE","links":[8],"slot_index":2}],"widgets_values":["sd15.safetensors"]},)"
           R"({"id":5,"type":"EmptyLatentImage","pos":[0,200],"size":[300,100],"mode":0,"order":1,"inputs":[],)"
           R"("outputs":[{"name":"LATENT","type":"LATENT","links":[2],"slot_index":0}],"widgets_values":[640,448,2]},)"
           R"({"id":6,"type":"CLIPTextEncode","pos":[400,0],"size":[300,100],"mode":0,"order":2,)"
           R"("inputs":[{"name":"clip","type":"CLIP","link":3}],"outputs":[{"name":"CONDITIONING","type":"CONDITIONING","links":[4],"slot_index":0}],)"
           R"("widgets_values":["a red fox"]},)"
           R"({"id":7,"type":"CLIPTextEncode","pos":[400,200],"size":[300,100],"mode":0,"order":3,)"
           R"("inputs":[{"name":"clip","type":"CLIP","link":5}],"outputs":[{"name":"CONDITIONING","type":"CONDITIONING","links":[6],"slot_index":0}],)"
           R"("widgets_values":["blurry"]},)"
           R"({"id":3,"type":"KSampler","pos":[800,0],"size":[300,300],"mode":0,"order":4,)"
           R"("inputs":[{"name":"model","type":"MODEL","link":1},{"name":"positive","type":"CONDITIONING","link":4},)"
           R"({"name":"negative","type":"CONDITIONING","link":6},{"name":"latent_image","type":"LATENT","link":2}],)"
           R"("outputs":[{"name":"LATENT","type":"LATENT","links":[7],"slot_index":0}],)"
           R"("widgets_values":[42,"fixed",25,6.5,"euler","karras",0.75]},)"
           R"({"id":8,"type":")" + decodeClass + R"(","pos":[1200,0],"size":[200,50],"mode":0,"order":5,)"
           R"("inputs":[{"name":"samples","type":"LATENT","link":7},{"name":"vae","type":"VAE","link":8}],)"
           R"("outputs":[{"name":"IMAGE","type":"IMAGE","links":[9],"slot_index":0}],"widgets_values":[]},)"
           R"({"id":9,"type":"SaveImage","pos":[1500,0],"size":[300,300],"mode":0,"order":6,)"
           R"("inputs":[{"name":"images","type":"IMAGE","link":9}],"outputs":[],"widgets_values":["portal"]}],)"
           R"("links":[[1,4,0,3,0,"MODEL"],[2,5,0,3,3,"LATENT"],[3,4,1,6,0,"CLIP"],[4,6,0,3,1,"CONDITIONING"],)"
           R"([5,4,1,7,0,"CLIP"],[6,7,0,3,2,"CONDITIONING"],[7,3,0,8,0,"LATENT"],[8,4,2,8,1,"VAE"],[9,8,0,9,0,"IMAGE"]],)"
           R"("groups":[],"config":{},"extra":{},"version":0.4})";
}

/// The API prompt uiWorkflow() converts to (class_type and inputs of each node).
const std::string expectedPrompt =
    R"({"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd15.safetensors"}},)"
    R"("5":{"class_type":"EmptyLatentImage","inputs":{"width":640,"height":448,"batch_size":2}},)"
    R"("6":{"class_type":"CLIPTextEncode","inputs":{"text":"a red fox","clip":["4",1]}},)"
    R"("7":{"class_type":"CLIPTextEncode","inputs":{"text":"blurry","clip":["4",1]}},)"
    R"("3":{"class_type":"KSampler","inputs":{"seed":42,"steps":25,"cfg":6.5,"sampler_name":"euler",)"
    R"("scheduler":"karras","denoise":0.75,"model":["4",0],"positive":["6",0],"negative":["7",0],"latent_image":["5",0]}},)"
    R"("8":{"class_type":"VAEDecode","inputs":{"samples":["3",0],"vae":["4",2]}},)"
    R"("9":{"class_type":"SaveImage","inputs":{"filename_prefix":"portal","images":["8",0]}}})";

/// uiWorkflow() with what the front end adds around it: a bypassed LoraLoader (mode 4) between
/// the checkpoint and its consumers, a Reroute before the KSampler's model, a PrimitiveNode
/// feeding the KSampler's seed (a widget converted to an input), a muted PreviewImage (mode 2),
/// a Note, and a title on the KSampler. Converts to expectedPrompt with seed 777.
std::string advancedUiWorkflow()
{
    return R"({"last_node_id":30,"last_link_id":16,"nodes":[)"
           R"({"id":4,"type":"CheckpointLoaderSimple","mode":0,"inputs":[],)"
           R"("outputs":[{"name":"MODEL","type":"MODEL","links":[1]},{"name":"CLIP","type":"CLIP","links":[3]},{"name":"VAE","type":"VAE","links":[8]}],)"
           R"("widgets_values":["sd15.safetensors"]},)"
           R"({"id":10,"type":"LoraLoader","mode":4,"inputs":[{"name":"model","type":"MODEL","link":1},{"name":"clip","type":"CLIP","link":3}],)"
           R"("outputs":[{"name":"MODEL","type":"MODEL","links":[11]},{"name":"CLIP","type":"CLIP","links":[12,13]}],"widgets_values":["none.safetensors",1,1]},)"
           R"({"id":20,"type":"Reroute","mode":0,"inputs":[{"name":"","type":"*","link":11}],"outputs":[{"name":"","type":"MODEL","links":[14]}]},)"
           R"({"id":21,"type":"PrimitiveNode","mode":0,"inputs":[],"outputs":[{"name":"INT","type":"INT","links":[15],"widget":{"name":"seed"}}],)"
           R"("widgets_values":[777,"fixed"]},)"
           R"({"id":5,"type":"EmptyLatentImage","mode":0,"inputs":[],"outputs":[{"name":"LATENT","type":"LATENT","links":[2]}],"widgets_values":[640,448,2]},)"
           R"({"id":6,"type":"CLIPTextEncode","mode":0,"inputs":[{"name":"clip","type":"CLIP","link":12}],)"
           R"("outputs":[{"name":"CONDITIONING","type":"CONDITIONING","links":[4]}],"widgets_values":["a red fox"]},)"
           R"({"id":7,"type":"CLIPTextEncode","mode":0,"inputs":[{"name":"clip","type":"CLIP","link":13}],)"
           R"("outputs":[{"name":"CONDITIONING","type":"CONDITIONING","links":[6]}],"widgets_values":["blurry"]},)"
           R"({"id":3,"type":"KSampler","title":"My Sampler","mode":0,)"
           R"("inputs":[{"name":"model","type":"MODEL","link":14},{"name":"positive","type":"CONDITIONING","link":4},)"
           R"({"name":"negative","type":"CONDITIONING","link":6},{"name":"latent_image","type":"LATENT","link":2},)"
           R"({"name":"seed","type":"INT","widget":{"name":"seed"},"link":15}],)"
           R"("outputs":[{"name":"LATENT","type":"LATENT","links":[7]}],"widgets_values":[42,"fixed",25,6.5,"euler","karras",0.75]},)"
           R"({"id":8,"type":"VAEDecode","mode":0,"inputs":[{"name":"samples","type":"LATENT","link":7},{"name":"vae","type":"VAE","link":8}],)"
           R"("outputs":[{"name":"IMAGE","type":"IMAGE","links":[9,16]}],"widgets_values":[]},)"
           R"({"id":9,"type":"SaveImage","mode":0,"inputs":[{"name":"images","type":"IMAGE","link":9}],"outputs":[],"widgets_values":["portal"]},)"
           R"({"id":22,"type":"PreviewImage","mode":2,"inputs":[{"name":"images","type":"IMAGE","link":16}],"outputs":[],"widgets_values":[]},)"
           R"({"id":30,"type":"Note","mode":0,"inputs":[],"outputs":[],"widgets_values":["remember the fox"]}],)"
           R"("links":[[1,4,0,10,0,"MODEL"],[3,4,1,10,1,"CLIP"],[11,10,0,20,0,"MODEL"],[12,10,1,6,0,"CLIP"],[13,10,1,7,0,"CLIP"],)"
           R"([14,20,0,3,0,"MODEL"],[15,21,0,3,4,"INT"],[4,6,0,3,1,"CONDITIONING"],[6,7,0,3,2,"CONDITIONING"],[2,5,0,3,3,"LATENT"],)"
           R"([7,3,0,8,0,"LATENT"],[8,4,2,8,1,"VAE"],[9,8,0,9,0,"IMAGE"],[16,8,0,22,0,"IMAGE"]],)"
           R"("groups":[],"config":{},"extra":{},"version":0.4})";
}

/// A 0.4 workflow with its links as the 1.0 schema's objects.
std::string withObjectLinks(const std::string& workflow)
{
    auto parsed = parseJson(workflow).extract<Poco::JSON::Object::Ptr>();
    auto links = parsed->getArray("links");
    Poco::JSON::Array::Ptr objects = new Poco::JSON::Array;
    for (unsigned i = 0; i < links->size(); ++i) {
        auto link = links->getArray(i);
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
        object->set("id", link->get(0));
        object->set("origin_id", link->get(1));
        object->set("origin_slot", link->get(2));
        object->set("target_id", link->get(3));
        object->set("target_slot", link->get(4));
        object->set("type", link->get(5));
        objects->add(object);
    }
    parsed->set("links", objects);
    parsed->set("version", 1);
    return stringify(parsed);
}

/// A prompt without each node's _meta (which a converter may add).
Poco::JSON::Object::Ptr withoutMeta(const Poco::JSON::Object::Ptr& prompt)
{
    Poco::JSON::Object::Ptr stripped = new Poco::JSON::Object;
    for (const auto& id : prompt->getNames()) {
        auto node = prompt->getObject(id);
        Poco::JSON::Object::Ptr copy = new Poco::JSON::Object;
        copy->set("class_type", node->get("class_type"));
        copy->set("inputs", node->get("inputs"));
        stripped->set(id, copy);
    }
    return stripped;
}

} // namespace

class WorkflowRulesTest : public UserDataGatewayTest
{
    CPPUNIT_TEST_SUITE(WorkflowRulesTest);
    CPPUNIT_TEST(globalAndOwnWorkflowsMerge);
    CPPUNIT_TEST(loadingPrefersOwnThenGlobal);
    CPPUNIT_TEST(deletingAGlobalWorkflowNeedsAdmin);
    CPPUNIT_TEST(userEnvListsWorkflows);
    CPPUNIT_TEST(userEnvPromotesWorkflows);
    CPPUNIT_TEST(userEnvRefusals);
    CPPUNIT_TEST(userEnvWithRealAccounts);
    CPPUNIT_TEST(overwritesKeepVersions);
    CPPUNIT_TEST(restoreMakesAVersionCurrent);
    CPPUNIT_TEST(versionsKeptPrunesOldOnes);
    CPPUNIT_TEST(aDeletedWorkflowCanBeRestored);
    CPPUNIT_TEST(versionsAreTheOwnersOnly);
    CPPUNIT_TEST(changesReachTheOwnersOtherTabs);
    CPPUNIT_TEST(globalChangesReachEveryone);
    CPPUNIT_TEST(portalHealth);
    CPPUNIT_TEST(portalSaveListGet);
    CPPUNIT_TEST(portalRefusesBadNamesAndGuests);
    CPPUNIT_TEST(portalReturnsApiPromptsUnchanged);
    CPPUNIT_TEST(portalConvertsUiWorkflows);
    CPPUNIT_TEST(portalConvertsWhatTheFrontEndAdds);
    CPPUNIT_TEST(portalRefusesUnknownNodeClasses);
    CPPUNIT_TEST(portalConversionNeedsComfyUI);
    CPPUNIT_TEST_SUITE_END();

public:
    // ------------------------------------------------------------------ global + own

    void globalAndOwnWorkflowsMerge()
    {
        makeGlobal("g.json", R"({"global":1})");
        save(alice, "workflows/mine.json", R"({"mine":1})");

        auto names = [&](const Headers& user) {
            return joined(sortedStrings(jsonArray(_client->get("/api/userdata?dir=workflows", user))));
        };
        CPPUNIT_ASSERT_EQUAL(std::string("g.json,mine.json"), names(alice));
        CPPUNIT_ASSERT_EQUAL(std::string("g.json"), names(bob));
        CPPUNIT_ASSERT_EQUAL(std::string("g.json"), names(guest));

        auto info = fullInfo(alice);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), info.size());
        CPPUNIT_ASSERT_EQUAL(std::string("global"), info["g.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT(!info["g.json"]->optValue<bool>("overrides_global", false));
        CPPUNIT_ASSERT_EQUAL(12, info["g.json"]->getValue<int>("size"));
        CPPUNIT_ASSERT_EQUAL(std::string("user"), info["mine.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT(!info["mine.json"]->optValue<bool>("overrides_global", false));

        // alice's own g.json wins over the global one, once, and says so.
        save(alice, "workflows/g.json", R"({"alices":"copy"})");
        CPPUNIT_ASSERT_EQUAL(std::string("g.json,mine.json"), names(alice));
        info = fullInfo(alice);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), info.size());
        CPPUNIT_ASSERT_EQUAL(std::string("user"), info["g.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT(info["g.json"]->getValue<bool>("overrides_global"));
        CPPUNIT_ASSERT_EQUAL(17, info["g.json"]->getValue<int>("size"));
        CPPUNIT_ASSERT_EQUAL(std::string("global"), fullInfo(bob)["g.json"]->getValue<std::string>("source"));

        // v2 and the portal's list merge the same way.
        auto v2 = jsonArray(_client->get("/v2/userdata?path=workflows", bob));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(v2), std::size_t(1), v2->size());
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/g.json"), v2->getObject(0)->getValue<std::string>("path"));
        auto v2Alice = jsonArray(_client->get("/api/v2/userdata?path=workflows", alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(v2Alice), std::size_t(2), v2Alice->size());
        auto portal = portalList(alice);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), portal.size());
        CPPUNIT_ASSERT_EQUAL(std::string("user"), portal["g.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::string("global"), portalList(bob)["g.json"]->getValue<std::string>("source"));
        assertComfyAskedNothing();
    }

    void loadingPrefersOwnThenGlobal()
    {
        makeGlobal("shared.json", R"({"v":"global"})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"global"})"), _client->get("/userdata/workflows%2Fshared.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"global"})"), _client->get("/api/userdata/workflows/shared.json", guest).body);
        // Saving over a global name writes alice's own copy; the global one stays.
        auto saved = post(alice, "/userdata/workflows%2Fshared.json", R"({"v":"alice"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"alice"})"), _client->get("/userdata/workflows%2Fshared.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"global"})"), _client->get("/userdata/workflows%2Fshared.json", bob).body);
        auto portal = _client->get("/cpe/workflow/get?filename=shared.json", bob);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(portal.body, std::string(R"({"v":"global"})"),
                                     jsonObject(portal)->getValue<std::string>("workflow"));
        // overwrite=false does not see the global file: bob gets his own copy.
        auto bobsCopy = post(bob, "/userdata/workflows%2Fshared.json?overwrite=false", R"({"v":"bob"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bobsCopy.body, 200, bobsCopy.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"bob"})"), _client->get("/userdata/workflows%2Fshared.json", bob).body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"global"})"), _client->get("/userdata/workflows%2Fshared.json", guest).body);
        // Deleting alice's copy shows the global one again.
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2Fshared.json").status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":"global"})"), _client->get("/userdata/workflows%2Fshared.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("global"), fullInfo(alice)["shared.json"]->getValue<std::string>("source"));
    }

    void deletingAGlobalWorkflowNeedsAdmin()
    {
        makeGlobal("g.json", R"({"global":1})");
        // A user without an own copy may not delete or move the global one.
        auto deleted = del(alice, "/userdata/workflows%2Fg.json");
        CPPUNIT_ASSERT_MESSAGE(describe(deleted), isWorkflowDenied(deleted));
        auto moved = post(bob, "/api/userdata/workflows%2Fg.json/move/workflows%2Fmine.json", "");
        CPPUNIT_ASSERT_MESSAGE(describe(moved), isWorkflowDenied(moved));
        auto guestDelete = del(guest, "/userdata/workflows%2Fg.json");
        CPPUNIT_ASSERT_MESSAGE(describe(guestDelete), isWorkflowDenied(guestDelete));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"global":1})"), _client->get("/userdata/workflows%2Fg.json", bob).body);
        CPPUNIT_ASSERT_EQUAL(std::string("g.json"), joined(sortedStrings(jsonArray(_client->get("/userdata?dir=workflows", bob)))));
        // An admin may move it (it stays global) and delete it.
        auto movedByAdmin = post(admin, "/userdata/workflows%2Fg.json/move/workflows%2Fg2.json", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(movedByAdmin.body, 200, movedByAdmin.status);
        CPPUNIT_ASSERT_EQUAL(std::string("global"), fullInfo(bob)["g2.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fg.json", bob).status);
        CPPUNIT_ASSERT_EQUAL(200, post(admin, "/userdata/workflows%2Fg2.json/move/workflows%2Fg.json", "").status);
        auto byAdmin = del(admin, "/userdata/workflows%2Fg.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byAdmin.body, 204, byAdmin.status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fg.json", bob).status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fg.json", alice).status);
    }

    // ------------------------------------------------------------------ user-env

    void userEnvListsWorkflows()
    {
        makeGlobal("g.json", R"({"global":1})");
        save(alice, "workflows/one.json", R"({"one":1})");
        save(alice, "workflows/sub/two.json", R"({"two":2})");
        save(alice, "notes/n.txt", "not a workflow");
        for (const std::string prefix : {"", "/api"}) {
            auto listed = _client->postJson(prefix + "/mss-login/api/user-env", R"({"action":"list_workflows","user":"alice"})", admin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
            auto body = jsonObject(listed);
            CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("alice"), body->getValue<std::string>("user"));
            auto own = body->getArray("workflows");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, std::size_t(2), own->size());
            std::vector<std::string> paths;
            for (unsigned i = 0; i < own->size(); ++i) {
                auto entry = own->getObject(i);
                paths.push_back(entry->getValue<std::string>("path"));
                CPPUNIT_ASSERT_MESSAGE(listed.body, entry->has("size"));
                CPPUNIT_ASSERT_MESSAGE(listed.body, looksLikeSeconds(entry->get("modified")));
            }
            std::sort(paths.begin(), paths.end());
            CPPUNIT_ASSERT_MESSAGE(listed.body, paths[0].find("one.json") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(listed.body, paths[1].find("sub/two.json") != std::string::npos);
            auto global = body->getArray("global");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, std::size_t(1), global->size());
            CPPUNIT_ASSERT_MESSAGE(listed.body,
                                   global->getObject(0)->getValue<std::string>("path").find("g.json") != std::string::npos);
        }
        assertComfyAskedNothing();
    }

    void userEnvPromotesWorkflows()
    {
        save(alice, "workflows/best.json", R"({"best":1})");
        auto promoted = userEnv(R"({"action":"promote_workflow","user":"alice","workflow":"best.json"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(promoted.body, 200, promoted.status);
        auto body = jsonObject(promoted);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(promoted.body, body->getValue<std::string>("workflow").find("best.json") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(promoted.body, body->getValue<std::string>("global_path").find("best.json") != std::string::npos);
        CPPUNIT_ASSERT(!body->getValue<bool>("deleted_source"));
        // Everyone sees it now; alice's own copy is still hers.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"best":1})"), _client->get("/userdata/workflows%2Fbest.json", bob).body);
        CPPUNIT_ASSERT_EQUAL(std::string("global"), fullInfo(bob)["best.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT(fullInfo(alice)["best.json"]->getValue<bool>("overrides_global"));

        // Again: 409 without overwrite; with it the global copy is replaced.
        save(alice, "workflows/best.json", R"({"best":2})");
        auto clash = userEnv(R"({"action":"promote_workflow","user":"alice","workflow":"best.json"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(clash.body, 409, clash.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"best":1})"), _client->get("/userdata/workflows%2Fbest.json", bob).body);
        auto replaced = userEnv(R"({"action":"promote_workflow","user":"alice","workflow":"best.json","overwrite":true,"delete_source":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(replaced.body, 200, replaced.status);
        CPPUNIT_ASSERT(jsonObject(replaced)->getValue<bool>("deleted_source"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"best":2})"), _client->get("/userdata/workflows%2Fbest.json", bob).body);
        // delete_source removed alice's own copy: she now sees the global one.
        auto info = fullInfo(alice);
        CPPUNIT_ASSERT_EQUAL(std::string("global"), info["best.json"]->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), info.size());
        // The replaced global content is a version of the global file, which admins see.
        auto globalVersions = _client->get("/mss-login/api/workflows/best.json/versions?global=true", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(globalVersions.body, 200, globalVersions.status);
        auto versions = jsonObject(globalVersions)->getArray("versions");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(globalVersions.body, std::size_t(1), versions->size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"best":1})"),
                             _client->get("/mss-login/api/workflows/best.json/versions/" + id(versions->getObject(0)) +
                                              "?global=true", admin).body);
        // An admin restores the global one; users see it at once.
        auto restored = post(admin, "/api/mss-login/api/workflows/best.json/versions/" + id(versions->getObject(0)) +
                                        "/restore?global=true", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(restored.body, 200, restored.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"best":1})"), _client->get("/userdata/workflows%2Fbest.json", bob).body);
        auto byUser = post(alice, "/mss-login/api/workflows/best.json/versions/" + id(versions->getObject(0)) +
                                      "/restore?global=true", "");
        CPPUNIT_ASSERT_MESSAGE(describe(byUser), isWorkflowDenied(byUser));
    }

    void userEnvRefusals()
    {
        save(alice, "workflows/w.json", "{}");
        CPPUNIT_ASSERT_EQUAL(404, userEnv(R"({"action":"promote_workflow","user":"alice","workflow":"none.json"})").status);
        CPPUNIT_ASSERT_EQUAL(404, userEnv(R"({"action":"promote_workflow","user":"nobody-here","workflow":"w.json"})").status);
        CPPUNIT_ASSERT_EQUAL(400, userEnv(R"({"action":"no_such_action","user":"alice"})").status);
        CPPUNIT_ASSERT_EQUAL(400, userEnv("not json").status);
        CPPUNIT_ASSERT_EQUAL(400, userEnv(R"({"action":"promote_workflow","user":"alice"})").status);
        auto traversal = userEnv(R"({"action":"promote_workflow","user":"alice","workflow":"../../etc/passwd"})");
        CPPUNIT_ASSERT_MESSAGE(describe(traversal), traversal.status == 400 || traversal.status == 403);
        for (const Headers* user : {&alice, &bob, &guest}) {
            auto denied = _client->postJson("/mss-login/api/user-env", R"({"action":"promote_workflow","user":"alice","workflow":"w.json"})", *user);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(denied.body, 403, denied.status);
            CPPUNIT_ASSERT_EQUAL(403, _client->postJson("/api/mss-login/api/user-env", R"({"action":"list_workflows","user":"alice"})", *user).status);
        }
        CPPUNIT_ASSERT_EQUAL(401, _client->postJson("/mss-login/api/user-env", R"({"action":"list_workflows","user":"alice"})").status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fw.json", bob).status); // nothing promoted
    }

    /// With the real auth module user ids are not usernames: user-env takes a username.
    void userEnvWithRealAccounts()
    {
        useServer(startServerWithAccounts({{"alice", "user"}, {"ada", "admin"}}, "userdata-rules-test-secret-0123456789",
                                          "auth,comfy-proxy,userdata"));
        const Headers aliceSession = login(*_client, "alice", accountPassword);
        const Headers adaSession = login(*_client, "ada", accountPassword);
        save(aliceSession, "workflows/real.json", R"({"real":1})");
        auto users = jsonObject(_client->get("/users", aliceSession))->getObject("users");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), users->size());
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), users->getValue<std::string>(users->getNames().front()));

        auto listed = _client->postJson("/mss-login/api/user-env", R"({"action":"list_workflows","user":"alice"})", adaSession);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, std::size_t(1), jsonObject(listed)->getArray("workflows")->size());
        auto promoted = _client->postJson("/mss-login/api/user-env",
                                          R"({"action":"promote_workflow","user":"alice","workflow":"real.json","delete_source":true})",
                                          adaSession);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(promoted.body, 200, promoted.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"real":1})"), _client->get("/userdata/workflows%2Freal.json", adaSession).body);
        CPPUNIT_ASSERT_EQUAL(std::string("global"), fullInfo(aliceSession)["real.json"]->getValue<std::string>("source"));
        auto unknown = _client->postJson("/mss-login/api/user-env", R"({"action":"list_workflows","user":"mallory"})", adaSession);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(unknown.body, 404, unknown.status);
        auto byUser = _client->postJson("/mss-login/api/user-env", R"({"action":"list_workflows","user":"alice"})", aliceSession);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byUser.body, 403, byUser.status);
    }

    // ------------------------------------------------------------------ versions

    void overwritesKeepVersions()
    {
        for (int i = 1; i <= 4; ++i)
            save(alice, "workflows/v.json", R"({"n":)" + std::to_string(i) + "}");
        for (const std::string prefix : {"", "/api"}) {
            auto listed = _client->get(prefix + "/mss-login/api/workflows/v.json/versions", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
            auto body = jsonObject(listed);
            CPPUNIT_ASSERT_MESSAGE(listed.body, body->getValue<std::string>("file").find("v.json") != std::string::npos);
            auto versions = body->getArray("versions");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, std::size_t(3), versions->size());
            double previousSaved = 1e300;
            for (unsigned i = 0; i < 3; ++i) {
                auto version = versions->getObject(i);
                CPPUNIT_ASSERT_EQUAL(7, version->getValue<int>("size"));
                CPPUNIT_ASSERT_EQUAL(std::string("alice"), version->getValue<std::string>("replaced_by"));
                CPPUNIT_ASSERT_MESSAGE(listed.body, looksLikeSeconds(version->get("saved_at")));
                CPPUNIT_ASSERT_MESSAGE(listed.body, looksLikeSeconds(version->get("replaced_at")));
                const double saved = version->getValue<double>("saved_at");
                CPPUNIT_ASSERT_MESSAGE(listed.body, saved <= previousSaved); // newest first
                previousSaved = saved;
                // Newest first: 3, 2, 1.
                CPPUNIT_ASSERT_EQUAL(R"({"n":)" + std::to_string(3 - i) + "}", versionContent(alice, prefix, "v.json", id(version)));
            }
        }
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":4})"), _client->get("/userdata/workflows%2Fv.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(401, _client->get("/mss-login/api/workflows/v.json/versions").status);
        // A workflow in a subfolder: its name is one %2F-encoded segment.
        save(alice, "workflows/sub/deep.json", R"({"d":1})");
        save(alice, "workflows/sub/deep.json", R"({"d":2})");
        auto deep = versionList(alice, "sub%2Fdeep.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(deep), std::size_t(1), deep->size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"d":1})"), versionContent(alice, "/api", "sub%2Fdeep.json", id(deep->getObject(0))));
    }

    void restoreMakesAVersionCurrent()
    {
        for (int i = 1; i <= 3; ++i)
            save(alice, "workflows/r.json", R"({"n":)" + std::to_string(i) + "}");
        auto versions = versionList(alice, "r.json");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), versions->size());
        const std::string oldest = id(versions->getObject(1)); // {"n":1}
        auto restored = post(alice, "/mss-login/api/workflows/r.json/versions/" + oldest + "/restore", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(restored.body, 200, restored.status);
        auto body = jsonObject(restored);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(restored.body, body->getValue<std::string>("file").find("r.json") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(oldest, body->get("restored_version").toString());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":1})"), _client->get("/userdata/workflows%2Fr.json", alice).body);
        // The replaced content ({"n":3}) is now the newest version.
        versions = versionList(alice, "r.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(versions), std::size_t(3), versions->size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":3})"), versionContent(alice, "", "r.json", id(versions->getObject(0))));
        // Unknown versions; guests may not restore.
        CPPUNIT_ASSERT_EQUAL(404, post(alice, "/mss-login/api/workflows/r.json/versions/999999/restore", "").status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/mss-login/api/workflows/r.json/versions/999999", alice).status);
        auto byGuest = post(guest, "/api/mss-login/api/workflows/r.json/versions/" + oldest + "/restore", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byGuest.body, 403, byGuest.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":1})"), _client->get("/userdata/workflows%2Fr.json", alice).body);
    }

    void versionsKeptPrunesOldOnes()
    {
        startUserData({{"userdata.versions_kept", "2"}});
        for (int i = 1; i <= 5; ++i)
            save(alice, "workflows/p.json", R"({"n":)" + std::to_string(i) + "}");
        auto versions = versionList(alice, "p.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(versions), std::size_t(2), versions->size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":4})"), versionContent(alice, "", "p.json", id(versions->getObject(0))));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":3})"), versionContent(alice, "", "p.json", id(versions->getObject(1))));
        // Settings keep no versions at all.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings", R"({"a":1})", alice).status);
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings", R"({"a":2})", alice).status);
    }

    void aDeletedWorkflowCanBeRestored()
    {
        save(alice, "workflows/d.json", R"({"d":1})");
        save(alice, "workflows/d.json", R"({"d":2})");
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2Fd.json").status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fd.json", alice).status);
        auto versions = versionList(alice, "d.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(versions), std::size_t(2), versions->size());
        const std::string last = id(versions->getObject(0));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"d":2})"), versionContent(alice, "", "d.json", last));
        auto restored = post(alice, "/api/mss-login/api/workflows/d.json/versions/" + last + "/restore", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(restored.body, 200, restored.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"d":2})"), _client->get("/userdata/workflows%2Fd.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("d.json"), joined(sortedStrings(jsonArray(_client->get("/userdata?dir=workflows", alice)))));
    }

    void versionsAreTheOwnersOnly()
    {
        save(alice, "workflows/x.json", R"({"x":1})");
        save(alice, "workflows/x.json", R"({"x":2})");
        const std::string version = id(versionList(alice, "x.json")->getObject(0));
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/mss-login/api/workflows/x.json/versions/" + version, bob).status);
        CPPUNIT_ASSERT_EQUAL(404, post(bob, "/mss-login/api/workflows/x.json/versions/" + version + "/restore", "").status);
        auto bobs = _client->get("/mss-login/api/workflows/x.json/versions", bob);
        CPPUNIT_ASSERT_MESSAGE(describe(bobs), bobs.status == 404 || (bobs.status == 200 && jsonObject(bobs)->getArray("versions")->size() == 0));
        // The global file's versions are for admins.
        CPPUNIT_ASSERT_EQUAL(403, _client->get("/mss-login/api/workflows/x.json/versions?global=true", alice).status);
        CPPUNIT_ASSERT_EQUAL(404, post(bob, "/userdata/workflows%2Fx.json/move/workflows%2Fy.json", "").status);
        // Traversal in the file name.
        auto traversal = _client->get("/mss-login/api/workflows/..%2F..%2Fx.json/versions", alice);
        CPPUNIT_ASSERT_MESSAGE(describe(traversal), traversal.status == 400 || traversal.status == 403);
    }

    // ------------------------------------------------------------------ events

    void changesReachTheOwnersOtherTabs()
    {
        WebSocketTestClient aliceTab(_server->port(), "/ws?clientId=alice-tab2", alice);
        WebSocketTestClient bobTab(_server->port(), "/ws?clientId=bob-tab", bob);
        save(alice, "workflows/e.json", "{}");
        auto data = nextChange(aliceTab);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/e.json"), data->getValue<std::string>("path"));
        CPPUNIT_ASSERT_EQUAL(std::string("saved"), data->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("user"), data->getValue<std::string>("source"));

        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/workflows%2Fe.json/move/workflows%2Ff.json", "").status);
        data = nextChange(aliceTab);
        CPPUNIT_ASSERT_EQUAL(std::string("moved"), data->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/e.json"), data->getValue<std::string>("path"));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/f.json"), data->getValue<std::string>("to"));

        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2Ff.json").status);
        data = nextChange(aliceTab);
        CPPUNIT_ASSERT_EQUAL(std::string("deleted"), data->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/f.json"), data->getValue<std::string>("path"));

        // bob's tab heard none of it (a marker event of his own arrives, and nothing before it).
        save(bob, "workflows/marker.json", "{}");
        auto frames = bobTab.until([](const WebSocketFrame& f) { return f.type() == "userdata_changed"; }, 10s);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/marker.json"),
                             frames.back().json()->getObject("data")->getValue<std::string>("path"));
        for (const auto& frame : frames)
            CPPUNIT_ASSERT_MESSAGE(frame.payload, frame.payload.find("workflows/e.json") == std::string::npos);
        for (const auto& frame : aliceTab.drain(300ms))
            CPPUNIT_ASSERT_MESSAGE(frame.payload, frame.payload.find("marker.json") == std::string::npos);
    }

    void globalChangesReachEveryone()
    {
        WebSocketTestClient bobTab(_server->port(), "/ws?clientId=bob-tab", bob);
        makeGlobal("announced.json", "{}");
        auto data = nextChange(bobTab, "global");
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/announced.json"), data->getValue<std::string>("path"));
        CPPUNIT_ASSERT_EQUAL(std::string("saved"), data->getValue<std::string>("action"));
        // An admin's move and delete of a global workflow reach everyone too.
        CPPUNIT_ASSERT_EQUAL(200, post(admin, "/userdata/workflows%2Fannounced.json/move/workflows%2Fmoved.json", "").status);
        data = nextChange(bobTab, "global");
        CPPUNIT_ASSERT_EQUAL(std::string("moved"), data->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/moved.json"), data->getValue<std::string>("to"));
        CPPUNIT_ASSERT_EQUAL(204, del(admin, "/userdata/workflows%2Fmoved.json").status);
        data = nextChange(bobTab, "global");
        CPPUNIT_ASSERT_EQUAL(std::string("deleted"), data->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/moved.json"), data->getValue<std::string>("path"));
    }

    // ------------------------------------------------------------------ Comfy Portal

    void portalHealth()
    {
        for (const std::string prefix : {"", "/api"}) {
            auto health = _client->get(prefix + "/cpe/health", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(health.body, 200, health.status);
            CPPUNIT_ASSERT_MESSAGE(health.body, sameJson(parseJson(health.body),
                                                         parseJson(R"({"status":"success","browser":{"status":"ready"}})")));
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/cpe/health").status);
        }
        // A gateway whose ComfyUI does not answer (nothing listens on port 1).
        startUserData({{"comfy.url", "http://127.0.0.1:1"}});
        auto down = _client->get("/cpe/health", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(down.body, 200, down.status);
        CPPUNIT_ASSERT_MESSAGE(down.body, sameJson(parseJson(down.body),
                                                   parseJson(R"({"status":"success","browser":{"status":"error"}})")));
    }

    void portalSaveListGet()
    {
        for (const std::string prefix : {"", "/api"}) {
            // A string workflow, named without .json.
            const std::string base = prefix.empty() ? "portal" : "portal-api";
            auto asString = _client->postJson(prefix + "/cpe/workflow/save",
                                              R"({"workflow":"{\"a\":1}","name":")" + base + "\"}", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(asString.body, 200, asString.status);
            auto saved = jsonObject(asString);
            CPPUNIT_ASSERT_EQUAL(std::string("success"), saved->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(base + ".json", saved->getValue<std::string>("filename"));
            CPPUNIT_ASSERT(saved->has("message"));
            CPPUNIT_ASSERT(sameJson(parseJson(_client->get("/userdata/workflows%2F" + base + ".json", alice).body),
                                    parseJson(R"({"a":1})")));
        }
        // An object workflow named with .json (not doubled); names from the query; in a subfolder.
        auto asObject = _client->postJson("/cpe/workflow/save", R"({"workflow":{"b":[1,2]},"name":"obj.json"})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(asObject.body, 200, asObject.status);
        CPPUNIT_ASSERT_EQUAL(std::string("obj.json"), jsonObject(asObject)->getValue<std::string>("filename"));
        CPPUNIT_ASSERT(sameJson(parseJson(_client->get("/userdata/workflows%2Fobj.json", alice).body), parseJson(R"({"b":[1,2]})")));
        auto fromQuery = _client->postJson("/cpe/workflow/save?name=queried", R"({"workflow":{"q":1}})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fromQuery.body, 200, fromQuery.status);
        CPPUNIT_ASSERT_EQUAL(std::string("queried.json"), jsonObject(fromQuery)->getValue<std::string>("filename"));
        auto fromFile = _client->postJson("/cpe/workflow/save?file=filed", R"({"workflow":{"f":1}})", alice);
        CPPUNIT_ASSERT_EQUAL(std::string("filed.json"), jsonObject(fromFile)->getValue<std::string>("filename"));
        auto nested = _client->postJson("/cpe/workflow/save", R"({"workflow":{"n":1},"name":"sub/nested"})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(nested.body, 200, nested.status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"n":1})"), _client->get("/userdata/workflows%2Fsub%2Fnested.json", alice).body);
        // Saving again overwrites, keeping the old content as a version.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/cpe/workflow/save", R"({"workflow":{"b":3},"name":"obj"})", alice).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), versionList(alice, "obj.json")->size());
        save(alice, "workflows/readme.txt", "not a workflow");
        // An object workflow keeps its key order (node ids, widget order matter to readers).
        auto ordered = _client->postJson("/cpe/workflow/save", R"({"workflow":{"z":1,"a":{"y":1,"b":2}},"name":"sub/ordered"})", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ordered.body, 200, ordered.status);
        const std::string orderedText = _client->get("/userdata/workflows%2Fsub%2Fordered.json", alice).body;
        CPPUNIT_ASSERT_MESSAGE(orderedText, orderedText.find("\"z\"") < orderedText.find("\"a\"") &&
                                                orderedText.find("\"y\"") < orderedText.find("\"b\""));
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2Fsub%2Fordered.json").status);

        // The list: the .json files below workflows/, names relative to it.
        auto list = portalList(alice);
        std::vector<std::string> names;
        for (const auto& [name, entry] : list)
            names.push_back(name);
        CPPUNIT_ASSERT_EQUAL(std::string("filed.json,obj.json,portal-api.json,portal.json,queried.json,sub/nested.json"),
                             joined(names));
        auto obj = list["obj.json"];
        CPPUNIT_ASSERT_EQUAL(std::string("user"), obj->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(7, obj->getValue<int>("size"));
        CPPUNIT_ASSERT(obj->has("modified"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), portalList(bob).size());

        for (const std::string prefix : {"", "/api"}) {
            auto got = _client->get(prefix + "/cpe/workflow/get?filename=obj.json", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(got.body, 200, got.status);
            auto body = jsonObject(got);
            CPPUNIT_ASSERT_EQUAL(std::string("success"), body->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("obj.json"), body->getValue<std::string>("filename"));
            // The file's JSON text, as a string (as the node answers).
            CPPUNIT_ASSERT_MESSAGE(got.body, body->get("workflow").isString());
            CPPUNIT_ASSERT(sameJson(parseJson(body->getValue<std::string>("workflow")), parseJson(R"({"b":3})")));
            auto deep = _client->get(prefix + "/cpe/workflow/get?filename=sub%2Fnested.json", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(deep.body, 200, deep.status);

            auto missing = _client->get(prefix + "/cpe/workflow/get", alice);
            CPPUNIT_ASSERT_EQUAL(400, missing.status);
            CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(missing)->getValue<std::string>("status"));
            CPPUNIT_ASSERT(jsonObject(missing)->has("message"));
            auto unknown = _client->get(prefix + "/cpe/workflow/get?filename=nope.json", alice);
            CPPUNIT_ASSERT_EQUAL(404, unknown.status);
            CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(unknown)->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(404, _client->get(prefix + "/cpe/workflow/get?filename=obj.json", bob).status);
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/cpe/workflow/list").status);
        }
        assertComfyAskedNothing();
    }

    void portalRefusesBadNamesAndGuests()
    {
        for (const std::string name : {"../evil", "..\\\\evil", "/etc/evil", "a/../../evil", "../..", "bad\\u0001name",
                                       "sub//evil"}) {
            auto saved = _client->postJson("/cpe/workflow/save", R"({"workflow":{"e":1},"name":")" + name + "\"}", alice);
            CPPUNIT_ASSERT_MESSAGE(name + ": " + describe(saved), saved.status == 400 || saved.status == 403);
            CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(saved)->getValue<std::string>("status"));
        }
        for (const std::string query : {"name=..%2F..%2Fevil", "file=..%2Fevil", "name=%2Fetc%2Fevil"}) {
            auto queried = _client->postJson("/cpe/workflow/save?" + query, R"({"workflow":{"e":1}})", alice);
            CPPUNIT_ASSERT_MESSAGE(query + ": " + describe(queried), queried.status == 400 || queried.status == 403);
        }
        for (const std::string filename : {"..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..%5C..%5Cx", "..", "a%00.json"}) {
            auto got = _client->get("/cpe/workflow/get?filename=" + filename, alice);
            CPPUNIT_ASSERT_MESSAGE(filename + ": " + describe(got), got.status == 400 || got.status == 403);
            CPPUNIT_ASSERT_MESSAGE(got.body, got.body.find("root:") == std::string::npos);
            auto converted = _client->get("/cpe/workflow/get-and-convert?filename=" + filename, alice);
            CPPUNIT_ASSERT_MESSAGE(filename + ": " + describe(converted), converted.status == 400 || converted.status == 403);
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), joined(allFiles(alice)));
        // Bad bodies.
        for (const std::string body : {"not json", R"({"name":"x"})", R"({"workflow":"{broken","name":"x"})",
                                       R"({"workflow":42,"name":"x"})", R"({"workflow":"[1,2]","name":"x"})"}) {
            auto refused = _client->postJson("/cpe/workflow/save", body, alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + ": " + refused.body, 400, refused.status);
            CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(refused)->getValue<std::string>("status"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string(), joined(allFiles(alice)));
        // The guest reads but does not save.
        auto byGuest = _client->postJson("/api/cpe/workflow/save", R"({"workflow":{"g":1},"name":"g"})", guest);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byGuest.body, 403, byGuest.status);
        // In the Portal's error shape, like every /cpe error (README: Errors of the /cpe routes).
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byGuest.body, std::string("error"), jsonObject(byGuest)->optValue<std::string>("status", ""));
        CPPUNIT_ASSERT_MESSAGE(byGuest.body, jsonObject(byGuest)->has("message"));
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/cpe/workflow/list", guest).status);
        CPPUNIT_ASSERT_EQUAL(std::string(), joined(allFiles(guest)));
    }

    void portalReturnsApiPromptsUnchanged()
    {
        const std::string prompt = sampleWorkflow(12, "api");
        save(alice, "workflows/api.json", prompt);
        for (const std::string prefix : {"", "/api"}) {
            auto converted = _client->get(prefix + "/cpe/workflow/get-and-convert?filename=api.json", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(converted.body, 200, converted.status);
            auto body = jsonObject(converted);
            CPPUNIT_ASSERT_EQUAL(std::string("success"), body->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("api.json"), body->getValue<std::string>("filename"));
            CPPUNIT_ASSERT(body->has("message"));
            CPPUNIT_ASSERT_MESSAGE(converted.body, sameJson(body->getObject("data")->get("workflow"), parseJson(prompt)));
        }
        auto direct = _client->postJson("/cpe/workflow/convert", prompt, alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(direct.body, 200, direct.status);
        CPPUNIT_ASSERT(sameJson(jsonObject(direct)->getObject("data")->get("workflow"), parseJson(prompt)));
        // A file that is no workflow object cannot be converted.
        save(alice, "workflows/list.json", "[1,2]");
        auto notObject = _client->get("/cpe/workflow/get-and-convert?filename=list.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(notObject.body, 400, notObject.status);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(notObject)->getValue<std::string>("status"));
        auto missing = _client->get("/cpe/workflow/get-and-convert?filename=none.json", alice);
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(missing)->getValue<std::string>("status"));
    }

    void portalConvertsUiWorkflows()
    {
        save(alice, "workflows/ui.json", uiWorkflow());
        for (const std::string prefix : {"", "/api"}) {
            auto converted = _client->get(prefix + "/cpe/workflow/get-and-convert?filename=ui.json", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(converted.body, 200, converted.status);
            auto body = jsonObject(converted);
            CPPUNIT_ASSERT_EQUAL(std::string("success"), body->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(std::string("ui.json"), body->getValue<std::string>("filename"));
            auto prompt = body->getObject("data")->getObject("workflow");
            CPPUNIT_ASSERT_MESSAGE(stringify(prompt) + "\nexpected " + expectedPrompt,
                                   sameJson(withoutMeta(prompt), parseJson(expectedPrompt)));
            // _meta.title: the node's title, else the class's display name.
            CPPUNIT_ASSERT_EQUAL(std::string("Load Checkpoint"),
                                 prompt->getObject("4")->getObject("_meta")->getValue<std::string>("title"));
        }
        // POST /cpe/workflow/convert gives the same prompt.
        auto direct = _client->postJson("/api/cpe/workflow/convert", uiWorkflow(), alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(direct.body, 200, direct.status);
        auto prompt = jsonObject(direct)->getObject("data")->getObject("workflow");
        CPPUNIT_ASSERT_MESSAGE(stringify(prompt), sameJson(withoutMeta(prompt), parseJson(expectedPrompt)));
        // The converted prompt runs on ComfyUI as it is.
        const std::string id = submit(alice, stringify(prompt));
        CPPUNIT_ASSERT(waitForHistory(alice, id));
    }

    void portalConvertsWhatTheFrontEndAdds()
    {
        const std::string expected = [] {
            std::string text = expectedPrompt;
            text.replace(text.find(R"("seed":42)"), 9, R"("seed":777)");
            return text;
        }();
        for (const auto& [what, workflow] : std::vector<std::pair<std::string, std::string>>{
                 {"bypass, reroute, primitive, mute, note", advancedUiWorkflow()},
                 {"1.0 link objects", withObjectLinks(uiWorkflow())},
                 {"1.0 link objects, bypass, reroute, primitive, mute, note", withObjectLinks(advancedUiWorkflow())}}) {
            auto converted = _client->postJson("/cpe/workflow/convert", workflow, alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + converted.body, 200, converted.status);
            auto prompt = jsonObject(converted)->getObject("data")->getObject("workflow");
            const std::string& want = what == "1.0 link objects" ? expectedPrompt : expected;
            CPPUNIT_ASSERT_MESSAGE(what + ": " + stringify(prompt) + "\nexpected " + want,
                                   sameJson(withoutMeta(prompt), parseJson(want)));
            if (what != "1.0 link objects")
                CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string("My Sampler"),
                                             prompt->getObject("3")->getObject("_meta")->getValue<std::string>("title"));
        }
    }

    void portalRefusesUnknownNodeClasses()
    {
        save(alice, "workflows/odd.json", uiWorkflow("NoSuchNodeClass"));
        auto converted = _client->get("/api/cpe/workflow/get-and-convert?filename=odd.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(converted.body, 400, converted.status);
        auto body = jsonObject(converted);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), body->getValue<std::string>("status"));
        CPPUNIT_ASSERT_MESSAGE(converted.body, body->getValue<std::string>("message").find("NoSuchNodeClass") != std::string::npos);
        auto direct = _client->postJson("/cpe/workflow/convert", uiWorkflow("NoSuchNodeClass"), alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(direct.body, 400, direct.status);
        // A broken link (to a node that does not exist) is refused the same way, never a crash.
        std::string broken = uiWorkflow();
        const std::string link = R"([7,3,0,8,0,"LATENT"])";
        broken.replace(broken.find(link), link.size(), R"([7,33,0,8,0,"LATENT"])");
        auto brokenLink = _client->postJson("/cpe/workflow/convert", broken, alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(brokenLink.body, 400, brokenLink.status);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/cpe/health", alice).status);
    }

    void portalConversionNeedsComfyUI()
    {
        // ComfyUI failing (500 on every request): 503, nothing cached.
        _comfy->setFailing(true);
        save(alice, "workflows/ui.json", uiWorkflow());
        save(alice, "workflows/api.json", sampleWorkflow());
        auto failing = _client->get("/cpe/workflow/get-and-convert?filename=ui.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(failing.body, 503, failing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("error"), jsonObject(failing)->getValue<std::string>("status"));
        // An API prompt needs no /object_info.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/cpe/workflow/get-and-convert?filename=api.json", alice).status);
        _comfy->setFailing(false);
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/cpe/workflow/get-and-convert?filename=ui.json", alice).status);

        // ComfyUI not listening at all.
        startUserData({{"comfy.url", "http://127.0.0.1:1"}});
        save(alice, "workflows/ui.json", uiWorkflow());
        auto down = _client->get("/cpe/workflow/get-and-convert?filename=ui.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(down.body, 503, down.status);
        auto convert = _client->postJson("/cpe/workflow/convert", uiWorkflow(), alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(convert.body, 503, convert.status);
    }

private:
    HttpResult userEnv(const std::string& body, const Headers& user = admin)
    {
        return _client->postJson("/mss-login/api/user-env", body, user);
    }

    /// Makes `name` a global workflow: ada saves it and promotes it with delete_source.
    void makeGlobal(const std::string& name, const std::string& content)
    {
        save(admin, "workflows/" + name, content);
        auto promoted = userEnv(R"({"action":"promote_workflow","user":"ada","workflow":")" + name +
                                R"(","delete_source":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE("promote " + name + ": " + promoted.body, 200, promoted.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(promoted.body, content,
                                     _client->get("/userdata/workflows%2F" + encodeQueryValue(name), bob).body);
    }

    /// GET /userdata?dir=workflows&full_info=true by path.
    std::map<std::string, Poco::JSON::Object::Ptr> fullInfo(const Headers& user)
    {
        auto listed = _client->get("/userdata?dir=workflows&recurse=true&full_info=true", user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        std::map<std::string, Poco::JSON::Object::Ptr> byPath;
        auto entries = jsonArray(listed);
        for (unsigned i = 0; i < entries->size(); ++i) {
            auto entry = entries->getObject(i);
            CPPUNIT_ASSERT_MESSAGE("listed twice: " + listed.body, !byPath.count(entry->getValue<std::string>("path")));
            byPath[entry->getValue<std::string>("path")] = entry;
        }
        return byPath;
    }

    std::map<std::string, Poco::JSON::Object::Ptr> portalList(const Headers& user)
    {
        auto listed = _client->get("/cpe/workflow/list", user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        auto body = jsonObject(listed);
        CPPUNIT_ASSERT_EQUAL(std::string("success"), body->getValue<std::string>("status"));
        std::map<std::string, Poco::JSON::Object::Ptr> byName;
        auto entries = body->getArray("workflows");
        for (unsigned i = 0; i < entries->size(); ++i)
            byName[entries->getObject(i)->getValue<std::string>("filename")] = entries->getObject(i);
        return byName;
    }

    Poco::JSON::Array::Ptr versionList(const Headers& user, const std::string& file)
    {
        auto listed = _client->get("/mss-login/api/workflows/" + file + "/versions", user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        return jsonObject(listed)->getArray("versions");
    }

    static std::string id(const Poco::JSON::Object::Ptr& version) { return version->get("id").toString(); }

    std::string versionContent(const Headers& user, const std::string& prefix, const std::string& file,
                               const std::string& version)
    {
        auto got = _client->get(prefix + "/mss-login/api/workflows/" + file + "/versions/" + version, user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(got.body, 200, got.status);
        return got.body;
    }

    /// The data of the next userdata_changed event on `tab` (with `source`), within 10 s.
    Poco::JSON::Object::Ptr nextChange(WebSocketTestClient& tab, const std::string& source = "user")
    {
        auto frames = tab.until(
            [&](const WebSocketFrame& f) {
                return f.type() == "userdata_changed" &&
                       f.json()->getObject("data")->optValue<std::string>("source", "") == source;
            },
            10s);
        return frames.back().json()->getObject("data");
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WorkflowRulesTest);

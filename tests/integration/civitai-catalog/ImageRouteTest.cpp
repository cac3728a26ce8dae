// GET /api/admin/civitai/image/{id} and POST /api/admin/civitai/download-asset/{id} in the real
// binary (auth, model-download for the per-user key routes, civitai-catalog) against the fake
// CivitAI: catalog status from models.json/loras.json and files on disk, hidden dependencies
// resolved by hash and by search, CivitAI's errors, and the image download's host check.
#include "../model-download/DownloadServer.h"
#include "FakeCivitai.h"
#include "TempDir.h"

#include <Poco/JSON/Array.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>

using comfygate::fakes::CivitaiFile;
using comfygate::fakes::CivitaiImage;
using comfygate::fakes::CivitaiModel;
using comfygate::fakes::CivitaiVersion;
using comfygate::fakes::ContentKind;
using comfygate::fakes::FakeCivitai;
using comfygate::fakes::LogEntry;
using comfygate::test::DownloadServer;
using Headers = std::map<std::string, std::string>;
using Poco::JSON::Array;
using Poco::JSON::Object;
namespace fs = std::filesystem;

namespace {

const std::string imageRoute = "/api/admin/civitai/image/";
const std::string assetRoute = "/api/admin/civitai/download-asset/";

void writeFile(const fs::path& path, const std::string& content)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

Object::Ptr named(const Array::Ptr& items, const std::string& key, const std::string& value)
{
    for (std::size_t i = 0; i < items->size(); ++i) {
        const auto item = items->getObject(static_cast<unsigned>(i));
        if (item->has(key) && item->get(key).toString() == value)
            return item;
    }
    CPPUNIT_FAIL("nothing with " + key + " = " + value);
    return nullptr;
}

std::string text(const Object::Ptr& object, const std::string& key)
{
    return object->getValue<std::string>(key);
}

/// A port nothing listens on.
unsigned closedPort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const unsigned port = socket.address().port();
    socket.close();
    return port;
}

} // namespace

class ImageRouteTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ImageRouteTest);
    CPPUNIT_TEST(happyPathAnswersEveryKeyWithCatalogStatusAndDeps);
    CPPUNIT_TEST(civitaiErrorsAndBadIds);
    CPPUNIT_TEST(unreachableCivitaiIs502);
    CPPUNIT_TEST(downloadAssetStoresTheImageAndRefusesForeignHosts);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        addFixtures();
        _civitai.start();
    }

    void tearDown() override
    {
        _server.reset();
        _civitai.stop();
    }

    void startServer(const std::string& baseUrl, Headers extra = {})
    {
        Headers settings{{"modules.enabled", "auth,model-download,civitai-catalog"},
                         {"downloads.civitai.base_url", baseUrl},
                         {"catalog.dir", _catalog.path()},
                         {"catalog.civitai.timeout_ms", "3000"},
                         {"catalog.civitai.image_hosts", _civitai.storageHost()}};
        settings.insert(extra.begin(), extra.end());
        _server = std::make_unique<DownloadServer>(settings);
        _server->addUser("ada", "admin");
        _server->addUser("bob", "user");
        writeCatalog();
        _server->start();
    }

    void happyPathAnswersEveryKeyWithCatalogStatusAndDeps()
    {
        startServer(_civitai.apiUrl());
        const auto ada = _server->login("ada");
        storeKey(ada, "tok-ok");

        auto answer = _server->client().get(imageRoute + "900", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        const auto body = answer.json();
        for (const char* key : {"raw", "resources", "detected_deps", "clean_prompt", "meta", "type", "process",
                                "techniques", "tools", "detected_type"})
            CPPUNIT_ASSERT_MESSAGE(key, body->has(key));
        CPPUNIT_ASSERT_EQUAL(std::string("image"), text(body, "type"));
        CPPUNIT_ASSERT_EQUAL(std::string("img2img"), text(body, "process"));
        CPPUNIT_ASSERT_EQUAL(std::string("i2i"), text(body, "detected_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("ComfyUI"), text(body->getArray("tools")->getObject(0), "name"));
        CPPUNIT_ASSERT_EQUAL(std::string("masterpiece, (a fox:1.1)"), text(body, "clean_prompt"));
        CPPUNIT_ASSERT_EQUAL(28, body->getObject("meta")->getValue<int>("steps"));
        CPPUNIT_ASSERT_EQUAL(std::string("superjson"), text(body, "wire_format"));

        // resources: present (on disk, SHA-256 matches), missing, not_found
        const auto resources = body->getArray("resources");
        const auto base = named(resources, "modelVersionId", "1001");
        CPPUNIT_ASSERT_EQUAL(std::string("present"), text(base, "catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("dreamy_base.safetensors"), text(base, "catalog_file"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), text(base, "catalog_dest"));
        CPPUNIT_ASSERT_EQUAL(std::string("Dreamy Base v1 [SD15]"), text(base, "catalog_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("missing"),
                             text(named(resources, "modelVersionId", "2001"), "catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("present"),
                             text(named(resources, "modelVersionId", "6001"), "catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"),
                             text(named(resources, "modelVersionId", "3001"), "catalog_status"));
        // A catalog entry whose file is on disk with other bytes is not present.
        CPPUNIT_ASSERT_EQUAL(std::string("missing"),
                             text(named(resources, "modelVersionId", "7001"), "catalog_status"));

        const auto deps = body->getArray("detected_deps");
        CPPUNIT_ASSERT_EQUAL(std::size_t(6), deps->size());
        const auto fox = named(deps, "name", "fox_style_v1"); // by hash (AutoV2 from meta.resources)
        CPPUNIT_ASSERT_EQUAL(std::string("prompt"), text(fox, "source"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.7, fox->getValue<double>("weight"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(Poco::toUpper(_civitai.hashes("fox").autoV2), text(fox, "hash"));
        CPPUNIT_ASSERT_EQUAL(2001, fox->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_EQUAL(20, fox->getValue<int>("civitai_model_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Fox Style"), text(fox, "civitai_model_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("v1.0"), text(fox, "civitai_version_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("SDXL 1.0"), text(fox, "civitai_base_model"));
        CPPUNIT_ASSERT_EQUAL(std::string("LORA"), text(fox, "civitai_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("fox_style_v1.safetensors"), text(fox, "civitai_file"));
        CPPUNIT_ASSERT_EQUAL(_civitai.downloadUrl(2001), text(fox, "civitai_download_url"));
        CPPUNIT_ASSERT_EQUAL(std::string("missing"), text(fox, "catalog_status"));

        const auto neon = named(deps, "name", "Neon Glow"); // no hash: search, 100 % overlap
        CPPUNIT_ASSERT_EQUAL(3001, neon->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT(neon->isNull("hash"));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), text(neon, "catalog_status"));

        const auto present = named(deps, "name", "present_lora"); // odd spacing in the tag
        CPPUNIT_ASSERT_EQUAL(6001, present->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("present"), text(present, "catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("present_lora.safetensors"), text(present, "catalog_file"));

        const auto unknown = named(deps, "name", "totally_unknown_thing");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), text(unknown, "catalog_status"));
        CPPUNIT_ASSERT(!unknown->has("civitai_version_id"));

        const auto embedding = named(deps, "name", "EasyNegative");
        CPPUNIT_ASSERT_EQUAL(std::string("embedding"), text(embedding, "type"));
        CPPUNIT_ASSERT_EQUAL(std::string("negative_prompt"), text(embedding, "source"));
        CPPUNIT_ASSERT_EQUAL(4001, embedding->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("TextualInversion"), text(embedding, "civitai_type"));

        const auto hidden = named(deps, "name", "HiddenGem");
        CPPUNIT_ASSERT_EQUAL(std::string("meta_resources"), text(hidden, "source"));
        CPPUNIT_ASSERT_EQUAL(5001, hidden->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.4, hidden->getValue<double>("weight"), 1e-9);

        // The caller's stored key reached CivitAI on every call, by-hash and search included.
        const auto calls = _civitai.log([](const LogEntry& e) { return e.listener == "api"; });
        CPPUNIT_ASSERT(!calls.empty());
        for (const auto& call : calls)
            CPPUNIT_ASSERT_MESSAGE(call.path, call.authorization);
        CPPUNIT_ASSERT(
            !_civitai.log([](const LogEntry& e) { return e.path.find("by-hash") != std::string::npos; }).empty());
        CPPUNIT_ASSERT(!_civitai.log([](const LogEntry& e) { return e.path == "/api/v1/models"; }).empty());

        // Without a stored key (and no server key) nothing is sent.
        _civitai.clearLog();
        const auto bob = _server->login("bob");
        answer = _server->client().get(imageRoute + "901", bob);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT(_civitai.log([](const LogEntry& e) { return e.authorization; }).empty());

        // hide_meta: no meta, no prompt, no deps; resources still enriched.
        const auto hidden_ = answer.json();
        CPPUNIT_ASSERT(hidden_->isNull("meta"));
        CPPUNIT_ASSERT(hidden_->isNull("clean_prompt"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), hidden_->getArray("detected_deps")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("present"),
                             text(named(hidden_->getArray("resources"), "modelVersionId", "1001"), "catalog_status"));

        // A devalue pod: same answer, read from the devalue string.
        _civitai.setDevalueMode(true);
        answer = _server->client().get(imageRoute + "902", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("devalue"), text(answer.json(), "wire_format"));
        CPPUNIT_ASSERT_EQUAL(std::string("t2v"), text(answer.json(), "detected_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("a river"), text(answer.json(), "clean_prompt"));
    }

    void civitaiErrorsAndBadIds()
    {
        // A server key: used for callers without a stored key of their own.
        startServer(_civitai.apiUrl(),
                    {{"catalog.civitai.api_key", "tok-server"}, {"catalog.civitai.asset_max_bytes", "8"}});
        const auto ada = _server->login("ada");
        CPPUNIT_ASSERT_EQUAL(200, _server->client().get(imageRoute + "901", ada).status);
        CPPUNIT_ASSERT(!_civitai.log([](const LogEntry& e) { return e.authorization; }).empty());
        CPPUNIT_ASSERT(_civitai.log([](const LogEntry& e) { return !e.authorization; }).empty());

        auto answer = _server->client().get(imageRoute + "424242", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 404, answer.status);
        CPPUNIT_ASSERT(text(answer.json(), "error").find("No image with id 424242") != std::string::npos);

        for (const char* bad : {"abc", "-1", "0", "12a", "1234567890123456"}) {
            answer = _server->client().get(imageRoute + bad, ada);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, answer.status);
            CPPUNIT_ASSERT(answer.json()->has("error"));
        }

        _civitai.setMalformedEnvelope(true);
        answer = _server->client().get(imageRoute + "900", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
        CPPUNIT_ASSERT(text(answer.json(), "error").find("result.data") != std::string::npos);
        _civitai.setMalformedEnvelope(false);

        comfygate::fakes::Fault unavailable;
        unavailable.failFirstN = 1;
        unavailable.failStatus = 503;
        _civitai.setFault("civitai.trpc", unavailable);
        answer = _server->client().get(imageRoute + "900", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 503, answer.status);

        // An image larger than catalog.civitai.asset_max_bytes is not stored.
        answer = _server->client().request("POST", assetRoute + "900", "", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
        CPPUNIT_ASSERT_MESSAGE(answer.body,
                               text(answer.json(), "error").find("could not be fetched") != std::string::npos);
        CPPUNIT_ASSERT(!fs::exists(fs::path(_catalog.path()) / "assets" / "900.jpeg"));

        // No credentials: the kernel refuses before the handler.
        CPPUNIT_ASSERT_EQUAL(401, _server->client().get(imageRoute + "900").status);
    }

    void unreachableCivitaiIs502()
    {
        startServer("http://127.0.0.1:" + std::to_string(closedPort()));
        const auto ada = _server->login("ada");
        auto answer = _server->client().get(imageRoute + "900", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
        CPPUNIT_ASSERT(text(answer.json(), "error").find("could not be reached") != std::string::npos);
        answer = _server->client().request("POST", assetRoute + "900", "", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
    }

    void downloadAssetStoresTheImageAndRefusesForeignHosts()
    {
        startServer(_civitai.apiUrl());
        const auto ada = _server->login("ada");
        auto answer = _server->client().request("POST", assetRoute + "900", "", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        const auto stored = answer.json();
        CPPUNIT_ASSERT_EQUAL(std::string("stored"), text(stored, "status"));
        CPPUNIT_ASSERT_EQUAL(std::string("900.jpeg"), text(stored, "file"));
        CPPUNIT_ASSERT_EQUAL(std::string("assets/900.jpeg"), text(stored, "path"));
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), text(stored, "content_type"));
        const fs::path file = fs::path(_catalog.path()) / "assets" / "900.jpeg";
        CPPUNIT_ASSERT(fs::exists(file));
        CPPUNIT_ASSERT_EQUAL(static_cast<std::uintmax_t>(stored->getValue<std::uint64_t>("bytes")),
                             fs::file_size(file));
        CPPUNIT_ASSERT_EQUAL(std::size_t(64), text(stored, "sha256").size());
        // The image request went to the storage host with no credentials.
        const auto fetched = _civitai.log([](const LogEntry& e) { return e.path == "/images/900.jpeg"; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), fetched.size());
        CPPUNIT_ASSERT(!fetched[0].authorization);

        // CivitAI names an image on a host that is not an allowed image host: refused, nothing fetched.
        answer = _server->client().request("POST", assetRoute + "903", "", ada);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
        CPPUNIT_ASSERT(text(answer.json(), "error").find("not an allowed") != std::string::npos);
        CPPUNIT_ASSERT(_civitai.log([](const LogEntry& e) { return e.path == "/images/903.jpeg"; }).empty());
        CPPUNIT_ASSERT(!fs::exists(fs::path(_catalog.path()) / "assets" / "903.jpeg"));

        CPPUNIT_ASSERT_EQUAL(404, _server->client().request("POST", assetRoute + "424242", "", ada).status);
        CPPUNIT_ASSERT_EQUAL(400, _server->client().request("POST", assetRoute + "x", "", ada).status);
        // Managing the catalog is for admins: a user may read image data but not store assets.
        const auto bob = _server->login("bob");
        CPPUNIT_ASSERT_EQUAL(403, _server->client().request("POST", assetRoute + "900", "", bob).status);
    }

private:
    void storeKey(const Headers& who, const std::string& key)
    {
        Headers headers = who;
        headers["Content-Type"] = "application/json";
        const auto stored = _server->client().request("PUT", "/mss-login/api/model-download/api-keys",
                                                      R"({"source":"civitai","api_key":")" + key + "\"}", headers);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stored.body, 200, stored.status);
    }

    void addFixtures()
    {
        struct Item
        {
            int model;
            const char* modelName;
            const char* type;
            const char* key;
            const char* file;
            const char* baseModel;
        };
        const Item items[] = {{10, "Dreamy Base", "Checkpoint", "base", "dreamy_base.safetensors", "SD 1.5"},
                              {20, "Fox Style", "LORA", "fox", "fox_style_v1.safetensors", "SDXL 1.0"},
                              {30, "Neon Glow", "LORA", "neon", "neon_glow.safetensors", "SD 1.5"},
                              {40, "EasyNegative", "TextualInversion", "easyneg", "easynegative.safetensors", "SD 1.5"},
                              {50, "Hidden Gem", "LORA", "hidden", "hidden_gem.safetensors", "SD 1.5"},
                              {60, "Present Lora", "LORA", "present", "present_lora.safetensors", "SD 1.5"},
                              {70, "Changed Lora", "LORA", "changed", "changed_lora.safetensors", "SD 1.5"}};
        std::uint64_t seed = 1;
        for (const auto& item : items) {
            _civitai.addFile({item.key, item.file, 4096, seed++, ContentKind::Safetensors});
            _civitai.addModel(CivitaiModel(item.model, item.modelName, item.type));
            CivitaiVersion version;
            version.id = item.model * 100 + 1;
            version.modelId = item.model;
            version.baseModel = item.baseModel;
            version.files = {CivitaiFile(item.model * 100 + 2, item.key)};
            _civitai.addVersion(version);
        }

        CivitaiImage image;
        image.id = 900;
        image.postId = 1;
        image.modelVersionId = 1001;
        image.process = "img2img";
        image.steps = 28;
        image.prompt = "masterpiece, (a fox:1.1), <lora:fox_style_v1:0.7>,<lora:Neon Glow:0.5>, "
                       "<lora:  present_lora :0.5> <lora:totally_unknown_thing:1>";
        image.negativePrompt = "EasyNegative\nblurry, lowres";
        image.resources = {{1001, std::nullopt}, {2001, 0.7}, {6001, 0.5}, {3001, 0.5}, {7001, 0.2}};
        image.metaResources = {
            {"fox_style_v1", "lora", "", 0.7}, {"present_lora", "lora", "", 0.5}, {"HiddenGem", "lora", "", 0.4}};
        image.tools = {"ComfyUI"};
        image.techniques = {"img2img"};
        // meta.resources carry the short AutoV2 hash, upper case, as A1111 writes it.
        image.metaResources[0].hash = Poco::toUpper(_civitai.hashes("fox").autoV2);
        image.metaResources[1].hash = Poco::toUpper(_civitai.hashes("present").autoV2);
        image.metaResources[2].hash = Poco::toUpper(_civitai.hashes("hidden").autoV2);
        _civitai.addImage(image);

        CivitaiImage hidden = image;
        hidden.id = 901;
        hidden.hideMeta = true;
        _civitai.addImage(hidden);

        CivitaiImage video;
        video.id = 902;
        video.postId = 2;
        video.type = "video";
        video.process = "comfy";
        video.prompt = "a river <lora:Neon Glow:1>";
        _civitai.addImage(video);

        CivitaiImage foreign = video;
        foreign.id = 903;
        foreign.url = _civitai.apiUrl() + "/images/903.jpeg";
        _civitai.addImage(foreign);
    }

    /// A studio models.json and loras.json (§2.7), imported with `comfygate catalog import`, and
    /// the model files: base and present on disk with their bytes, fox listed but not downloaded,
    /// changed on disk with other bytes than its hash.
    void writeCatalog()
    {
        const fs::path models = _server->modelsDir();
        writeFile(models / "checkpoints" / "dreamy_base.safetensors", _civitai.content("base"));
        writeFile(models / "loras" / "present_lora.safetensors", _civitai.content("present"));
        writeFile(models / "loras" / "changed_lora.safetensors", "other bytes");
        auto entry = [&](const std::string& name, const std::string& file, const std::string& dest, int version,
                         const std::string& key) {
            return R"({"name":")" + name + R"(","file":")" + file + R"(","dest":")" + dest +
                   R"(","source":"civitai","size_gb":0.000004,"civitai_version_id":)" + std::to_string(version) +
                   R"(,"hash":")" + Poco::toUpper(_civitai.sha256(key)) + "\"}";
        };
        writeFile(fs::path(_studio.path()) / "models.json",
                  R"({"version":3,"date":"2026-12-07 10:00","categories":[{"id":"checkpoints","name":"Checkpoints",)"
                  R"("models":[)" +
                      entry("Dreamy Base v1 [SD15]", "dreamy_base.safetensors", "checkpoints", 1001, "base") + "]}]}");
        writeFile(fs::path(_studio.path()) / "loras.json",
                  R"({"version":1,"date":"2026-12-07 10:00","categories":[{"id":"sdxl_loras","name":"SDXL",)"
                  R"("models":[)" +
                      entry("Fox Style v1", "fox_style_v1.safetensors", "loras", 2001, "fox") + "," +
                      entry("Present Lora v1", "present_lora.safetensors", "loras", 6001, "present") + "," +
                      entry("Changed Lora v1", "changed_lora.safetensors", "loras", 7001, "changed") + "]}]}");
        for (const char* name : {"models", "loras"}) {
            std::string out, err;
            const int status = _server->process().runCommand(
                {"catalog", "import", _studio.path() + "/" + name + ".json", "--as", name}, out, err);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(out + err, 0, status);
        }
    }

    FakeCivitai _civitai;
    comfygate::test::TempDir _catalog;
    comfygate::test::TempDir _studio;
    std::unique_ptr<DownloadServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ImageRouteTest);

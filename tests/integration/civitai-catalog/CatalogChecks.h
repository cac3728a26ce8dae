#pragma once
// The civitai-catalog module's core checks over real HTTP against the fake CivitAI
// (modules/civitai-catalog/README.md). CatalogServerTest runs them on SQLite,
// CatalogPostgresTest on PostgreSQL; the suites differ only in backendSettings().
#include "../model-download/DownloadServer.h"
#include "FakeCivitai.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/JSON/Parser.h>

#include <cppunit/extensions/HelperMacros.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

namespace comfygate::test::catalog {

namespace fakes = comfygate::fakes;
using Headers = std::map<std::string, std::string>;

/// CivitAI version ids of the fixture.
struct Versions
{
    static constexpr int checkpoint = 1001;  ///< Checkpoint, SD 1.5, one file (id 11)
    static constexpr int lora = 3001;        ///< LORA, SDXL 1.0, trigger words
    static constexpr int flux = 4001;        ///< Checkpoint on Flux.1 D: diffusion_models
    static constexpr int restricted = 1003;  ///< usageControl Generation
    static constexpr int earlyAccess = 1004; ///< early access until 2099
    static constexpr int archived = 2001;    ///< model archived: no files
    static constexpr int workflow = 5001;    ///< type Workflows: no loader folder
};

#define CATALOG_CORE_CHECKS()                                                                                          \
    CPPUNIT_TEST(addsCheckpointLoraAndFluxIntoExports);                                                                \
    CPPUNIT_TEST(alreadyExistingAndExplicitStates);                                                                    \
    CPPUNIT_TEST(refusalsAndUpstreamErrors);                                                                           \
    CPPUNIT_TEST(promoteMovesLoraIntoItsBucket);                                                                       \
    CPPUNIT_TEST(staleIfMatchIsRefused);                                                                               \
    CPPUNIT_TEST(civitaiMapAndOnDiskPresence);                                                                         \
    CPPUNIT_TEST(downloadsGoThroughTheQueueAndShowInTheStream)

class CatalogChecks : public CppUnit::TestFixture
{
public:
    void setUp() override
    {
        addFixtures();
        _civitai.start();
        _server = makeServer(_civitai.apiUrl());
        _server->addUser("chief", "admin");
        _server->addUser("ursula", "user");
        _server->start();
        _admin = _server->login("chief");
        _user = _server->login("ursula");
    }

    void tearDown() override
    {
        _server.reset();
        _civitai.stop();
    }

    void addsCheckpointLoraAndFluxIntoExports()
    {
        auto added = add(Versions::checkpoint);
        CPPUNIT_ASSERT_EQUAL(std::string("added"), added->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), added->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), added->getValue<std::string>("category"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), added->getValue<std::string>("dest"));
        CPPUNIT_ASSERT_EQUAL(std::string("Juggernaut v9 [SD 1.5 fp16]"), added->getValue<std::string>("name"));

        added = add(Versions::lora);
        CPPUNIT_ASSERT_EQUAL(std::string("added"), added->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras"), added->getValue<std::string>("category"));
        CPPUNIT_ASSERT_EQUAL(std::string("loras"), added->getValue<std::string>("dest"));

        added = add(Versions::flux);
        CPPUNIT_ASSERT_EQUAL(std::string("diffusion_models"), added->getValue<std::string>("category"));
        CPPUNIT_ASSERT_EQUAL(std::string("diffusion_models"), added->getValue<std::string>("dest"));

        // The export file on disk: §2.7 shape, one version per change, written by rename only.
        auto models = exportFile("models");
        CPPUNIT_ASSERT_EQUAL(3, models->getValue<int>("version"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), models->getValue<std::string>("date").size());
        auto entry = findEntry(models, "checkpoints", "juggernaut_v9.safetensors");
        CPPUNIT_ASSERT(entry);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), entry->getValue<std::string>("dest"));
        CPPUNIT_ASSERT_EQUAL(std::string("civitai"), entry->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(Versions::checkpoint, entry->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_EQUAL(11, entry->getValue<int>("civitai_file_id"));
        CPPUNIT_ASSERT_EQUAL(_civitai.sha256("ckpt"), entry->getValue<std::string>("hash"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(64 * 1024), entry->getValue<Poco::Int64>("size_bytes"));
        CPPUNIT_ASSERT(std::abs(entry->getValue<double>("size_gb") - 65536 / 1e9) < 1e-6);
        CPPUNIT_ASSERT_EQUAL(std::string("available"), entry->getValue<std::string>("state"));
        auto lora = findEntry(models, "loras", "detail_tweaker_xl.safetensors");
        CPPUNIT_ASSERT(lora);
        CPPUNIT_ASSERT_EQUAL(std::string("detail"), lora->getArray("trigger_words")->getElement<std::string>(0));
        CPPUNIT_ASSERT(findEntry(models, "diffusion_models", "flux_dev.safetensors"));
        CPPUNIT_ASSERT_EQUAL(3, exportFile("loras")->getValue<int>("version"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), exportFile("llm")->getArray("categories")->size());
        for (Poco::DirectoryIterator it(catalogDir()), end; it != end; ++it)
            CPPUNIT_ASSERT_MESSAGE(it.name(), it.name().front() != '.'); // no temp file left behind

        // The same document over HTTP, with its version as ETag; readable by a plain user.
        auto served = _server->client().get("/api/admin/models/catalog/models.json", _user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(served.body, 200, served.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"3\""), served.header("etag"));
        CPPUNIT_ASSERT_EQUAL(3, served.json()->getValue<int>("version"));
        CPPUNIT_ASSERT(findEntry(served.json(), "checkpoints", "juggernaut_v9.safetensors"));
        auto notModified =
            _server->client().get("/api/admin/models/catalog/models.json", withHeader(_user, "If-None-Match", "\"3\""));
        CPPUNIT_ASSERT_EQUAL(304, notModified.status);
        CPPUNIT_ASSERT_EQUAL(404, _server->client().get("/api/admin/models/catalog/other.json", _user).status);
    }

    void alreadyExistingAndExplicitStates()
    {
        add(Versions::checkpoint);
        auto again = add(Versions::checkpoint);
        CPPUNIT_ASSERT_EQUAL(std::string("already_exists"), again->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), again->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(1, exportFile("models")->getValue<int>("version")); // nothing changed

        auto restricted = add(Versions::restricted);
        CPPUNIT_ASSERT_EQUAL(std::string("restricted"), restricted->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("This model is 'Generation' only — download not allowed by the creator"),
                             restricted->getValue<std::string>("reason"));
        auto early = add(Versions::earlyAccess);
        CPPUNIT_ASSERT_EQUAL(std::string("early_access"), early->getValue<std::string>("status"));
        CPPUNIT_ASSERT(early->getValue<std::string>("reason").find("2099-01-01") != std::string::npos);
        auto archived = add(Versions::archived);
        CPPUNIT_ASSERT_EQUAL(std::string("archived"), archived->getValue<std::string>("status"));

        // The states are kept in the catalog explicitly.
        auto map = civitaiMap();
        auto byVersion = map->getObject("by_version");
        CPPUNIT_ASSERT_EQUAL(
            std::string("restricted"),
            byVersion->getObject(std::to_string(Versions::restricted))->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("early_access"),
            byVersion->getObject(std::to_string(Versions::earlyAccess))->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(std::string("archived"),
                             byVersion->getObject(std::to_string(Versions::archived))->getValue<std::string>("state"));
        auto models = exportFile("models");
        auto entry = findEntry(models, "vae", "restricted_vae.safetensors");
        CPPUNIT_ASSERT(entry);
        CPPUNIT_ASSERT_EQUAL(std::string("restricted"), entry->getValue<std::string>("state"));
    }

    void refusalsAndUpstreamErrors()
    {
        auto unknownType = post("/api/admin/civitai/add/" + std::to_string(Versions::workflow), _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(unknownType.body, 400, unknownType.status);
        CPPUNIT_ASSERT(unknownType.body.find("Workflows") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(400, post("/api/admin/civitai/add/abc", _admin).status);
        CPPUNIT_ASSERT_EQUAL(400, post("/api/admin/civitai/add/-5", _admin).status);
        auto missing = post("/api/admin/civitai/add/987654", _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 404, missing.status);

        // A plain user may read but not change the catalog.
        auto refused = post("/api/admin/civitai/add/" + std::to_string(Versions::checkpoint), _user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 403, refused.status);
        CPPUNIT_ASSERT_EQUAL(403, post("/api/admin/civitai/promote-to-lora/1", _user).status);
        CPPUNIT_ASSERT_EQUAL(401, _server->client().request("POST", "/api/admin/civitai/add/1001").status);
        CPPUNIT_ASSERT_EQUAL(200, _server->client().get("/api/admin/models/civitai-map", _user).status);
        CPPUNIT_ASSERT_EQUAL(0, exportFile("models")->getValue<int>("version"));
    }

    void promoteMovesLoraIntoItsBucket()
    {
        add(Versions::lora);
        add(Versions::checkpoint);
        auto promoted = postJson("/api/admin/civitai/promote-to-lora/" + std::to_string(Versions::lora));
        CPPUNIT_ASSERT_EQUAL(std::string("promoted"), promoted->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("sdxl_loras"), promoted->getValue<std::string>("category"));
        CPPUNIT_ASSERT_EQUAL(std::string("detail_tweaker_xl.safetensors"), promoted->getValue<std::string>("file"));
        CPPUNIT_ASSERT(findEntry(exportFile("loras"), "sdxl_loras", "detail_tweaker_xl.safetensors"));
        CPPUNIT_ASSERT(!findEntry(exportFile("models"), "loras", "detail_tweaker_xl.safetensors"));

        auto again = postJson("/api/admin/civitai/promote-to-lora/" + std::to_string(Versions::lora));
        CPPUNIT_ASSERT_EQUAL(std::string("already_exists"), again->getValue<std::string>("status"));
        auto notLora = post("/api/admin/civitai/promote-to-lora/" + std::to_string(Versions::checkpoint), _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(notLora.body, 400, notLora.status);
        CPPUNIT_ASSERT_EQUAL(404, post("/api/admin/civitai/promote-to-lora/777", _admin).status);
        CPPUNIT_ASSERT_EQUAL(400, post("/api/admin/civitai/promote-to-lora/x1", _admin).status);
    }

    void staleIfMatchIsRefused()
    {
        auto first = post("/api/admin/civitai/add/" + std::to_string(Versions::checkpoint),
                          withHeader(_admin, "If-Match", "\"0\""));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"1\""), first.header("etag"));
        auto stale =
            post("/api/admin/civitai/add/" + std::to_string(Versions::lora), withHeader(_admin, "If-Match", "\"0\""));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stale.body, 412, stale.status);
        CPPUNIT_ASSERT(!findEntry(exportFile("models"), "loras", "detail_tweaker_xl.safetensors"));
        auto current =
            post("/api/admin/civitai/add/" + std::to_string(Versions::lora), withHeader(_admin, "If-Match", "1"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(current.body, 200, current.status);
        auto stalePromote = post("/api/admin/civitai/promote-to-lora/" + std::to_string(Versions::lora),
                                 withHeader(_admin, "If-Match", "\"1\""));
        CPPUNIT_ASSERT_EQUAL(412, stalePromote.status);
    }

    void civitaiMapAndOnDiskPresence()
    {
        add(Versions::checkpoint);
        add(Versions::lora);
        auto map = civitaiMap();
        auto checkpoint = map->getObject("by_version")->getObject(std::to_string(Versions::checkpoint));
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), checkpoint->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(false, checkpoint->getValue<bool>("on_disk"));
        auto byModel = map->getObject("by_model")->getArray("100");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), byModel->size());
        CPPUNIT_ASSERT_EQUAL(Versions::checkpoint, byModel->getElement<int>(0));

        // The right bytes at <models root>/<dest>/<file>: on disk. Other bytes: not.
        const auto path = std::filesystem::path(_server->modelsDir()) / "checkpoints" / "juggernaut_v9.safetensors";
        writeFile(path, _civitai.content("ckpt"));
        CPPUNIT_ASSERT_EQUAL(true, onDisk(Versions::checkpoint));
        writeFile(path, std::string(64 * 1024, 'x'));
        CPPUNIT_ASSERT_EQUAL(false, onDisk(Versions::checkpoint));
        writeFile(std::filesystem::path(_server->modelsDir()) / "loras" / "detail_tweaker_xl.safetensors",
                  _civitai.content("lora"));
        CPPUNIT_ASSERT_EQUAL(true, onDisk(Versions::lora));
    }

    void downloadsGoThroughTheQueueAndShowInTheStream()
    {
        add(Versions::checkpoint);
        add(Versions::lora);
        add(Versions::restricted);
        auto queued = postJson("/api/admin/models/download/juggernaut_v9.safetensors");
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), queued->getValue<std::string>("status"));
        CPPUNIT_ASSERT(!queued->getValue<std::string>("job_id").empty());

        auto batch = _server->client().postJson("/api/admin/models/download-batch",
                                                R"(["detail_tweaker_xl.safetensors", "nope.safetensors"])", _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(batch.body, 200, batch.status);
        auto results = batch.json()->getArray("results");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), results->size());
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), results->getObject(0)->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("refused"), results->getObject(1)->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(404, results->getObject(1)->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(409, post("/api/admin/models/download/restricted_vae.safetensors", _admin).status);
        CPPUNIT_ASSERT_EQUAL(404, post("/api/admin/models/download/nope.safetensors", _admin).status);
        CPPUNIT_ASSERT_EQUAL(403, post("/api/admin/models/download/juggernaut_v9.safetensors", _user).status);
        CPPUNIT_ASSERT_EQUAL(400, _server->client().postJson("/api/admin/models/download-batch", "{}", _admin).status);

        // The stream until both are done; every event framed as `data: <json>\n\n`.
        Poco::JSON::Object::Ptr downloads;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (true) {
            auto events = statusEvents("?once=1");
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), events.size());
            downloads = events.front()->getObject("downloads");
            CPPUNIT_ASSERT(events.front()->getValue<double>("timestamp") > 1.7e9);
            if (done(downloads, "juggernaut_v9.safetensors") && done(downloads, "detail_tweaker_xl.safetensors"))
                break;
            CPPUNIT_ASSERT_MESSAGE(jsonOf(downloads), std::chrono::steady_clock::now() < deadline);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        auto checkpoint = downloads->getObject("juggernaut_v9.safetensors");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(64 * 1024), checkpoint->getValue<Poco::Int64>("bytes"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(64 * 1024), checkpoint->getValue<Poco::Int64>("total"));
        CPPUNIT_ASSERT(checkpoint->isNull("error"));
        CPPUNIT_ASSERT(checkpoint->has("speed"));

        // On disk under the models root, with the catalog's hash: present.
        CPPUNIT_ASSERT(std::filesystem::exists(std::filesystem::path(_server->modelsDir()) / "checkpoints" /
                                               "juggernaut_v9.safetensors"));
        CPPUNIT_ASSERT_EQUAL(true, onDisk(Versions::checkpoint));
        CPPUNIT_ASSERT_EQUAL(true, onDisk(Versions::lora));
        auto again = postJson("/api/admin/models/download/juggernaut_v9.safetensors");
        CPPUNIT_ASSERT_EQUAL(std::string("present"), again->getValue<std::string>("status"));

        // A stream of a bounded lifetime: one event per second, then the end.
        const auto started = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), statusEvents("?seconds=2").size());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
        CPPUNIT_ASSERT_EQUAL(400, _server->client().get("/api/admin/models/status?seconds=0", _user).status);
    }

protected:
    static bool done(const Poco::JSON::Object::Ptr& downloads, const std::string& file)
    {
        if (!downloads->has(file))
            return false;
        const std::string status = downloads->getObject(file)->getValue<std::string>("status");
        CPPUNIT_ASSERT_MESSAGE(jsonOf(downloads), status != "error");
        return status == "done";
    }

    static std::string jsonOf(const Poco::JSON::Object::Ptr& object)
    {
        std::ostringstream out;
        object->stringify(out);
        return out.str();
    }

    /// GET /api/admin/models/status as a plain user, parsed strictly: nothing but
    /// `data: <one JSON object>\n\n` events.
    std::vector<Poco::JSON::Object::Ptr> statusEvents(const std::string& query)
    {
        auto answer = _server->client().get("/api/admin/models/status" + query, _user);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        CPPUNIT_ASSERT_EQUAL(std::string("text/event-stream"), answer.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(std::string("chunked"), answer.header("transfer-encoding"));
        std::vector<Poco::JSON::Object::Ptr> events;
        std::size_t at = 0;
        while (at < answer.body.size()) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, std::string("data: "), answer.body.substr(at, 6));
            const std::size_t end = answer.body.find("\n\n", at);
            CPPUNIT_ASSERT_MESSAGE(answer.body, end != std::string::npos);
            const std::string data = answer.body.substr(at + 6, end - at - 6);
            CPPUNIT_ASSERT_MESSAGE(data, data.find('\n') == std::string::npos);
            events.push_back(Poco::JSON::Parser().parse(data).extract<Poco::JSON::Object::Ptr>());
            at = end + 2;
        }
        return events;
    }

    virtual Headers backendSettings() { return {}; }

    std::unique_ptr<DownloadServer> makeServer(const std::string& civitaiUrl)
    {
        Headers settings{{"modules.enabled", "auth,model-download,civitai-catalog"},
                         {"downloads.civitai.base_url", civitaiUrl},
                         {"downloads.civitai.require_api_key", "false"}};
        for (const auto& [key, value] : backendSettings())
            settings[key] = value;
        return std::make_unique<DownloadServer>(settings);
    }

    static Headers withHeader(Headers headers, const std::string& name, const std::string& value)
    {
        headers[name] = value;
        return headers;
    }

    HttpResult post(const std::string& uri, const Headers& who)
    {
        return _server->client().request("POST", uri, "", who);
    }

    Poco::JSON::Object::Ptr postJson(const std::string& uri)
    {
        auto answer = post(uri, _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(uri + ": " + answer.body, 200, answer.status);
        return answer.json();
    }

    Poco::JSON::Object::Ptr add(int version) { return postJson("/api/admin/civitai/add/" + std::to_string(version)); }

    Poco::JSON::Object::Ptr civitaiMap()
    {
        auto answer = _server->client().get("/api/admin/models/civitai-map", _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
        return answer.json();
    }

    bool onDisk(int version)
    {
        return civitaiMap()->getObject("by_version")->getObject(std::to_string(version))->getValue<bool>("on_disk");
    }

    std::string catalogDir() const { return _server->process().dataDir() + "/catalog"; }

    Poco::JSON::Object::Ptr exportFile(const std::string& name) const
    {
        std::ifstream in(catalogDir() + "/" + name + ".json");
        CPPUNIT_ASSERT_MESSAGE(name + ".json missing", in.good());
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    }

    /// The entry `file` of category `category`, checking every category has id, name, models.
    static Poco::JSON::Object::Ptr findEntry(const Poco::JSON::Object::Ptr& document, const std::string& category,
                                             const std::string& file)
    {
        auto categories = document->getArray("categories");
        for (std::size_t i = 0; i < categories->size(); ++i) {
            auto item = categories->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT(item->has("id") && item->has("name") && item->getArray("models"));
            if (item->getValue<std::string>("id") != category)
                continue;
            auto models = item->getArray("models");
            for (std::size_t j = 0; j < models->size(); ++j) {
                auto entry = models->getObject(static_cast<unsigned>(j));
                if (entry->getValue<std::string>("file") == file)
                    return entry;
            }
        }
        return nullptr;
    }

    static void writeFile(const std::filesystem::path& path, const std::string& content)
    {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    }

    void addFixtures()
    {
        using fakes::ContentKind;
        _civitai.addFile(fakes::FileSpec{"ckpt", "juggernaut_v9.safetensors", 64 * 1024, 7, ContentKind::Prng});
        _civitai.addFile(fakes::FileSpec{"lora", "detail_tweaker_xl.safetensors", 16 * 1024, 8, ContentKind::Prng});
        _civitai.addFile(fakes::FileSpec{"flux", "flux_dev.safetensors", 16 * 1024, 9, ContentKind::Prng});
        _civitai.addFile(fakes::FileSpec{"vae", "restricted_vae.safetensors", 8 * 1024, 10, ContentKind::Prng});
        _civitai.addFile(fakes::FileSpec{"flow", "workflow.zip", 1024, 11, ContentKind::Prng});
        addModel(100, "Juggernaut", "Checkpoint");
        addModel(300, "Detail Tweaker", "LORA");
        addModel(400, "Flux Dev", "Checkpoint");
        addModel(600, "Safe VAE", "VAE");
        addModel(500, "Comfy Flow", "Workflows");
        fakes::CivitaiModel archived(200, "Old", "Checkpoint", "Archived");
        _civitai.addModel(archived);

        addVersion(Versions::checkpoint, 100, "v9", "SD 1.5", {fakes::CivitaiFile(11, "ckpt")});
        addVersion(Versions::lora, 300, "v1.0", "SDXL 1.0", {fakes::CivitaiFile(31, "lora")},
                   [](fakes::CivitaiVersion& v) { v.trainedWords = {"detail"}; });
        addVersion(Versions::flux, 400, "dev", "Flux.1 D", {fakes::CivitaiFile(41, "flux")});
        addVersion(Versions::restricted, 600, "v1", "SD 1.5", {fakes::CivitaiFile(13, "vae")},
                   [](fakes::CivitaiVersion& v) { v.usageControl = "Generation"; });
        addVersion(Versions::earlyAccess, 600, "v2", "SD 1.5", {fakes::CivitaiFile(14, "vae")},
                   [](fakes::CivitaiVersion& v) {
                       v.availability = "EarlyAccess";
                       v.earlyAccessEndsAt = "2099-01-01T00:00:00.000Z";
                   });
        addVersion(Versions::archived, 200, "v1", "SD 1.5", {fakes::CivitaiFile(21, "ckpt")});
        addVersion(Versions::workflow, 500, "v1", "SD 1.5", {fakes::CivitaiFile(51, "flow", "Archive", "Other")});
    }

    void addModel(int id, const std::string& name, const std::string& type)
    {
        _civitai.addModel(fakes::CivitaiModel(id, name, type));
    }

    void addVersion(int id, int model, const std::string& name, const std::string& baseModel,
                    std::vector<fakes::CivitaiFile> files,
                    const std::function<void(fakes::CivitaiVersion&)>& adjust = {})
    {
        fakes::CivitaiVersion version;
        version.id = id;
        version.modelId = model;
        version.name = name;
        version.baseModel = baseModel;
        version.files = std::move(files);
        if (adjust)
            adjust(version);
        _civitai.addVersion(version);
    }

    fakes::FakeCivitai _civitai;
    std::unique_ptr<DownloadServer> _server;
    Headers _admin;
    Headers _user;
};

} // namespace comfygate::test::catalog

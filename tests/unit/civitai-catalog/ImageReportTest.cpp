// The image report with an in-memory catalog and a scripted CivitAI: resources and deps get
// their catalog status, deps are resolved by hash, then by an accepted search hit, else stay
// unknown, and resolution stops after the configured number of deps.
#include "ImageReport.h"
#include "CatalogLookup.h"
#include "DependencyResolver.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/String.h>

#include <algorithm>
#include <map>

using namespace comfygate;
using namespace comfygate::civitaicatalog;
using Poco::JSON::Object;

namespace {

class MemoryCatalog : public CatalogLookup
{
public:
    std::vector<CatalogMatch> entries;

    std::optional<CatalogMatch> byVersionId(std::int64_t id) override
    {
        for (const auto& entry : entries)
            if (entry.versionId == id)
                return entry;
        return std::nullopt;
    }
    std::optional<CatalogMatch> bySha256(const std::string& hash) override
    {
        const std::string wanted = Poco::toLower(hash);
        for (const auto& entry : entries)
            if (!entry.sha256.empty() && entry.sha256.compare(0, wanted.size(), wanted) == 0)
                return entry;
        return std::nullopt;
    }
};

/// Answers by path (query included); anything else is a 404; records what was asked.
class ScriptedCivitai : public HttpClient
{
public:
    std::map<std::string, std::string> answers;
    std::vector<std::string> asked;

    HttpClientResponse perform(const HttpClientRequest& request) override
    {
        const Poco::URI uri(request.url);
        asked.push_back(uri.getPathAndQuery());
        HttpClientResponse response;
        const auto found = answers.find(uri.getPathAndQuery());
        response.status = found == answers.end() ? 404 : 200;
        response.body = found == answers.end() ? R"({"error":"Model not found"})" : found->second;
        return response;
    }
    HttpClientResponse stream(const HttpClientRequest& request, const Sink&) override { return perform(request); }
};

Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
}

Object::Ptr depNamed(const Poco::JSON::Array::Ptr& deps, const std::string& name)
{
    for (std::size_t i = 0; i < deps->size(); ++i)
        if (deps->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") == name)
            return deps->getObject(static_cast<unsigned>(i));
    CPPUNIT_FAIL("no dep " + name);
    return nullptr;
}

const char* payload = R"({
  "type": "image", "process": "txt2img", "tools": [], "techniques": [],
  "meta": {
    "prompt": "a fox, <lora:FoxStyle:0.7>, <lora:neon_glow:0.5>, <lora:nothing_like_it:1>",
    "negativePrompt": "EasyNegative\nblurry, ugly",
    "resources": [{"name": "FoxStyle", "type": "lora", "hash": "ABCDEF0123", "weight": 0.7},
                  {"name": "hidden_lora", "type": "lora", "hash": "1111111111", "weight": 0.3}]
  },
  "resources": [
    {"imageId": 9, "modelVersionId": 100, "versionId": 100, "modelName": "Base", "modelType": "Checkpoint"},
    {"imageId": 9, "modelVersionId": 200, "versionId": 200, "modelName": "Fox", "modelType": "LORA"},
    {"imageId": 9, "modelVersionId": 300, "versionId": 300, "modelName": "Other", "modelType": "LORA"}
  ]
})";

const char* foxVersion = R"({"id": 200, "modelId": 20, "name": "v1", "baseModel": "SDXL 1.0",
  "model": {"name": "Fox Style", "type": "LORA"}, "downloadUrl": "https://civitai.com/api/download/models/200",
  "files": [{"name": "fox.safetensors", "primary": true}]})";

const char* neonSearch = R"({"items": [
  {"id": 40, "name": "Neon", "type": "LORA", "modelVersions": [{"id": 401, "name": "a", "files": []}]},
  {"id": 41, "name": "Neon Glow", "type": "LORA", "modelVersions": [
     {"id": 410, "name": "v2", "baseModel": "SD 1.5", "downloadUrl": "https://civitai.com/api/download/models/410",
      "files": [{"name": "other.safetensors"}, {"name": "neon_glow.safetensors", "primary": true}]}]}]})";

} // namespace

class ImageReportTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ImageReportTest);
    CPPUNIT_TEST(resourcesGetCatalogStatus);
    CPPUNIT_TEST(depsAreDetectedResolvedAndMatched);
    CPPUNIT_TEST(resolutionStopsAtTheLimit);
    CPPUNIT_TEST(hiddenMetaLeavesNullsAndNoDeps);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _catalog.entries = {{"Base [SD]", "base.safetensors", "checkpoints", "models", "", 100, true},
                            {"Fox Style v1", "fox.safetensors", "loras", "loras", std::string(64, 'a'), 200, false}};
        _civitai.answers["/api/v1/model-versions/by-hash/ABCDEF0123"] = foxVersion;
        _civitai.answers["/api/v1/models?query=neon_glow&types=LORA&limit=3"] = neonSearch;
    }

    Object::Ptr report(std::size_t maxResolved = 8, const std::string& text = payload)
    {
        CivitaiClient client(_civitai, CivitaiEndpoint{"http://civitai.test"}, "");
        DependencyResolver resolver(client);
        return ImageReport(_catalog, resolver, maxResolved).build(parse(text));
    }

    void resourcesGetCatalogStatus()
    {
        const auto answer = report();
        const auto resources = answer->getArray("resources");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), resources->size());
        CPPUNIT_ASSERT_EQUAL(std::string("present"), resources->getObject(0)->getValue<std::string>("catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("base.safetensors"),
                             resources->getObject(0)->getValue<std::string>("catalog_file"));
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"),
                             resources->getObject(0)->getValue<std::string>("catalog_dest"));
        CPPUNIT_ASSERT_EQUAL(std::string("Base [SD]"), resources->getObject(0)->getValue<std::string>("catalog_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("missing"), resources->getObject(1)->getValue<std::string>("catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"),
                             resources->getObject(2)->getValue<std::string>("catalog_status"));
        CPPUNIT_ASSERT(!resources->getObject(2)->has("catalog_file"));
        // raw keeps CivitAI's resources untouched.
        CPPUNIT_ASSERT(!answer->getObject("raw")->getArray("resources")->getObject(0)->has("catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("a fox"), answer->getValue<std::string>("clean_prompt"));
        CPPUNIT_ASSERT_EQUAL(std::string("t2i"), answer->getValue<std::string>("detected_type"));
    }

    void depsAreDetectedResolvedAndMatched()
    {
        const auto deps = report()->getArray("detected_deps");
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), deps->size());

        const auto fox = depNamed(deps, "FoxStyle");
        CPPUNIT_ASSERT_EQUAL(std::string("prompt"), fox->getValue<std::string>("source"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.7, fox->getValue<double>("weight"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("ABCDEF0123"), fox->getValue<std::string>("hash"));
        CPPUNIT_ASSERT_EQUAL(200, fox->getValue<int>("civitai_version_id"));
        CPPUNIT_ASSERT_EQUAL(20, fox->getValue<int>("civitai_model_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Fox Style"), fox->getValue<std::string>("civitai_model_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("fox.safetensors"), fox->getValue<std::string>("civitai_file"));
        CPPUNIT_ASSERT_EQUAL(std::string("missing"), fox->getValue<std::string>("catalog_status"));

        const auto neon = depNamed(deps, "neon_glow");
        CPPUNIT_ASSERT_EQUAL(410, neon->getValue<int>("civitai_version_id")); // "Neon" alone is 50 %: skipped
        CPPUNIT_ASSERT_EQUAL(41, neon->getValue<int>("civitai_model_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("neon_glow.safetensors"), neon->getValue<std::string>("civitai_file"));
        CPPUNIT_ASSERT_EQUAL(std::string("SD 1.5"), neon->getValue<std::string>("civitai_base_model"));
        CPPUNIT_ASSERT_EQUAL(std::string("LORA"), neon->getValue<std::string>("civitai_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("not_found"), neon->getValue<std::string>("catalog_status"));

        CPPUNIT_ASSERT_EQUAL(std::string("unknown"),
                             depNamed(deps, "nothing_like_it")->getValue<std::string>("catalog_status"));
        const auto embedding = depNamed(deps, "EasyNegative");
        CPPUNIT_ASSERT_EQUAL(std::string("embedding"), embedding->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("negative_prompt"), embedding->getValue<std::string>("source"));
        const auto hidden = depNamed(deps, "hidden_lora");
        CPPUNIT_ASSERT_EQUAL(std::string("meta_resources"), hidden->getValue<std::string>("source"));
        CPPUNIT_ASSERT_EQUAL(std::string("1111111111"), hidden->getValue<std::string>("hash"));
        // The embedding was searched as a TextualInversion.
        CPPUNIT_ASSERT(std::find(_civitai.asked.begin(), _civitai.asked.end(),
                                 "/api/v1/models?query=EasyNegative&types=TextualInversion&limit=3") !=
                       _civitai.asked.end());
    }

    void resolutionStopsAtTheLimit()
    {
        const auto deps = report(1)->getArray("detected_deps");
        CPPUNIT_ASSERT_EQUAL(200, depNamed(deps, "FoxStyle")->getValue<int>("civitai_version_id"));
        const auto neon = depNamed(deps, "neon_glow");
        CPPUNIT_ASSERT_EQUAL(std::string("unknown"), neon->getValue<std::string>("catalog_status"));
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), neon->getValue<std::string>("resolution"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _civitai.asked.size());
    }

    void hiddenMetaLeavesNullsAndNoDeps()
    {
        const auto answer = report(8, R"({"type":"image","process":"txt2img","resources":[]})");
        CPPUNIT_ASSERT(answer->isNull("meta"));
        CPPUNIT_ASSERT(answer->isNull("clean_prompt"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), answer->getArray("detected_deps")->size());
        CPPUNIT_ASSERT(answer->isNull("tools"));
    }

private:
    MemoryCatalog _catalog;
    ScriptedCivitai _civitai;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ImageReportTest);

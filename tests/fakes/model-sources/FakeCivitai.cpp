#include "FakeCivitai.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <sstream>
#include <stdexcept>

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

const std::set<std::string> kFileTypes = {
    "Model",    "Text Encoder",     "Vision Encoder", "Pruned Model",    "Negative",   "Training Data", "VAE",
    "Config",   "Archive",          "UNet",           "Diffusion Model", "CLIPVision", "ControlNet",    "Workflow",
    "Upscaler", "Enhancement LoRA", "Other"};
const std::set<std::string> kMainWeightTypes = {"Model", "Pruned Model", "Diffusion Model", "UNet"};
const std::set<std::string> kFormats = {"SafeTensor", "PickleTensor", "GGUF", "Diffusers", "Core ML", "ONNX", "Other"};
const std::set<std::string> kSizes = {"full", "pruned"};
const std::set<std::string> kFps = {"fp32", "fp16", "bf16", "mxfp8", "fp8_mixed", "fp8_scaled",
                                    "fp8",  "int8", "nf4",  "nvfp4", "int4"};

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::string upper(const std::string& text)
{
    return Poco::toUpper(text);
}

/// A positive int32 or nothing.
std::optional<int> positiveId(const std::string& text)
{
    if (text.empty() || text.size() > 10 || !std::all_of(text.begin(), text.end(), ::isdigit))
        return std::nullopt;
    const long long value = std::stoll(text);
    if (value <= 0 || value > INT_MAX)
        return std::nullopt;
    return static_cast<int>(value);
}

bool isBrowser(const std::string& userAgent)
{
    const std::string agent = Poco::toLower(userAgent);
    for (const char* marker : {"mozilla", "chrome", "safari", "firefox", "opera", "edge"})
        if (agent.find(marker) != std::string::npos)
            return true;
    return false;
}

bool inFuture(const std::string& iso)
{
    if (iso.empty())
        return false;
    Poco::DateTime when;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, iso, when, zone) &&
        !Poco::DateTimeParser::tryParse(iso, when, zone))
        return false;
    return when.timestamp() > Poco::Timestamp();
}

std::string airEcosystem(const std::string& baseModel)
{
    const std::string base = Poco::toLower(baseModel);
    if (base.find("sdxl") != std::string::npos || base.find("pony") != std::string::npos ||
        base.find("illustrious") != std::string::npos)
        return "sdxl";
    if (base.find("flux") != std::string::npos)
        return "flux1";
    if (base.find("sd 3") != std::string::npos)
        return "sd3";
    if (base.find("wan") != std::string::npos)
        return "wanvideo";
    if (base.find("sd 1") != std::string::npos)
        return "sd1";
    return "other";
}

std::string airType(const std::string& modelType)
{
    if (modelType == "TextualInversion")
        return "embedding";
    if (modelType == "LoCon" || modelType == "DoRA")
        return "lycoris";
    return Poco::toLower(modelType);
}

/// The `type` of a `meta.civitaiResources[]` entry.
std::string resourceType(const std::string& modelType)
{
    if (modelType == "LORA" || modelType == "LoCon" || modelType == "DoRA")
        return "lora";
    if (modelType == "TextualInversion")
        return "embed";
    return Poco::toLower(modelType);
}

int preferenceScore(const CivitaiFile& file, const std::string& format, const std::string& size, const std::string& fp)
{
    return (kMainWeightTypes.count(file.type) ? 1000 : 0) + (file.format == format ? 100 : 0) +
           (file.size == size ? 10 : 0) + (file.fp == fp ? 1 : 0);
}

std::string xmlError(const std::string& code, const std::string& message)
{
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message +
           "</Message></Error>";
}

std::string encode(const std::string& text)
{
    std::string encoded;
    Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]\" ", encoded);
    return encoded;
}

const char* const kLoginPage = "<!DOCTYPE html><html><head><title>Sign in | Civitai</title></head>"
                               "<body><form action=\"/api/auth/signin\"><p>Sign in to download this model.</p>"
                               "</form></body></html>";

} // namespace

FakeCivitai::FakeCivitai() : FakeModelSource("civitai", "storage") {}

FakeCivitai::~FakeCivitai()
{
    stop();
}

void FakeCivitai::addModel(const CivitaiModel& model)
{
    if (model.id <= 0)
        throw std::invalid_argument("model id must be positive");
    std::lock_guard lock(_mutex);
    _models[model.id] = model;
}

void FakeCivitai::addVersion(const CivitaiVersion& version)
{
    if (version.id <= 0)
        throw std::invalid_argument("version id must be positive");
    for (const auto& entry : version.files) {
        if (!file(entry.fileKey))
            throw std::invalid_argument("version file refers to unknown file " + entry.fileKey);
        if (entry.id <= 0)
            throw std::invalid_argument("file id must be positive");
    }
    std::lock_guard lock(_mutex);
    if (!_models.count(version.modelId))
        throw std::invalid_argument("version " + std::to_string(version.id) + " refers to unknown model");
    _versions[version.id] = version;
}

void FakeCivitai::addImage(const CivitaiImage& image)
{
    if (image.id <= 0)
        throw std::invalid_argument("image id must be positive");
    std::lock_guard lock(_mutex);
    _images[image.id] = image;
}

void FakeCivitai::blockUser(int userId)
{
    std::lock_guard lock(_mutex);
    _blockedUsers.insert(userId);
}

std::string FakeCivitai::downloadUrl(int versionId) const
{
    return apiUrl() + "/api/download/models/" + std::to_string(versionId);
}

int FakeCivitai::downloadsIssued() const
{
    std::lock_guard lock(_mutex);
    return _downloadsIssued;
}

void FakeCivitai::resetCounters()
{
    std::lock_guard lock(_mutex);
    _downloadsBy.clear();
    _downloadsIssued = 0;
}

void FakeCivitai::sendInjectedFailure(FakeExchange& exchange, Listener listener, const Fault& fault)
{
    const int status = fault.failStatus.value_or(503);
    if (listener == Listener::Storage) {
        const std::string code = status == 429 ? "SlowDown" : status == 503 ? "ServiceUnavailable" : "InternalError";
        exchange.send(status, "application/xml", xmlError(code, "Injected failure"));
        return;
    }
    if (status == 429)
        exchange.sendError(429, "We've noticed an unusual amount of downloading from your account. Please try "
                                "again later.");
    else
        exchange.sendError(status, "Injected failure (" + std::to_string(status) + ")");
}

// ---------------------------------------------------------------- routing

void FakeCivitai::handleApi(FakeExchange& exchange)
{
    const auto& s = exchange.segments();
    std::string route;
    std::function<void()> handler;
    if (s.size() == 4 && s[0] == "api" && s[1] == "v1" && s[2] == "model-versions") {
        route = "civitai.model-versions";
        handler = [&] { modelVersion(exchange, s[3]); };
    } else if (s.size() == 5 && s[0] == "api" && s[1] == "v1" && s[2] == "model-versions" && s[3] == "by-hash") {
        route = "civitai.by-hash";
        handler = [&] { byHash(exchange, s[4]); };
    } else if (s.size() == 4 && s[0] == "api" && s[1] == "v1" && s[2] == "models") {
        route = "civitai.models";
        handler = [&] { model(exchange, s[3]); };
    } else if (s.size() == 3 && s[0] == "api" && s[1] == "v1" && s[2] == "models") {
        route = "civitai.models-search";
        handler = [&] { searchModels(exchange); };
    } else if (s.size() == 3 && s[0] == "api" && s[1] == "v1" && s[2] == "images") {
        route = "civitai.images";
        handler = [&] { images(exchange); };
    } else if (s.size() == 3 && s[0] == "api" && s[1] == "trpc" && s[2] == "image.getGenerationData") {
        route = "civitai.trpc";
        handler = [&] { generationData(exchange); };
    } else if (s.size() == 3 && s[0] == "api" && s[1] == "v1" && s[2] == "me") {
        route = "civitai.me";
        handler = [&] { me(exchange); };
    } else if (s.size() == 4 && s[0] == "api" && s[1] == "download" && s[2] == "models") {
        route = "civitai.download";
        handler = [&] { download(exchange, s[3]); };
    } else if (s.size() == 1 && s[0] == "login") {
        route = "civitai.login";
        handler = [&] { loginPage(exchange); };
    } else {
        exchange.sendError(404, "Not found");
        return;
    }
    serveReadRoute(exchange, route, handler, "Method not allowed");
}

// ---------------------------------------------------------------- JSON shapes

const CivitaiFile* FakeCivitai::primaryFile(const CivitaiVersion& version) const
{
    const CivitaiFile* best = nullptr;
    int bestScore = -1;
    for (const auto& entry : version.files) {
        const int score = preferenceScore(entry, "SafeTensor", "pruned", "fp16");
        if (score > bestScore) {
            best = &entry;
            bestScore = score;
        }
    }
    return best;
}

Object::Ptr FakeCivitai::versionJson(const CivitaiVersion& version, const CivitaiModel& model, bool withModel) const
{
    const bool archived = model.mode == "Archived";
    const std::string base = apiUrl() + "/api/download/models/" + std::to_string(version.id);
    const CivitaiFile* primary = primaryFile(version);

    Object::Ptr json = ordered();
    json->set("id", version.id);
    json->set("modelId", version.modelId);
    json->set("name", version.name);
    json->set("createdAt", version.publishedAt);
    json->set("updatedAt", version.publishedAt);
    json->set("status", version.status);
    json->set("availability", version.availability);
    json->set("nsfwLevel", model.nsfw ? 4 : 1);
    json->set("publishedAt", version.publishedAt);
    Array::Ptr words = new Array;
    for (const auto& word : version.trainedWords)
        words->add(word);
    json->set("trainedWords", words);
    json->set("trainingStatus", Poco::Dynamic::Var());
    json->set("trainingDetails", Poco::Dynamic::Var());
    json->set("baseModel", version.baseModel);
    json->set("baseModelType", "Standard");
    if (version.earlyAccessEndsAt.empty()) {
        json->set("earlyAccessEndsAt", Poco::Dynamic::Var());
        json->set("earlyAccessConfig", Poco::Dynamic::Var());
    } else {
        json->set("earlyAccessEndsAt", version.earlyAccessEndsAt);
        Object::Ptr config = ordered();
        config->set("timeframe", 7);
        config->set("downloadPrice", 500);
        json->set("earlyAccessConfig", config);
    }
    json->set("description", Poco::Dynamic::Var());
    json->set("uploadType", "Created");
    json->set("usageControl", version.usageControl);
    json->set("air", "urn:air:" + airEcosystem(version.baseModel) + ":" + airType(model.type) +
                         ":civitai:" + std::to_string(model.id) + "@" + std::to_string(version.id));
    Object::Ptr stats = ordered();
    stats->set("downloadCount", 0);
    stats->set("thumbsUpCount", 0);
    json->set("stats", stats);
    if (withModel) {
        Object::Ptr summary = ordered();
        summary->set("name", model.name);
        summary->set("type", model.type);
        summary->set("nsfw", model.nsfw);
        summary->set("poi", model.poi);
        if (!model.mode.empty())
            summary->set("mode", model.mode);
        json->set("model", summary);
    }

    Array::Ptr files = new Array;
    if (!archived) {
        for (const auto& entry : version.files) {
            const auto fixture = file(entry.fileKey);
            const FileHashes& hashes = fixture->hashes();
            Object::Ptr item = ordered();
            item->set("id", entry.id);
            item->set("sizeKB", static_cast<double>(fixture->size()) / 1024.0);
            item->set("name", entry.name.empty() ? fixture->name() : entry.name);
            item->set("type", entry.type);
            item->set("pickleScanResult", "Success");
            item->set("pickleScanMessage", "No Pickle imports");
            item->set("virusScanResult", "Success");
            item->set("virusScanMessage", Poco::Dynamic::Var());
            item->set("scannedAt", version.publishedAt);
            Object::Ptr metadata = ordered();
            metadata->set("format", entry.format);
            metadata->set("size", entry.size);
            metadata->set("fp", entry.fp);
            item->set("metadata", metadata);
            Object::Ptr hashJson = ordered();
            hashJson->set("AutoV1", upper(hashes.autoV1));
            hashJson->set("AutoV2", upper(hashes.autoV2));
            if (!hashes.autoV3.empty())
                hashJson->set("AutoV3", upper(hashes.autoV3));
            hashJson->set("SHA256", upper(hashes.sha256));
            hashJson->set("CRC32", upper(hashes.crc32));
            item->set("hashes", hashJson);
            const bool isPrimary = &entry == primary;
            if (withModel || isPrimary)
                item->set("primary", isPrimary);
            std::string url = base;
            if (!isPrimary) {
                url += "?type=" + encode(entry.type);
                if (entry.type != "Training Data")
                    url += "&format=" + encode(entry.format);
                url += "&size=" + entry.size + "&fp=" + entry.fp;
            }
            item->set("downloadUrl", url);
            files->add(item);
        }
    }
    json->set("files", files);
    Array::Ptr images = new Array;
    if (model.mode != "TakenDown") {
        std::lock_guard lock(_mutex);
        for (const auto& [id, image] : _images)
            if (image.modelVersionId == version.id && images->size() < 10)
                images->add(imageJson(image, false));
    }
    json->set("images", images);
    if (!archived)
        json->set("downloadUrl", base);
    return json;
}

Object::Ptr FakeCivitai::imageJson(const CivitaiImage& image, bool withMeta) const
{
    Object::Ptr json = ordered();
    json->set("id", image.id);
    json->set("url", image.url.empty() ? storageUrl() + "/images/" + std::to_string(image.id) + ".jpeg" : image.url);
    json->set("hash", "U5Ey,nxu00t700ay~qj[00WB?bWB00of?bof");
    json->set("width", 512);
    json->set("height", 512);
    json->set("nsfwLevel", 1);
    json->set("nsfw", false);
    json->set("browsingLevel", 1);
    json->set("createdAt", "2026-01-02T00:00:00.000Z");
    json->set("postId", image.postId);
    Object::Ptr stats = ordered();
    stats->set("likeCount", 0);
    stats->set("heartCount", 0);
    stats->set("commentCount", 0);
    json->set("stats", stats);
    if (withMeta && !image.hideMeta) {
        const auto generation = generationJson(image);
        json->set("meta", generation->get("meta"));
    } else {
        json->set("meta", Poco::Dynamic::Var());
    }
    json->set("username", image.username);
    std::string baseModel;
    Array::Ptr versionIds = new Array;
    versionIds->add(image.modelVersionId);
    {
        const auto found = _versions.find(image.modelVersionId);
        if (found != _versions.end())
            baseModel = found->second.baseModel;
    }
    json->set("baseModel", baseModel);
    json->set("modelVersionIds", versionIds);
    return json;
}

Object::Ptr FakeCivitai::generationJson(const CivitaiImage& image) const
{
    Object::Ptr json = ordered();
    json->set("type", image.type);
    json->set("onSite", false);
    json->set("process", image.process);
    Array::Ptr resources = new Array;
    Array::Ptr civitaiResources = new Array;
    for (const auto& resource : image.resources) {
        const auto version = _versions.find(resource.modelVersionId);
        if (version == _versions.end())
            continue;
        const auto model = _models.find(version->second.modelId);
        if (model == _models.end())
            continue;
        Object::Ptr item = ordered();
        item->set("imageId", image.id);
        item->set("modelVersionId", version->first);
        item->set("versionId", version->first);
        item->set("modelId", model->first);
        item->set("modelName", model->second.name);
        item->set("modelType", model->second.type);
        item->set("versionName", version->second.name);
        item->set("baseModel", version->second.baseModel);
        if (resource.strength)
            item->set("strength", *resource.strength);
        else
            item->set("strength", Poco::Dynamic::Var());
        resources->add(item);
        Object::Ptr reference = ordered();
        reference->set("type", resourceType(model->second.type));
        if (resource.strength)
            reference->set("weight", *resource.strength);
        reference->set("modelVersionId", version->first);
        civitaiResources->add(reference);
    }
    if (!image.hideMeta) {
        Object::Ptr meta = ordered();
        meta->set("prompt", image.prompt);
        meta->set("negativePrompt", image.negativePrompt);
        meta->set("steps", image.steps);
        meta->set("sampler", image.sampler);
        meta->set("cfgScale", image.cfgScale);
        meta->set("seed", image.seed);
        meta->set("clipSkip", image.clipSkip);
        meta->set("Size", "512x512");
        Array::Ptr metaResources = new Array;
        for (const auto& resource : image.metaResources) {
            Object::Ptr item = ordered();
            item->set("name", resource.name);
            item->set("type", resource.type);
            item->set("hash", resource.hash);
            if (resource.weight)
                item->set("weight", *resource.weight);
            metaResources->add(item);
        }
        meta->set("resources", metaResources);
        meta->set("civitaiResources", civitaiResources);
        if (!image.workflow.empty())
            meta->set("workflow", image.workflow);
        json->set("meta", meta);
    }
    json->set("resources", resources);
    Array::Ptr tools = new Array;
    for (std::size_t i = 0; i < image.tools.size(); ++i) {
        Object::Ptr tool = ordered();
        tool->set("id", static_cast<int>(i + 1));
        tool->set("name", image.tools[i]);
        tools->add(tool);
    }
    json->set("tools", tools);
    Array::Ptr techniques = new Array;
    for (std::size_t i = 0; i < image.techniques.size(); ++i) {
        Object::Ptr technique = ordered();
        technique->set("id", static_cast<int>(i + 1));
        technique->set("name", image.techniques[i]);
        technique->set("notes", Poco::Dynamic::Var());
        techniques->add(technique);
    }
    json->set("techniques", techniques);
    json->set("external", Poco::Dynamic::Var());
    json->set("canRemix", true);
    json->set("remixOfId", Poco::Dynamic::Var());
    return json;
}

// ---------------------------------------------------------------- API routes

void FakeCivitai::modelVersion(FakeExchange& exchange, const std::string& id)
{
    const auto versionId = positiveId(id);
    std::optional<CivitaiVersion> version;
    std::optional<CivitaiModel> owner;
    {
        std::lock_guard lock(_mutex);
        const auto found = versionId ? _versions.find(*versionId) : _versions.end();
        if (found != _versions.end() && found->second.status == "Published") {
            version = found->second;
            owner = _models.at(found->second.modelId);
        }
    }
    if (!version)
        return exchange.sendError(404, "Model not found");
    if (owner->mode != "Archived" && !primaryFile(*version))
        return exchange.sendError(404, "Missing model file");
    exchange.setHeader("Cache-Control", "public, s-maxage=300, stale-while-revalidate=150");
    exchange.sendJson(200, versionJson(*version, *owner, true));
}

void FakeCivitai::byHash(FakeExchange& exchange, const std::string& hash)
{
    const std::string wanted = upper(hash);
    std::optional<CivitaiVersion> best;
    std::optional<CivitaiModel> owner;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [id, version] : _versions) {
            if (version.status != "Published")
                continue;
            const auto model = _models.find(version.modelId);
            if (model == _models.end() || model->second.mode == "TakenDown")
                continue;
            const bool matches = std::any_of(version.files.begin(), version.files.end(), [&](const CivitaiFile& f) {
                const auto fixture = file(f.fileKey);
                if (!fixture)
                    return false;
                const FileHashes& h = fixture->hashes();
                for (const auto* candidate : {&h.sha256, &h.autoV1, &h.autoV2, &h.autoV3, &h.crc32})
                    if (!candidate->empty() && upper(*candidate) == wanted)
                        return true;
                return false;
            });
            if (matches && (!best || version.publishedAt < best->publishedAt)) {
                best = version;
                owner = model->second;
            }
        }
    }
    if (!best)
        return exchange.sendError(404, "Model not found");
    exchange.setHeader("Cache-Control", "public, s-maxage=3600");
    exchange.sendJson(200, versionJson(*best, *owner, true));
}

void FakeCivitai::model(FakeExchange& exchange, const std::string& id)
{
    const auto modelId = positiveId(id);
    if (!modelId)
        return exchange.sendError(400, "Invalid id: expected a positive 32-bit integer");
    Object::Ptr json;
    std::vector<CivitaiVersion> versions;
    std::optional<CivitaiModel> found;
    {
        std::lock_guard lock(_mutex);
        const auto model = _models.find(*modelId);
        if (model != _models.end()) {
            found = model->second;
            for (const auto& [versionId, version] : _versions)
                if (version.modelId == *modelId && version.status == "Published")
                    versions.push_back(version);
        }
    }
    if (!found)
        return exchange.sendError(404, "No model with id " + id);
    std::sort(versions.begin(), versions.end(),
              [](const CivitaiVersion& a, const CivitaiVersion& b) { return a.publishedAt > b.publishedAt; });
    json = ordered();
    json->set("id", found->id);
    json->set("name", found->name);
    json->set("description", found->description);
    json->set("type", found->type);
    json->set("poi", found->poi);
    json->set("nsfw", found->nsfw);
    json->set("nsfwLevel", found->nsfw ? 4 : 1);
    json->set("availability", "Public");
    json->set("allowNoCredit", true);
    Array::Ptr commercial = new Array;
    commercial->add("Image");
    json->set("allowCommercialUse", commercial);
    json->set("allowDerivatives", true);
    json->set("allowDifferentLicense", true);
    if (!found->mode.empty())
        json->set("mode", found->mode);
    Object::Ptr stats = ordered();
    stats->set("downloadCount", 0);
    stats->set("thumbsUpCount", 0);
    json->set("stats", stats);
    Object::Ptr creator = ordered();
    creator->set("username", found->creator);
    creator->set("image", Poco::Dynamic::Var());
    json->set("creator", creator);
    Array::Ptr tags = new Array;
    for (const auto& tag : found->tags)
        tags->add(tag);
    json->set("tags", tags);
    Array::Ptr modelVersions = new Array;
    for (const auto& version : versions)
        modelVersions->add(versionJson(version, *found, false));
    json->set("modelVersions", modelVersions);
    exchange.setHeader("Cache-Control", "public, s-maxage=300, stale-while-revalidate=150");
    exchange.sendJson(200, json);
}

void FakeCivitai::images(FakeExchange& exchange)
{
    auto number = [&](const std::string& name, long long fallback, long long min, long long max) -> long long {
        const auto text = exchange.query(name);
        if (!text)
            return fallback;
        if (text->empty() || text->size() > 10 || !std::all_of(text->begin(), text->end(), ::isdigit))
            throw std::invalid_argument(name);
        const long long value = std::stoll(*text);
        if (value < min || value > max)
            throw std::invalid_argument(name);
        return value;
    };
    long long limit = 0, page = 0, cursor = 0, imageId = 0, versionId = 0;
    try {
        limit = number("limit", 50, 0, 200);
        page = number("page", 0, 1, INT_MAX);
        cursor = number("cursor", 0, 0, INT_MAX);
        imageId = number("imageId", 0, 1, INT_MAX);
        versionId = number("modelVersionId", 0, 1, INT_MAX);
    } catch (const std::invalid_argument& error) {
        return exchange.sendError(400, std::string("Invalid value for ") + error.what());
    }
    if (page > 0 && page * limit > 1000)
        return exchange.sendError(429, "Too many results requested: page * limit > 1000, use cursors instead");
    const std::string withMeta = exchange.query("withMeta").value_or("false");
    Array::Ptr items = new Array;
    long long nextCursor = 0;
    {
        std::lock_guard lock(_mutex);
        std::vector<const CivitaiImage*> matching;
        for (const auto& [id, image] : _images) {
            if (imageId && id != imageId)
                continue;
            if (versionId && image.modelVersionId != versionId)
                continue;
            if (cursor && id < cursor)
                continue;
            matching.push_back(&image);
        }
        const std::size_t skip = page > 1 ? static_cast<std::size_t>((page - 1) * limit) : 0;
        for (std::size_t i = skip; i < matching.size(); ++i) {
            if (static_cast<long long>(items->size()) >= limit) {
                nextCursor = matching[i]->id;
                break;
            }
            items->add(imageJson(*matching[i], withMeta == "true"));
        }
    }
    Object::Ptr metadata = ordered();
    if (nextCursor) {
        metadata->set("nextCursor", std::to_string(nextCursor));
        std::string next = apiUrl() + "/api/v1/images?limit=" + std::to_string(limit) +
                           "&cursor=" + std::to_string(nextCursor) + "&withMeta=" + withMeta;
        if (versionId)
            next += "&modelVersionId=" + std::to_string(versionId);
        metadata->set("nextPage", next);
    }
    Object::Ptr json = ordered();
    json->set("items", items);
    json->set("metadata", metadata);
    exchange.sendJson(200, json);
}

namespace {

/// devalue's flat form: every value in one array, containers hold indexes into it.
class DevalueWriter
{
public:
    std::string write(const Poco::Dynamic::Var& root)
    {
        add(root);
        std::ostringstream out;
        Poco::JSON::Stringifier::stringify(_values, out);
        return out.str();
    }

private:
    int add(const Poco::Dynamic::Var& value)
    {
        const int index = static_cast<int>(_values.size());
        _values.add(Poco::Dynamic::Var());
        if (value.type() == typeid(Object::Ptr)) {
            const auto object = value.extract<Object::Ptr>();
            Object::Ptr refs = ordered();
            for (const auto& name : object->getNames())
                refs->set(name, add(object->get(name)));
            _values.set(index, refs);
        } else if (value.type() == typeid(Array::Ptr)) {
            const auto array = value.extract<Array::Ptr>();
            Array::Ptr refs = new Array;
            for (std::size_t i = 0; i < array->size(); ++i)
                refs->add(add(array->get(static_cast<unsigned>(i))));
            _values.set(index, refs);
        } else {
            _values.set(index, value);
        }
        return index;
    }

    Array _values;
};

} // namespace

void FakeCivitai::generationData(FakeExchange& exchange)
{
    auto trpcError = [&](int status, const std::string& code, int rpcCode, const std::string& message) {
        Object::Ptr data = ordered();
        data->set("code", code);
        data->set("httpStatus", status);
        data->set("path", "image.getGenerationData");
        Object::Ptr inner = ordered();
        inner->set("message", message);
        inner->set("code", rpcCode);
        inner->set("data", data);
        Object::Ptr wrapped = ordered();
        wrapped->set("json", inner);
        Object::Ptr json = ordered();
        json->set("error", wrapped);
        exchange.sendJson(status, json);
    };
    std::optional<int> imageId;
    try {
        const auto input = Poco::JSON::Parser().parse(exchange.query("input").value_or("")).extract<Object::Ptr>();
        const auto payload = input->getObject("json");
        if (payload && payload->has("id") && payload->get("id").isInteger())
            imageId = payload->getValue<int>("id");
    } catch (const Poco::Exception&) {
    }
    if (!imageId)
        return trpcError(400, "BAD_REQUEST", -32600, "Invalid input: expected {\"json\":{\"id\":N}}");
    Object::Ptr generation;
    bool devalue = false;
    bool malformed = false;
    {
        std::lock_guard lock(_mutex);
        const auto found = _images.find(*imageId);
        if (found != _images.end())
            generation = generationJson(found->second);
        devalue = _devalue;
        malformed = _malformedEnvelope;
    }
    if (!generation)
        return trpcError(404, "NOT_FOUND", -32004, "No image with id " + std::to_string(*imageId));
    if (malformed) {
        Object::Ptr result = ordered();
        result->set("unexpected", true);
        Object::Ptr json = ordered();
        json->set("result", result);
        return exchange.sendJson(200, json);
    }
    Object::Ptr data = ordered();
    if (devalue) {
        Object::Ptr json = ordered();
        Object::Ptr result = ordered();
        result->set("data", DevalueWriter().write(generation));
        json->set("result", result);
        return exchange.sendJson(200, json);
    }
    data->set("json", generation);
    Object::Ptr values = ordered();
    Object::Ptr meta = ordered();
    meta->set("values", values);
    data->set("meta", meta);
    Object::Ptr result = ordered();
    result->set("data", data);
    Object::Ptr json = ordered();
    json->set("result", result);
    exchange.sendJson(200, json);
}

/// Words of a name for the search: lower-case runs of letters and digits.
static std::set<std::string> searchWords(const std::string& text)
{
    std::set<std::string> words;
    std::string word;
    for (const char c : text + " ") {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            words.insert(word);
            word.clear();
        }
    }
    return words;
}

// Real search is fuzzy and ranked; the fake returns every model sharing one word with the
// query so that the client's own acceptance rule is what the tests exercise.
void FakeCivitai::searchModels(FakeExchange& exchange)
{
    const auto queryWords = searchWords(exchange.query("query").value_or(""));
    const std::string types = exchange.query("types").value_or("");
    const auto limitText = exchange.query("limit").value_or("100");
    const auto limit = positiveId(limitText);
    if (!limit || *limit > 100)
        return exchange.sendError(400, "Invalid value for limit");
    // Copies taken under the lock; versionJson() takes it again.
    std::vector<std::pair<CivitaiModel, std::vector<CivitaiVersion>>> hits;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [id, model] : _models) {
            if (static_cast<int>(hits.size()) >= *limit)
                break;
            if (!types.empty() && model.type != types)
                continue;
            const auto nameWords = searchWords(model.name);
            const bool shares = std::any_of(queryWords.begin(), queryWords.end(),
                                            [&](const std::string& word) { return nameWords.count(word) > 0; });
            if (!queryWords.empty() && !shares)
                continue;
            std::vector<CivitaiVersion> versions;
            for (const auto& [versionId, version] : _versions)
                if (version.modelId == id && version.status == "Published")
                    versions.push_back(version);
            std::sort(versions.begin(), versions.end(),
                      [](const CivitaiVersion& a, const CivitaiVersion& b) { return a.publishedAt > b.publishedAt; });
            hits.emplace_back(model, versions);
        }
    }
    Array::Ptr items = new Array;
    for (const auto& [model, versions] : hits) {
        Object::Ptr item = ordered();
        item->set("id", model.id);
        item->set("name", model.name);
        item->set("type", model.type);
        item->set("nsfw", model.nsfw);
        Array::Ptr modelVersions = new Array;
        for (const auto& version : versions)
            modelVersions->add(versionJson(version, model, false));
        item->set("modelVersions", modelVersions);
        items->add(item);
    }
    Object::Ptr metadata = ordered();
    metadata->set("totalItems", static_cast<int>(items->size()));
    Object::Ptr json = ordered();
    json->set("items", items);
    json->set("metadata", metadata);
    exchange.sendJson(200, json);
}

// Image files live on the storage host, as on image.civitai.com; the bytes are a fixed
// JPEG signature plus the name, enough for a client to store and hash.
void FakeCivitai::imageFile(FakeExchange& exchange, const std::string& name)
{
    const auto dot = name.find('.');
    const auto imageId = positiveId(name.substr(0, dot));
    bool known = false;
    if (imageId) {
        std::lock_guard lock(_mutex);
        known = _images.count(*imageId) > 0;
    }
    if (!known)
        return exchange.send(404, "application/xml", xmlError("NoSuchKey", "The specified key does not exist."));
    const std::string jpegSignature = "\xFF\xD8\xFF\xE0";
    exchange.send(200, "image/jpeg", jpegSignature + "fake-civitai-image " + name);
}

void FakeCivitai::me(FakeExchange& exchange)
{
    std::string token = exchange.bearerToken();
    if (token.empty())
        token = exchange.query("token").value_or("");
    const auto user = tokens().find(token);
    if (!user)
        return exchange.sendError(401, "Unauthorized");
    Object::Ptr json = ordered();
    json->set("id", user->userId);
    json->set("username", user->username);
    json->set("tier", user->tier);
    json->set("status", "active");
    json->set("isMember", user->tier != "free");
    exchange.sendJson(200, json);
}

void FakeCivitai::loginPage(FakeExchange& exchange)
{
    exchange.send(200, "text/html; charset=utf-8", kLoginPage);
}

std::string FakeCivitai::signedStorageUrl(const std::string& fileKey, const std::string& fileName)
{
    const std::string date = Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y%m%dT%H%M%SZ");
    const std::string expires = "86400";
    const std::string disposition = "attachment; filename=\"" + fileName + "\"";
    const std::string credential = "FAKER2KEY" + signer().nextUrlId();
    const std::string path = "/r2/" + fileKey;
    const std::string signature =
        signer().sign(path + "\n" + credential + "\n" + date + "\n" + expires + "\n" + disposition);
    std::string encodedKey;
    Poco::URI::encode(fileKey, "/?#%", encodedKey);
    return storageUrl() + "/r2/" + encodedKey + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + credential +
           "&X-Amz-Expires=" + expires + "&X-Amz-Date=" + date + "&X-Amz-Signature=" + signature +
           "&response-content-disposition=" + encode(disposition);
}

void FakeCivitai::download(FakeExchange& exchange, const std::string& versionText)
{
    exchange.setHeader("Cache-Control", "no-store, max-age=0");
    std::string token = exchange.bearerToken();
    if (token.empty())
        token = exchange.query("token").value_or("");
    const auto user = tokens().find(token);
    const int userId = user ? user->userId : 0;
    const bool browser = isBrowser(exchange.userAgent());
    const std::string counterKey = user ? "user:" + std::to_string(userId) : "ip:" + exchange.clientAddress();

    bool headBug = false;
    {
        std::lock_guard lock(_mutex);
        headBug = _headAuthBug;
        if (_blockedUsers.count(userId))
            return exchange.sendError(403, "Forbidden");
        if (_downloadLimit > 0 && _downloadsBy[counterKey] >= _downloadLimit)
            return exchange.sendError(429, "We've noticed an unusual amount of downloading from your account. "
                                           "Please try again later.");
    }
    if (exchange.isHead() && headBug)
        return exchange.sendError(401, "Unauthorized");

    // Query validation.
    const auto versionId = positiveId(versionText);
    if (!versionId)
        return exchange.sendError(400, "Invalid modelVersionId");
    const auto type = exchange.query("type"), format = exchange.query("format"), size = exchange.query("size"),
               fp = exchange.query("fp"), fileIdText = exchange.query("fileId");
    if (type && !kFileTypes.count(*type))
        return exchange.sendError(400, "Invalid type");
    if (format && !kFormats.count(*format))
        return exchange.sendError(400, "Invalid format");
    if (size && !kSizes.count(*size))
        return exchange.sendError(400, "Invalid size");
    if (fp && !kFps.count(*fp))
        return exchange.sendError(400, "Invalid fp");
    std::optional<int> fileId;
    if (fileIdText && !(fileId = positiveId(*fileIdText)))
        return exchange.sendError(400, "Invalid fileId");

    std::optional<CivitaiVersion> version;
    std::optional<CivitaiModel> model;
    {
        std::lock_guard lock(_mutex);
        const auto found = _versions.find(*versionId);
        if (found != _versions.end()) {
            version = found->second;
            model = _models.at(found->second.modelId);
        }
    }
    if (!version || version->status != "Published" || model->poi || model->mode == "TakenDown")
        return exchange.sendError(404, "File not found");
    if (model->mode == "Archived")
        return exchange.sendError(410, "Model archived, not available for download");
    if (version->usageControl != "Download") {
        Object::Ptr json = ordered();
        json->set("error", "Unauthorized");
        json->set("message", "The creator of this asset has disabled downloads on this file");
        return exchange.sendJson(401, json);
    }
    const Fault fault = faults().effective(service(), "civitai.download", "");
    if (!user && browser && fault.htmlForBrowserUa.value_or(false))
        return exchange.send(200, "text/html; charset=utf-8", kLoginPage);
    if (version->requireAuth && !user) {
        if (browser) {
            const std::string returnUrl = "/model-versions/" + std::to_string(version->id);
            return exchange.redirect(307, "/login?reason=download-auth&returnUrl=" + encode(returnUrl));
        }
        Object::Ptr json = ordered();
        json->set("error", "Unauthorized");
        json->set("message", "The creator of this asset requires you to be logged in to download it");
        return exchange.sendJson(401, json);
    }
    if (inFuture(version->earlyAccessEndsAt) && !(user && user->earlyAccess.count(version->id))) {
        if (browser)
            return exchange.redirect(307, "/models/" + std::to_string(model->id) +
                                              "?modelVersionId=" + std::to_string(version->id));
        Object::Ptr json = ordered();
        json->set("error", "Early Access");
        json->set("deadline", version->earlyAccessEndsAt);
        json->set("message", "This asset is in Early Access. You can use it or download it by purchasing early access");
        return exchange.sendJson(403, json);
    }

    const CivitaiFile* chosen = nullptr;
    if (fileId) {
        for (const auto& entry : version->files)
            if (entry.id == *fileId)
                chosen = &entry;
    } else {
        int bestScore = -1;
        for (const auto& entry : version->files) {
            if (type && entry.type != *type)
                continue;
            const int score =
                preferenceScore(entry, format.value_or("SafeTensor"), size.value_or("pruned"), fp.value_or("fp16"));
            if (score > bestScore) {
                chosen = &entry;
                bestScore = score;
            }
        }
        if (chosen &&
            ((format && chosen->format != *format) || (size && chosen->size != *size) || (fp && chosen->fp != *fp)))
            chosen = nullptr;
    }
    if (!chosen)
        return exchange.sendError(404, "File not found");
    const auto fixture = file(chosen->fileKey);
    if (!fixture) {
        exchange.setHeader("Cache-Control", "private, no-store");
        return exchange.sendError(404, "File not found");
    }
    {
        std::lock_guard lock(_mutex);
        ++_downloadsBy[counterKey];
        ++_downloadsIssued;
    }
    exchange.redirect(307, signedStorageUrl(chosen->fileKey, chosen->name.empty() ? fixture->name() : chosen->name));
}

// ---------------------------------------------------------------- storage

void FakeCivitai::handleStorage(FakeExchange& exchange)
{
    const auto& s = exchange.segments();
    if (s.size() == 2 && s[0] == "images")
        return imageFile(exchange, s[1]);
    if (s.size() != 2 || s[0] != "r2")
        return exchange.send(404, "application/xml", xmlError("NoSuchKey", "The specified key does not exist."));
    if (exchange.method() != "GET" && exchange.method() != "HEAD")
        return exchange.send(405, "application/xml", xmlError("MethodNotAllowed", "Method not allowed"));
    const std::string& key = s[1];
    if (exchange.hasAuthorization())
        return exchange.send(400, "application/xml", xmlError("InvalidRequest", "Missing x-amz-content-sha256"));
    const auto fixture = file(key);
    if (!fixture)
        return exchange.send(404, "application/xml", xmlError("NoSuchKey", "The specified key does not exist."));

    const std::string date = exchange.query("X-Amz-Date").value_or("");
    const std::string expires = exchange.query("X-Amz-Expires").value_or("");
    const std::string disposition = exchange.query("response-content-disposition").value_or("");
    const std::string signature = exchange.query("X-Amz-Signature").value_or("");
    const std::string credential = exchange.query("X-Amz-Credential").value_or("");
    if (!signer().verify("/r2/" + key + "\n" + credential + "\n" + date + "\n" + expires + "\n" + disposition,
                         signature))
        return exchange.send(403, "application/xml",
                             xmlError("AccessDenied", "The request signature we calculated does not match"));
    const Fault fault = faults().effective(service(), "civitai.storage", key);
    bool expired = false;
    Poco::DateTime signedAt;
    int zone = 0;
    if (Poco::DateTimeParser::tryParse("%Y%m%dT%H%M%SZ", date, signedAt, zone)) {
        const auto age = Poco::Timestamp() - signedAt.timestamp();
        expired = age > Poco::Timespan(std::stoll(expires.empty() ? "0" : expires), 0).totalMicroseconds();
    }
    if (fault.expireAfterS) {
        const auto age = signer().ageSeconds(signature);
        expired = expired || !age || *age > *fault.expireAfterS;
    }
    if (expired)
        return exchange.send(403, "application/xml", xmlError("AccessDenied", "Request has expired"));
    if (injectFailure(exchange, Listener::Storage, "civitai.storage", key))
        return;

    exchange.setHeader("Content-Type", "application/octet-stream");
    exchange.setHeader("Content-Disposition", disposition);
    exchange.setHeader("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT");
    serveFile(exchange, *fixture, "\"" + fixture->hashes().md5Like + "\"", fault);
}

// ---------------------------------------------------------------- fixture documents

void FakeCivitai::loadServiceFixture(const Poco::JSON::Object& section)
{
    auto strings = [](const Object& object, const std::string& key) {
        std::vector<std::string> values;
        if (const auto array = object.getArray(key))
            for (std::size_t i = 0; i < array->size(); ++i)
                values.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
        return values;
    };
    const auto models = section.getArray("models");
    for (std::size_t m = 0; models && m < models->size(); ++m) {
        const auto modelJson = models->getObject(static_cast<unsigned>(m));
        if (!modelJson)
            throw std::invalid_argument("civitai.models[] entries must be objects");
        CivitaiModel model;
        model.id = static_cast<int>(intField(*modelJson, "id"));
        model.name = stringField(*modelJson, "name", "Model " + std::to_string(model.id));
        model.type = stringField(*modelJson, "type", model.type);
        model.nsfw = boolField(*modelJson, "nsfw");
        model.poi = boolField(*modelJson, "poi");
        model.mode = stringField(*modelJson, "mode");
        model.creator = stringField(*modelJson, "creator", model.creator);
        model.description = stringField(*modelJson, "description");
        model.tags = strings(*modelJson, "tags");
        addModel(model);
        const auto versions = modelJson->getArray("versions");
        for (std::size_t v = 0; versions && v < versions->size(); ++v) {
            const auto versionJson = versions->getObject(static_cast<unsigned>(v));
            if (!versionJson)
                throw std::invalid_argument("versions[] entries must be objects");
            CivitaiVersion version;
            version.id = static_cast<int>(intField(*versionJson, "id"));
            version.modelId = model.id;
            version.name = stringField(*versionJson, "name", version.name);
            version.baseModel = stringField(*versionJson, "baseModel", version.baseModel);
            version.status = stringField(*versionJson, "status", version.status);
            version.availability = stringField(*versionJson, "availability", version.availability);
            version.usageControl = stringField(*versionJson, "usageControl", version.usageControl);
            version.requireAuth = boolField(*versionJson, "requireAuth");
            version.earlyAccessEndsAt = stringField(*versionJson, "earlyAccessEndsAt");
            version.publishedAt = stringField(*versionJson, "publishedAt", version.publishedAt);
            version.trainedWords = strings(*versionJson, "trainedWords");
            const auto files = versionJson->getArray("files");
            for (std::size_t f = 0; files && f < files->size(); ++f) {
                const auto fileJson = files->getObject(static_cast<unsigned>(f));
                if (!fileJson)
                    throw std::invalid_argument("files[] entries must be objects");
                CivitaiFile entry;
                entry.id = static_cast<int>(intField(*fileJson, "id"));
                entry.fileKey = stringField(*fileJson, "file_key");
                entry.type = stringField(*fileJson, "type", entry.type);
                entry.format = stringField(*fileJson, "format", entry.format);
                entry.size = stringField(*fileJson, "size", entry.size);
                entry.fp = stringField(*fileJson, "fp", entry.fp);
                entry.name = stringField(*fileJson, "name");
                version.files.push_back(entry);
            }
            addVersion(version);
        }
    }
    const auto images = section.getArray("images");
    for (std::size_t i = 0; images && i < images->size(); ++i) {
        const auto imageJson = images->getObject(static_cast<unsigned>(i));
        if (!imageJson)
            throw std::invalid_argument("civitai.images[] entries must be objects");
        CivitaiImage image;
        image.id = static_cast<int>(intField(*imageJson, "id"));
        image.postId = static_cast<int>(intField(*imageJson, "postId"));
        image.modelVersionId = static_cast<int>(intField(*imageJson, "modelVersionId"));
        image.username = stringField(*imageJson, "username", image.username);
        image.prompt = stringField(*imageJson, "prompt");
        image.negativePrompt = stringField(*imageJson, "negativePrompt");
        image.steps = static_cast<int>(intField(*imageJson, "steps", image.steps));
        image.sampler = stringField(*imageJson, "sampler", image.sampler);
        image.seed = intField(*imageJson, "seed", image.seed);
        image.hideMeta = boolField(*imageJson, "hide_meta");
        image.process = stringField(*imageJson, "process", image.process);
        image.type = stringField(*imageJson, "type", image.type);
        image.url = stringField(*imageJson, "url");
        image.workflow = stringField(*imageJson, "workflow");
        const auto metaResources = imageJson->getArray("meta_resources");
        for (std::size_t r = 0; metaResources && r < metaResources->size(); ++r) {
            const auto resourceJson = metaResources->getObject(static_cast<unsigned>(r));
            if (!resourceJson)
                throw std::invalid_argument("meta_resources[] entries must be objects");
            CivitaiImage::MetaResource resource;
            resource.name = stringField(*resourceJson, "name");
            resource.type = stringField(*resourceJson, "type");
            resource.hash = stringField(*resourceJson, "hash");
            if (resourceJson->has("weight"))
                resource.weight = resourceJson->getValue<double>("weight");
            image.metaResources.push_back(resource);
        }
        for (const char* listName : {"techniques", "tools"}) {
            const auto list = imageJson->getArray(listName);
            auto& target = std::string(listName) == "tools" ? image.tools : image.techniques;
            for (std::size_t t = 0; list && t < list->size(); ++t)
                target.push_back(list->getElement<std::string>(static_cast<unsigned>(t)));
        }
        if (imageJson->has("cfgScale"))
            image.cfgScale = imageJson->getValue<double>("cfgScale");
        const auto resources = imageJson->getArray("resources");
        for (std::size_t r = 0; resources && r < resources->size(); ++r) {
            const auto resourceJson = resources->getObject(static_cast<unsigned>(r));
            if (!resourceJson)
                throw std::invalid_argument("resources[] entries must be objects");
            CivitaiImage::Resource resource;
            resource.modelVersionId = static_cast<int>(intField(*resourceJson, "modelVersionId"));
            if (resourceJson->has("strength"))
                resource.strength = resourceJson->getValue<double>("strength");
            image.resources.push_back(resource);
        }
        addImage(image);
    }
    const auto settings = section.getObject("settings");
    if (settings) {
        if (settings->has("download_limit"))
            setDownloadLimit(static_cast<int>(intField(*settings, "download_limit")));
        if (settings->has("head_requires_auth_bug"))
            setHeadRequiresAuthBug(boolField(*settings, "head_requires_auth_bug"));
        if (settings->has("devalue"))
            setDevalueMode(boolField(*settings, "devalue"));
        if (settings->has("malformed_envelope"))
            setMalformedEnvelope(boolField(*settings, "malformed_envelope"));
        if (const auto blocked = settings->getArray("blocked_users"))
            for (std::size_t i = 0; i < blocked->size(); ++i)
                blockUser(blocked->getElement<int>(static_cast<unsigned>(i)));
    }
}

} // namespace comfygate::fakes

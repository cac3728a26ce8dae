#pragma once

// The fake CivitAI and Hugging Face (tests/fakes/model-sources) with the fixtures the
// model-download suites share, plus the real HttpClient the resolvers and transfers use.

#include "CivitaiResolver.h"
#include "FakeCivitai.h"
#include "FakeHuggingFace.h"
#include "FileTransfer.h"
#include "HuggingFaceResolver.h"

#include "CurlHttpClient.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace comfygate::test {

namespace fakes = comfygate::fakes;
namespace md = comfygate::modeldownload;

/// Version ids and repositories of the shared fixture.
struct ModelSourceIds
{
    static constexpr int model = 100;
    static constexpr int version = 1001;   ///< one primary file "main" (256 KiB)
    static constexpr int multiFile = 1002; ///< full fp32 (1), pruned fp16 primary (2), VAE (3)
    static constexpr int generationOnly = 1003;
    static constexpr int earlyAccess = 1004; ///< until 2099-01-01, bought by tok-member
    static constexpr int loginRequired = 1005;
    static constexpr int archivedModel = 200;
    static constexpr int archived = 2001;
    static constexpr std::uint64_t fileSize = 256 * 1024;
};

class ModelSources
{
public:
    ModelSources()
    {
        using fakes::ContentKind;
        civitai.addFile(
            fakes::FileSpec{"main", "juggernaut_v9.safetensors", ModelSourceIds::fileSize, 7, ContentKind::Prng});
        civitai.addFile(fakes::FileSpec{"full", "model_full_fp32.safetensors", 96 * 1024, 8, ContentKind::Prng});
        civitai.addFile(fakes::FileSpec{"pruned", "model_pruned_fp16.safetensors", 64 * 1024, 9, ContentKind::Prng});
        civitai.addFile(fakes::FileSpec{"vae", "model_vae.safetensors", 32 * 1024, 10, ContentKind::Prng});

        fakes::CivitaiModel model;
        model.id = ModelSourceIds::model;
        model.name = "Juggernaut";
        civitai.addModel(model);
        fakes::CivitaiModel archivedModel;
        archivedModel.id = ModelSourceIds::archivedModel;
        archivedModel.name = "Old";
        archivedModel.mode = "Archived";
        civitai.addModel(archivedModel);

        addVersion(ModelSourceIds::version, ModelSourceIds::model, {file(11, "main")});
        addVersion(ModelSourceIds::multiFile, ModelSourceIds::model,
                   {file(21, "full", "Model", "full", "fp32"), file(22, "pruned", "Model", "pruned", "fp16"),
                    file(23, "vae", "VAE", "pruned", "fp16")});
        addVersion(ModelSourceIds::generationOnly, ModelSourceIds::model, {file(31, "vae")},
                   [](fakes::CivitaiVersion& v) { v.usageControl = "Generation"; });
        addVersion(ModelSourceIds::earlyAccess, ModelSourceIds::model, {file(41, "vae")}, [](fakes::CivitaiVersion& v) {
            v.availability = "EarlyAccess";
            v.earlyAccessEndsAt = "2099-01-01T00:00:00.000Z";
        });
        addVersion(ModelSourceIds::loginRequired, ModelSourceIds::model, {file(51, "vae")},
                   [](fakes::CivitaiVersion& v) { v.requireAuth = true; });
        addVersion(ModelSourceIds::archived, ModelSourceIds::archivedModel, {file(61, "vae")});
        civitai.tokens().grantEarlyAccess("tok-member", ModelSourceIds::earlyAccess);

        hf.addFile(fakes::FileSpec{"lfs", "flux_unet.safetensors", ModelSourceIds::fileSize, 21, ContentKind::Prng});
        hf.addFile(fakes::FileSpec{"lfs-v1", "flux_unet.safetensors", 128 * 1024, 22, ContentKind::Prng});
        hf.addFile(fakes::FileSpec{"small", "config.json", 0, 0, ContentKind::Bytes, "{\"model_type\": \"flux\"}\n"});
        const std::string main = fakes::FakeHuggingFace::commitSha("main");
        const std::string v1 = fakes::FakeHuggingFace::commitSha("v1");
        fakes::HfRepo repo;
        repo.id = "org/flux";
        repo.revisions = {{"main", main}, {"v1.0", v1}};
        repo.commits = {fakes::HfCommit{main,
                                        {fakes::HfEntry{"unet/flux_unet.safetensors", "lfs", true},
                                         fakes::HfEntry{"config.json", "small", false}}},
                        fakes::HfCommit{v1, {fakes::HfEntry{"unet/flux_unet.safetensors", "lfs-v1", true}}}};
        hf.addRepo(repo);
        fakes::HfRepo gated = repo;
        gated.id = "org/gated";
        gated.gated = "manual";
        hf.addRepo(gated);
        fakes::HfRepo renamed = repo;
        renamed.id = "neworg/flux";
        renamed.renamedFrom = "oldorg/flux";
        hf.addRepo(renamed);

        civitai.start();
        hf.start();
    }

    md::CivitaiResolver civitaiResolver() { return md::CivitaiResolver(http, {civitai.apiUrl()}, resolverSettings()); }

    md::HuggingFaceResolver hfResolver() { return md::HuggingFaceResolver(http, hf.apiUrl(), resolverSettings()); }

    static md::ResolverSettings resolverSettings()
    {
        md::ResolverSettings settings;
        settings.maxAttempts = 3;
        settings.retryBaseDelay = std::chrono::milliseconds(10);
        settings.retryMaxDelay = std::chrono::milliseconds(3000);
        settings.timeout = std::chrono::milliseconds(10000);
        return settings;
    }

    static md::FileTransfer::Settings transferSettings()
    {
        md::FileTransfer::Settings settings;
        settings.maxAttempts = 4;
        settings.retryBaseDelay = std::chrono::milliseconds(10);
        settings.retryMaxDelay = std::chrono::milliseconds(3000);
        settings.stallTimeout = std::chrono::seconds(1);
        settings.allowPrivateAddresses = true; // the fakes live on loopback
        settings.progressInterval = std::chrono::milliseconds(20);
        return settings;
    }

    static md::SourceRequest civitaiRequest(int version, const std::string& key = "")
    {
        md::SourceRequest request;
        request.source = "civitai";
        request.modelVersionId = std::to_string(version);
        request.apiKey = key;
        return request;
    }

    static md::SourceRequest hfRequest(const std::string& repo, const std::string& path, const std::string& key = "",
                                       const std::string& revision = "main")
    {
        md::SourceRequest request;
        request.source = "huggingface";
        request.repoId = repo;
        request.filename = path;
        request.revision = revision;
        request.apiKey = key;
        return request;
    }

    /// Empties both request logs once the requests in flight are recorded (a request's log
    /// entry completes a moment after its client has the answer).
    void clearLogs()
    {
        civitai.log();
        civitai.clearLog();
        hf.log();
        hf.clearLog();
    }

    std::vector<fakes::LogEntry> civitaiLog(const std::string& listener) const
    {
        return civitai.log([&](const fakes::LogEntry& e) { return e.listener == listener; });
    }

    /// File downloads (GETs) CivitAI's storage host answered.
    std::size_t civitaiStorageGets() const
    {
        std::size_t gets = 0;
        for (const auto& entry : civitaiLog("storage"))
            gets += entry.method == "GET";
        return gets;
    }

    std::vector<fakes::LogEntry> hfLog(const std::string& listener) const
    {
        return hf.log([&](const fakes::LogEntry& e) { return e.listener == listener; });
    }

    static std::string read(const std::string& path)
    {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    fakes::FakeCivitai civitai;
    fakes::FakeHuggingFace hf;
    CurlHttpClient http{Poco::Logger::get("test.http")};

private:
    static fakes::CivitaiFile file(int id, const std::string& key, const std::string& type = "Model",
                                   const std::string& size = "pruned", const std::string& fp = "fp16")
    {
        fakes::CivitaiFile f;
        f.id = id;
        f.fileKey = key;
        f.type = type;
        f.size = size;
        f.fp = fp;
        return f;
    }

    template <typename Adjust = void (*)(fakes::CivitaiVersion&)>
    void addVersion(
        int id, int modelId, std::vector<fakes::CivitaiFile> files, Adjust adjust = [](fakes::CivitaiVersion&) {})
    {
        fakes::CivitaiVersion version;
        version.id = id;
        version.modelId = modelId;
        version.files = std::move(files);
        adjust(version);
        civitai.addVersion(version);
    }
};

} // namespace comfygate::test

// CivitaiResolver and HuggingFaceResolver against the fake CivitAI and Hugging Face servers
// over real HTTP (reference §5.4 scenarios 2, 3, 4 and 9 as far as resolution goes).
#include "ModelSources.h"

#include <cppunit/extensions/HelperMacros.h>

using namespace comfygate::test;
using comfygate::HttpClientError;
using comfygate::modeldownload::DownloadRefused;
using comfygate::modeldownload::ResolvedFile;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

template <typename Resolve> std::string refusal(Resolve resolve)
{
    try {
        resolve();
    } catch (const DownloadRefused& refused) {
        return refused.what();
    }
    CPPUNIT_FAIL("the request was not refused");
    return {};
}

} // namespace

class ResolverTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ResolverTest);
    CPPUNIT_TEST(testCivitaiPrimaryFile);
    CPPUNIT_TEST(testCivitaiKeyGoesOnlyToTheApiAsBearer);
    CPPUNIT_TEST(testCivitaiMultiFileSelection);
    CPPUNIT_TEST(testCivitaiRefusals);
    CPPUNIT_TEST(testCivitaiLoginRequiredExplained);
    CPPUNIT_TEST(testCivitaiEarlyAccessEntitled);
    CPPUNIT_TEST(testCivitaiRetriesServerErrors);
    CPPUNIT_TEST(testCivitaiUnreachableIsAnHttpError);
    CPPUNIT_TEST(testHuggingFaceLfsFromTheRedirect);
    CPPUNIT_TEST(testHuggingFaceRevisionPinnedToCommit);
    CPPUNIT_TEST(testHuggingFaceSmallRegularFile);
    CPPUNIT_TEST(testHuggingFaceResolveCacheRedirect);
    CPPUNIT_TEST(testHuggingFaceRenamedRepository);
    CPPUNIT_TEST(testHuggingFaceGatedRepository);
    CPPUNIT_TEST(testHuggingFaceErrors);
    CPPUNIT_TEST(testHuggingFaceRateLimitRetried);
    CPPUNIT_TEST_SUITE_END();

public:
    void testCivitaiPrimaryFile()
    {
        ModelSources sources;
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        CPPUNIT_ASSERT_EQUAL(sources.civitai.apiUrl() + "/api/download/models/1001?fileId=11", file.downloadUrl);
        CPPUNIT_ASSERT_EQUAL(std::string("juggernaut_v9.safetensors"), file.fileName);
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("main"), file.sha256); // lower-cased from the API's upper case
        CPPUNIT_ASSERT_EQUAL(std::string("11"), file.pin);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(-1), file.size); // sizeKB is approximate: only a hint
        CPPUNIT_ASSERT(std::abs(file.sizeHint - std::int64_t(ModelSourceIds::fileSize)) <= 1024);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), file.credentialHosts.size());
        CPPUNIT_ASSERT_EQUAL("127.0.0.1:" + std::to_string(sources.civitai.apiPort()), file.credentialHosts[0]);

        // Metadata, then one probe of the download route that does not follow its redirect.
        const auto api = sources.civitaiLog("api");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), api.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/model-versions/1001"), api[0].path);
        CPPUNIT_ASSERT_EQUAL(std::string("/api/download/models/1001"), api[1].path);
        CPPUNIT_ASSERT_EQUAL(307, api[1].status);
        CPPUNIT_ASSERT(sources.civitaiLog("storage").empty());
        CPPUNIT_ASSERT(!contains(api[0].userAgent, "Mozilla"));
    }

    void testCivitaiKeyGoesOnlyToTheApiAsBearer()
    {
        ModelSources sources;
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version, "tok-ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("tok-ok"), file.apiKey);
        for (const auto& entry : sources.civitaiLog("api")) {
            CPPUNIT_ASSERT(entry.authorization);
            CPPUNIT_ASSERT(!entry.tokenInQuery); // never ?token=: it would end up in logs
        }
        CPPUNIT_ASSERT(!contains(file.downloadUrl, "token"));
    }

    void testCivitaiMultiFileSelection()
    {
        ModelSources sources;
        auto resolver = sources.civitaiResolver();
        auto request = ModelSources::civitaiRequest(ModelSourceIds::multiFile);
        CPPUNIT_ASSERT_EQUAL(std::string("22"), resolver.resolve(request).pin); // the primary one

        request.type = "VAE";
        const ResolvedFile vae = resolver.resolve(request);
        CPPUNIT_ASSERT_EQUAL(std::string("23"), vae.pin);
        CPPUNIT_ASSERT(contains(vae.downloadUrl, "fileId=23"));
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("vae"), vae.sha256);

        request.type = "Model";
        request.size = "full";
        request.fp = "fp32";
        CPPUNIT_ASSERT_EQUAL(sources.civitai.sha256("full"), resolver.resolve(request).sha256);

        request.fp = "bf16";
        const std::string why = refusal([&] { resolver.resolve(request); });
        CPPUNIT_ASSERT_MESSAGE(
            why, contains(why, "no file of CivitAI model version 1002 matches type=Model, size=full, fp=bf16"));
        CPPUNIT_ASSERT_MESSAGE(why, contains(why, "model_vae.safetensors (VAE, SafeTensor, pruned, fp16)"));
    }

    void testCivitaiRefusals()
    {
        ModelSources sources;
        auto resolver = sources.civitaiResolver();
        const auto reason = [&](int version) {
            return refusal([&] { resolver.resolve(ModelSources::civitaiRequest(version, "tok-ok")); });
        };
        CPPUNIT_ASSERT(contains(reason(ModelSourceIds::generationOnly), "generation-only model"));
        const std::string early = reason(ModelSourceIds::earlyAccess);
        CPPUNIT_ASSERT_MESSAGE(early, contains(early, "early access until 2099-01-01T00:00:00.000Z"));
        CPPUNIT_ASSERT(contains(reason(ModelSourceIds::archived), "archived"));
        const std::string missing = reason(424242);
        CPPUNIT_ASSERT_MESSAGE(missing, contains(missing, "424242 not found"));
        CPPUNIT_ASSERT(contains(refusal([&] { resolver.resolve(ModelSources::civitaiRequest(1, "")); }), "not found"));
        auto bad = ModelSources::civitaiRequest(1);
        bad.modelVersionId = "1/../../me";
        CPPUNIT_ASSERT(contains(refusal([&] { resolver.resolve(bad); }), "is a number"));
        bad = ModelSources::civitaiRequest(ModelSourceIds::version);
        bad.civitaiHost = "evil.example";
        CPPUNIT_ASSERT(contains(refusal([&] { resolver.resolve(bad); }), "not a configured CivitAI host"));
        // Nothing was ever fetched from storage while refusing.
        CPPUNIT_ASSERT(sources.civitaiLog("storage").empty());
    }

    void testCivitaiLoginRequiredExplained()
    {
        ModelSources sources;
        auto resolver = sources.civitaiResolver();
        const auto reason = [&](const std::string& key) {
            return refusal([&] { resolver.resolve(ModelSources::civitaiRequest(ModelSourceIds::loginRequired, key)); });
        };
        const std::string anonymous = reason("");
        CPPUNIT_ASSERT_MESSAGE(anonymous, contains(anonymous, "CivitAI requires an API key for this model"));
        const std::string invalid = reason("tok-invalid");
        CPPUNIT_ASSERT_MESSAGE(invalid, contains(invalid, "API key was rejected"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1),
                             sources.civitai.log([](const auto& e) { return e.path == "/api/v1/me"; }).size());
        const ResolvedFile ok = resolver.resolve(ModelSources::civitaiRequest(ModelSourceIds::loginRequired, "tok-ok"));
        CPPUNIT_ASSERT_EQUAL(std::string("51"), ok.pin);
    }

    void testCivitaiEarlyAccessEntitled()
    {
        ModelSources sources;
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::earlyAccess, "tok-member"));
        CPPUNIT_ASSERT_EQUAL(std::string("41"), file.pin);
    }

    void testCivitaiRetriesServerErrors()
    {
        ModelSources sources;
        fakes::Fault fault;
        fault.failFirstN = 2;
        fault.failStatus = 503;
        sources.civitai.setFault("civitai.model-versions", fault);
        const ResolvedFile file =
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
        CPPUNIT_ASSERT_EQUAL(std::string("11"), file.pin);
        const auto metadata =
            sources.civitai.log([](const auto& e) { return e.path == "/api/v1/model-versions/1001"; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), metadata.size());

        fault.failFirstN = 5;
        sources.civitai.setFault("civitai.model-versions", fault);
        try {
            sources.civitaiResolver().resolve(ModelSources::civitaiRequest(ModelSourceIds::version));
            CPPUNIT_FAIL("a source that keeps failing resolved");
        } catch (const HttpClientError& error) {
            CPPUNIT_ASSERT(error.retryable());
            CPPUNIT_ASSERT_MESSAGE(error.what(), contains(error.what(), "503"));
        }
    }

    void testCivitaiUnreachableIsAnHttpError()
    {
        ModelSources sources;
        comfygate::modeldownload::CivitaiResolver resolver(sources.http, {"http://127.0.0.1:1"},
                                                           ModelSources::resolverSettings());
        CPPUNIT_ASSERT_THROW(resolver.resolve(ModelSources::civitaiRequest(ModelSourceIds::version)), HttpClientError);
    }

    void testHuggingFaceLfsFromTheRedirect()
    {
        ModelSources sources;
        const ResolvedFile file =
            sources.hfResolver().resolve(ModelSources::hfRequest("org/flux", "unet/flux_unet.safetensors", "tok-ok"));
        const std::string commit = fakes::FakeHuggingFace::commitSha("main");
        CPPUNIT_ASSERT_EQUAL(commit, file.pin);
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"), file.sha256);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(ModelSourceIds::fileSize), file.size);
        CPPUNIT_ASSERT_EQUAL(sources.hf.apiUrl() + "/org/flux/resolve/" + commit + "/unet/flux_unet.safetensors",
                             file.downloadUrl);
        CPPUNIT_ASSERT_EQUAL(std::string("flux_unet.safetensors"), file.fileName);
        CPPUNIT_ASSERT_EQUAL("127.0.0.1:" + std::to_string(sources.hf.apiPort()), file.credentialHosts.at(0));

        // One HEAD, its 302 not followed: the CDN saw nothing.
        const auto api = sources.hfLog("api");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), api.size());
        CPPUNIT_ASSERT_EQUAL(std::string("HEAD"), api[0].method);
        CPPUNIT_ASSERT_EQUAL(302, api[0].status);
        CPPUNIT_ASSERT(api[0].authorization);
        CPPUNIT_ASSERT(sources.hfLog("cdn").empty());
    }

    void testHuggingFaceRevisionPinnedToCommit()
    {
        ModelSources sources;
        auto request = ModelSources::hfRequest("org/flux", "flux_unet.safetensors", "", "v1.0");
        request.subfolder = "unet";
        const ResolvedFile file = sources.hfResolver().resolve(request);
        CPPUNIT_ASSERT_EQUAL(fakes::FakeHuggingFace::commitSha("v1"), file.pin);
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs-v1"), file.sha256);
        CPPUNIT_ASSERT(contains(file.downloadUrl, "/resolve/" + fakes::FakeHuggingFace::commitSha("v1") + "/unet/"));
    }

    void testHuggingFaceSmallRegularFile()
    {
        ModelSources sources;
        const ResolvedFile file = sources.hfResolver().resolve(ModelSources::hfRequest("org/flux", "config.json"));
        CPPUNIT_ASSERT_EQUAL(std::string(), file.sha256); // only the git blob id is known
        CPPUNIT_ASSERT_EQUAL(sources.hf.hashes("small").sha1Git, file.gitBlobSha1);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(sources.hf.content("small").size()), file.size);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sources.hfLog("api").size());
        CPPUNIT_ASSERT_EQUAL(200, sources.hfLog("api")[0].status);
    }

    void testHuggingFaceResolveCacheRedirect()
    {
        ModelSources sources;
        sources.hf.setResolveCacheRedirect(true);
        const ResolvedFile file = sources.hfResolver().resolve(ModelSources::hfRequest("org/flux", "config.json"));
        CPPUNIT_ASSERT_EQUAL(sources.hf.hashes("small").sha1Git, file.gitBlobSha1);
        // Pinned to the resolve route (stable), not to the cache URL it was redirected to.
        CPPUNIT_ASSERT_EQUAL(sources.hf.apiUrl() + "/org/flux/resolve/" + fakes::FakeHuggingFace::commitSha("main") +
                                 "/config.json",
                             file.downloadUrl);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sources.hfLog("api").size());
    }

    void testHuggingFaceRenamedRepository()
    {
        ModelSources sources;
        const ResolvedFile file =
            sources.hfResolver().resolve(ModelSources::hfRequest("oldorg/flux", "unet/flux_unet.safetensors"));
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"), file.sha256);
        CPPUNIT_ASSERT_MESSAGE(file.downloadUrl, contains(file.downloadUrl, "/neworg/flux/resolve/"));
        const auto api = sources.hfLog("api");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), api.size());
        CPPUNIT_ASSERT_EQUAL(307, api[0].status);
    }

    void testHuggingFaceGatedRepository()
    {
        ModelSources sources;
        auto resolver = sources.hfResolver();
        const auto reason = [&](const std::string& key) {
            return refusal([&] { resolver.resolve(ModelSources::hfRequest("org/gated", "config.json", key)); });
        };
        const std::string anonymous = reason("");
        CPPUNIT_ASSERT_MESSAGE(anonymous, contains(anonymous, "gated repository: request access at " +
                                                                  sources.hf.apiUrl() + "/org/gated"));
        const std::string noAccess = reason("tok-nogate");
        CPPUNIT_ASSERT_MESSAGE(noAccess, contains(noAccess, "your Hugging Face token has no access yet"));
        CPPUNIT_ASSERT_MESSAGE(noAccess, contains(noAccess, "request access at"));
        const ResolvedFile granted = resolver.resolve(ModelSources::hfRequest("org/gated", "config.json", "tok-gate"));
        CPPUNIT_ASSERT(!granted.gitBlobSha1.empty());
    }

    void testHuggingFaceErrors()
    {
        ModelSources sources;
        auto resolver = sources.hfResolver();
        const auto reason = [&](const std::string& repo, const std::string& path, const std::string& key = "",
                                const std::string& revision = "main") {
            return refusal([&] { resolver.resolve(ModelSources::hfRequest(repo, path, key, revision)); });
        };
        CPPUNIT_ASSERT_EQUAL(std::string("repository not found or private: check the name or set a Hugging Face token"),
                             reason("org/missing", "x.safetensors"));
        CPPUNIT_ASSERT(contains(reason("org/flux", "x.safetensors", "tok-invalid"), "token was rejected"));
        CPPUNIT_ASSERT(
            contains(reason("org/flux", "x.safetensors", "", "nope"), "revision nope not found in org/flux"));
        CPPUNIT_ASSERT(
            contains(reason("org/flux", "missing.safetensors"), "file missing.safetensors not found in org/flux"));
        CPPUNIT_ASSERT(contains(reason("flux", "x"), "owner/name"));
        CPPUNIT_ASSERT(contains(reason("../etc", "x"), ".."));
        CPPUNIT_ASSERT(contains(reason("org/flux", "../../etc/passwd"), ".."));
        CPPUNIT_ASSERT(sources.hfLog("cdn").empty());
    }

    void testHuggingFaceRateLimitRetried()
    {
        ModelSources sources;
        fakes::Fault fault;
        fault.failFirstN = 1;
        fault.failStatus = 429;
        fault.retryAfter = 1;
        sources.hf.setFault("hf.resolve", fault);
        const auto started = std::chrono::steady_clock::now();
        const ResolvedFile file =
            sources.hfResolver().resolve(ModelSources::hfRequest("org/flux", "unet/flux_unet.safetensors"));
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"), file.sha256);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900)); // Retry-After: 1
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), sources.hfLog("api").size());

        // Hugging Face's own form: no Retry-After, `RateLimit: "resolvers";r=0;t=1`.
        sources.clearLogs();
        fault.retryAfter.reset();
        fault.ratelimitReset = 1;
        sources.hf.setFault("hf.resolve", fault);
        const auto again = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL(sources.hf.sha256("lfs"),
                             sources.hfResolver()
                                 .resolve(ModelSources::hfRequest("org/flux", "unet/flux_unet.safetensors"))
                                 .sha256);
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - again >= std::chrono::milliseconds(900));
        CPPUNIT_ASSERT_EQUAL(429, sources.hfLog("api").at(0).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ResolverTest);

#include "CurlHttpClient.h"
#include "FakeCivitai.h"
#include "FakeHuggingFace.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace comfygate::fakes;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

struct Reply
{
    int status = 0;
    std::map<std::string, std::string> headers; ///< lower-case names
    std::string body;
    bool timedOut = false;

    std::string header(const std::string& name) const
    {
        const auto found = headers.find(Poco::toLower(name));
        return found == headers.end() ? std::string() : found->second;
    }
    bool has(const std::string& name) const { return headers.count(Poco::toLower(name)) > 0; }
    Object::Ptr json() const { return Poco::JSON::Parser().parse(body).extract<Object::Ptr>(); }
    Array::Ptr jsonArray() const { return Poco::JSON::Parser().parse(body).extract<Array::Ptr>(); }
};

/// One request to an absolute URL, no redirect following; a partial body is kept when the
/// server closes early or the receive timeout strikes.
Reply fetch(const std::string& url, const std::map<std::string, std::string>& headers = {},
            const std::string& method = "GET", const std::string& body = {},
            std::chrono::milliseconds receiveTimeout = std::chrono::milliseconds(5000))
{
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(5, 0), Poco::Timespan(5, 0),
                       Poco::Timespan(static_cast<long>(receiveTimeout.count()) * 1000));
    Poco::Net::HTTPRequest request(method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers)
        request.set(name, value);
    if (!body.empty())
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Reply reply;
    reply.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response)
        reply.headers[Poco::toLower(name)] = value;
    if (method == "HEAD")
        return reply;
    // Straight from the stream buffer: istream would turn a receive timeout into badbit and
    // drop what the last read had already copied. An early close by the server is just EOF.
    std::streambuf* buffer = in.rdbuf();
    char chunk[65536];
    try {
        while (buffer->sgetc() != std::char_traits<char>::eof()) {
            const std::streamsize available = std::min<std::streamsize>(buffer->in_avail(), sizeof chunk);
            reply.body.append(chunk, static_cast<std::size_t>(buffer->sgetn(chunk, available)));
        }
    } catch (const Poco::TimeoutException&) {
        reply.timedOut = true;
    }
    return reply;
}

std::string sha256Hex(const std::string& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    std::ostringstream hex;
    for (unsigned i = 0; i < length; ++i)
        hex << std::hex << (digest[i] >> 4) << (digest[i] & 0xF);
    return hex.str();
}

std::string sha1Hex(const std::string& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
    std::ostringstream hex;
    for (unsigned i = 0; i < length; ++i)
        hex << std::hex << (digest[i] >> 4) << (digest[i] & 0xF);
    return hex.str();
}

const std::string kCommitMain = FakeHuggingFace::commitSha("main");
const std::string kCommitOld = FakeHuggingFace::commitSha("old");
const std::string kBrowserUa = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";

long residentKiB()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace

class FakeModelSourcesTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(FakeModelSourcesTest);
    CPPUNIT_TEST(testFixtureContentIsRandomAccessAndSafetensorsIsValid);
    CPPUNIT_TEST(testListenersUseDifferentHosts);
    CPPUNIT_TEST(testCivitaiVersionShape);
    CPPUNIT_TEST(testCivitaiArchivedAndUnknownVersions);
    CPPUNIT_TEST(testCivitaiModelRoute);
    CPPUNIT_TEST(testCivitaiByHash);
    CPPUNIT_TEST(testCivitaiMe);
    CPPUNIT_TEST(testCivitaiHappyPathWithCurl);
    CPPUNIT_TEST(testCivitaiTokenForms);
    CPPUNIT_TEST(testCivitaiRefusals);
    CPPUNIT_TEST(testCivitaiBrowserLoginTrap);
    CPPUNIT_TEST(testCivitaiFileSelection);
    CPPUNIT_TEST(testCivitaiBlocklistCounterAndHeadBug);
    CPPUNIT_TEST(testCivitaiRequireUa);
    CPPUNIT_TEST(testCivitaiImagesAndGenerationData);
    CPPUNIT_TEST(testStorageRangesAndEtag);
    CPPUNIT_TEST(testStorageRefusesAuthorizationAndBadSignatures);
    CPPUNIT_TEST(testSignedUrlExpiryAndFreshLocation);
    CPPUNIT_TEST(testTruncateThenResume);
    CPPUNIT_TEST(testIgnoreRange);
    CPPUNIT_TEST(testCorruptAt);
    CPPUNIT_TEST(testBadContentLength);
    CPPUNIT_TEST(testStallAndThrottle);
    CPPUNIT_TEST(testParallelRanges);
    CPPUNIT_TEST(testFailFirstNWithRetryAfter);
    CPPUNIT_TEST(testControlRoutes);
    CPPUNIT_TEST(testHfLfsResolveAndCdn);
    CPPUNIT_TEST(testHfRegularFileAndRevalidation);
    CPPUNIT_TEST(testHfErrors);
    CPPUNIT_TEST(testHfRenamedRepoAndResolveCache);
    CPPUNIT_TEST(testHfRateLimit);
    CPPUNIT_TEST(testHfDatasetsDisabledAndRegularFileFaults);
    CPPUNIT_TEST(testHfModelInfo);
    CPPUNIT_TEST(testHfTreePagination);
    CPPUNIT_TEST(testHfCdnSignatureExpiryAndAuthorization);
    CPPUNIT_TEST(testLargeFileStreamsWithFlatMemory);
    CPPUNIT_TEST(testExecutableLoadsFixtureFile);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _civitai = std::make_unique<FakeCivitai>();
        _civitai->addFile({"sd15", "dreamy_v1.safetensors", 300000, 1, ContentKind::Safetensors});
        _civitai->addFile({"sd15-fp32", "dreamy_v1_fp32.safetensors", 200000, 2, ContentKind::Prng});
        _civitai->addFile({"lora", "shiny.safetensors", 50000, 3, ContentKind::Prng});
        _civitai->addFile({"vae", "dreamy.vae.safetensors", 1000, 4, ContentKind::Prng});
        _civitai->addModel({100, "Dreamy", "Checkpoint"});
        _civitai->addModel({200, "Old", "Checkpoint", "Archived"});
        _civitai->addModel({300, "Shiny", "LORA"});
        _civitai->addVersion({.id = 1001,
                              .modelId = 100,
                              .files = {{5001, "sd15", "Model", "SafeTensor", "pruned", "fp16", ""},
                                        {5002, "sd15-fp32", "Model", "SafeTensor", "full", "fp32", ""},
                                        {5006, "vae", "VAE", "SafeTensor", "full", "fp16", ""}}});
        _civitai->addVersion({.id = 1002, .modelId = 300, .usageControl = "Generation", .files = {{5003, "lora"}}});
        _civitai->addVersion(
            {.id = 1003, .modelId = 300, .earlyAccessEndsAt = "2099-01-01T00:00:00.000Z", .files = {{5004, "lora"}}});
        _civitai->addVersion({.id = 1004,
                              .modelId = 300,
                              .requireAuth = true,
                              .publishedAt = "2025-06-01T00:00:00.000Z",
                              .files = {{5005, "lora"}}});
        _civitai->addVersion({.id = 2001, .modelId = 200, .files = {{6001, "lora"}}});
        _civitai->tokens().grantEarlyAccess("tok-member", 1003);
        _civitai->start();

        _hf = std::make_unique<FakeHuggingFace>();
        _hf->addFile({"config", "config.json", 0, 0, ContentKind::Bytes, "{\"model_type\": \"unet\"}\n"});
        _hf->addFile({"weights", "model.safetensors", 400000, 7, ContentKind::Prng});
        _hf->addFile({"weights-old", "model.safetensors", 1000, 8, ContentKind::Prng});
        _hf->addFile({"readme", "README.md", 0, 0, ContentKind::Bytes, "# fake\n"});
        HfRepo model;
        model.id = "org/model";
        model.revisions = {{"main", kCommitMain}, {"v1.0", kCommitOld}};
        model.commits = {{kCommitMain,
                          {{"config.json", "config", std::nullopt},
                           {"unet/model.safetensors", "weights", true},
                           {"unet/config.json", "config", std::nullopt},
                           {"README.md", "readme", std::nullopt},
                           {"text_encoder/model.safetensors", "weights", true}}},
                         {kCommitOld, {{"config.json", "weights-old", std::nullopt}}}};
        model.libraryName = "diffusers";
        _hf->addRepo(model);
        HfRepo gated;
        gated.id = "org/gated";
        gated.gated = "manual";
        gated.revisions = {{"main", kCommitMain}};
        gated.commits = {{kCommitMain, {{"model.safetensors", "weights", true}}}};
        _hf->addRepo(gated);
        HfRepo privateRepo = gated;
        privateRepo.id = "org/private";
        privateRepo.gated.clear();
        privateRepo.isPrivate = true;
        _hf->addRepo(privateRepo);
        HfRepo renamed = gated;
        renamed.id = "neworg/renamed";
        renamed.gated.clear();
        renamed.renamedFrom = "oldorg/renamed";
        _hf->addRepo(renamed);
        _hf->tokens().grantHfAccess("tok-gate", "org/private");
        _hf->start();
    }

    void tearDown() override
    {
        std::thread civitai([this] { _civitai.reset(); });
        _hf.reset();
        civitai.join();
    }

    // ---------------------------------------------------------------- common

    void testFixtureContentIsRandomAccessAndSafetensorsIsValid()
    {
        const FixtureFile prng({"p", "p.bin", 100003, 42, ContentKind::Prng});
        const std::string whole = prng.contentForTests();
        CPPUNIT_ASSERT_EQUAL(std::size_t(100003), whole.size());
        std::string slice(777, '\0');
        prng.read(12345, slice.data(), slice.size());
        CPPUNIT_ASSERT(slice == whole.substr(12345, 777));
        CPPUNIT_ASSERT_EQUAL(sha256Hex(whole), prng.hashes().sha256);
        CPPUNIT_ASSERT_EQUAL(sha1Hex("blob 100003" + std::string(1, '\0') + whole), prng.hashes().sha1Git);
        CPPUNIT_ASSERT_EQUAL(prng.hashes().sha256.substr(0, 10), prng.hashes().autoV2);
        CPPUNIT_ASSERT(FixtureFile({"q", "q", 100003, 43}).hashes().sha256 != prng.hashes().sha256);

        const FixtureFile tensors({"s", "s.safetensors", 4096, 9, ContentKind::Safetensors});
        const std::string bytes = tensors.contentForTests();
        std::uint64_t headerLength = 0;
        for (int i = 7; i >= 0; --i)
            headerLength = headerLength << 8 | static_cast<unsigned char>(bytes[i]);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), (8 + headerLength) % 8);
        const auto header = Poco::JSON::Parser().parse(bytes.substr(8, headerLength)).extract<Object::Ptr>();
        CPPUNIT_ASSERT(header->has("__metadata__"));
        const auto offsets = header->getObject("weight")->getArray("data_offsets");
        CPPUNIT_ASSERT_EQUAL(4096 - 8 - static_cast<int>(headerLength), offsets->getElement<int>(1));
        CPPUNIT_ASSERT_EQUAL(sha256Hex(bytes.substr(8 + headerLength)).substr(0, 12), tensors.hashes().autoV3);
        CPPUNIT_ASSERT_THROW(FixtureFile({"t", "t", 10, 1, ContentKind::Safetensors}), std::invalid_argument);
    }

    void testListenersUseDifferentHosts()
    {
        CPPUNIT_ASSERT(_civitai->apiUrl().rfind("http://127.0.0.1:", 0) == 0);
        CPPUNIT_ASSERT(Poco::URI(_civitai->storageUrl()).getHost() != "127.0.0.1");
        CPPUNIT_ASSERT(Poco::URI(_hf->storageUrl()).getHost() != "127.0.0.1");
        CPPUNIT_ASSERT_EQUAL(404, fetch(_civitai->storageUrl() + "/nothing").status);
    }

    // ---------------------------------------------------------------- CivitAI API

    void testCivitaiVersionShape()
    {
        const Reply reply = fetch(_civitai->apiUrl() + "/api/v1/model-versions/1001");
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        const auto json = reply.json();
        CPPUNIT_ASSERT_EQUAL(1001, json->getValue<int>("id"));
        CPPUNIT_ASSERT_EQUAL(100, json->getValue<int>("modelId"));
        CPPUNIT_ASSERT_EQUAL(std::string("urn:air:sd1:checkpoint:civitai:100@1001"),
                             json->getValue<std::string>("air"));
        CPPUNIT_ASSERT_EQUAL(std::string("Checkpoint"), json->getObject("model")->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(_civitai->downloadUrl(1001), json->getValue<std::string>("downloadUrl"));
        const auto files = json->getArray("files");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), files->size());
        const auto primary = files->getObject(0);
        CPPUNIT_ASSERT(primary->getValue<bool>("primary"));
        CPPUNIT_ASSERT(!files->getObject(1)->getValue<bool>("primary"));
        CPPUNIT_ASSERT_EQUAL(std::string("dreamy_v1.safetensors"), primary->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(Poco::toUpper(_civitai->sha256("sd15")),
                             primary->getObject("hashes")->getValue<std::string>("SHA256"));
        CPPUNIT_ASSERT_EQUAL(300000.0 / 1024.0, primary->getValue<double>("sizeKB"));
        CPPUNIT_ASSERT_EQUAL(std::string("fp16"), primary->getObject("metadata")->getValue<std::string>("fp"));
        CPPUNIT_ASSERT_EQUAL(_civitai->downloadUrl(1001), primary->getValue<std::string>("downloadUrl"));
        CPPUNIT_ASSERT_EQUAL(_civitai->downloadUrl(1001) + "?type=Model&format=SafeTensor&size=full&fp=fp32",
                             files->getObject(1)->getValue<std::string>("downloadUrl"));
        CPPUNIT_ASSERT(reply.header("Cache-Control").find("s-maxage=300") != std::string::npos);
    }

    void testCivitaiArchivedAndUnknownVersions()
    {
        const auto archived = fetch(_civitai->apiUrl() + "/api/v1/model-versions/2001").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), archived->getArray("files")->size());
        CPPUNIT_ASSERT(!archived->has("downloadUrl"));
        CPPUNIT_ASSERT_EQUAL(std::string("Archived"), archived->getObject("model")->getValue<std::string>("mode"));
        const Reply unknown = fetch(_civitai->apiUrl() + "/api/v1/model-versions/9999");
        CPPUNIT_ASSERT_EQUAL(404, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Model not found"), unknown.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(404, fetch(_civitai->apiUrl() + "/api/v1/model-versions/abc").status);
        CPPUNIT_ASSERT_EQUAL(405, fetch(_civitai->apiUrl() + "/api/v1/model-versions/1001", {}, "DELETE").status);
    }

    void testCivitaiModelRoute()
    {
        const Reply reply = fetch(_civitai->apiUrl() + "/api/v1/models/300");
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        const auto json = reply.json();
        CPPUNIT_ASSERT_EQUAL(std::string("LORA"), json->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("fake-creator"),
                             json->getObject("creator")->getValue<std::string>("username"));
        const auto versions = json->getArray("modelVersions");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), versions->size());
        CPPUNIT_ASSERT(!versions->getObject(0)->has("model"));
        CPPUNIT_ASSERT(versions->getObject(0)->getArray("files")->getObject(0)->getValue<bool>("primary"));
        for (const char* bad : {"0", "-1", "abc", "2147483648"})
            CPPUNIT_ASSERT_EQUAL(400, fetch(_civitai->apiUrl() + "/api/v1/models/" + bad).status);
        const Reply missing = fetch(_civitai->apiUrl() + "/api/v1/models/77");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("No model with id 77"), missing.json()->getValue<std::string>("error"));
    }

    void testCivitaiByHash()
    {
        const FileHashes hashes = _civitai->hashes("sd15");
        for (const std::string& hash : {hashes.sha256, Poco::toUpper(hashes.sha256), hashes.autoV2, hashes.crc32}) {
            const Reply reply = fetch(_civitai->apiUrl() + "/api/v1/model-versions/by-hash/" + hash);
            CPPUNIT_ASSERT_EQUAL(200, reply.status);
            CPPUNIT_ASSERT_EQUAL(1001, reply.json()->getValue<int>("id"));
        }
        // "lora" is in 1002, 1003, 1004 (earliest published: 1004) and archived 2001 (same date as 1002).
        const Reply shared = fetch(_civitai->apiUrl() + "/api/v1/model-versions/by-hash/" + _civitai->sha256("lora"));
        CPPUNIT_ASSERT_EQUAL(1004, shared.json()->getValue<int>("id"));
        CPPUNIT_ASSERT_EQUAL(404, fetch(_civitai->apiUrl() + "/api/v1/model-versions/by-hash/ABCDEF0123").status);
    }

    void testCivitaiMe()
    {
        const std::string me = _civitai->apiUrl() + "/api/v1/me";
        const Reply bearer = fetch(me, {{"Authorization", "Bearer tok-ok"}});
        CPPUNIT_ASSERT_EQUAL(200, bearer.status);
        CPPUNIT_ASSERT_EQUAL(1, bearer.json()->getValue<int>("id"));
        CPPUNIT_ASSERT_EQUAL(2, fetch(me + "?token=tok-member").json()->getValue<int>("id"));
        const Reply anonymous = fetch(me);
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Unauthorized"), anonymous.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(401, fetch(me, {{"Authorization", "Bearer nope"}}).status);
    }

    // ---------------------------------------------------------------- CivitAI download route

    void testCivitaiHappyPathWithCurl()
    {
        comfygate::CurlHttpClient client;
        comfygate::HttpClientRequest request;
        request.url = _civitai->downloadUrl(1001);
        request.authorization = "Bearer tok-ok";
        const auto response = client.perform(request);
        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(_civitai->sha256("sd15"), sha256Hex(response.body));
        CPPUNIT_ASSERT_EQUAL(std::string("attachment; filename=\"dreamy_v1.safetensors\""),
                             response.header("content-disposition").value_or(""));
        const auto log = _civitai->log();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), log.size());
        CPPUNIT_ASSERT_EQUAL(std::string("api"), log[0].listener);
        CPPUNIT_ASSERT(log[0].authorization);
        CPPUNIT_ASSERT_EQUAL(307, log[0].status);
        CPPUNIT_ASSERT_EQUAL(std::string("storage"), log[1].listener);
        CPPUNIT_ASSERT(!log[1].authorization);
        CPPUNIT_ASSERT_EQUAL(200, log[1].status);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(300000), log[1].bytesSent);
        CPPUNIT_ASSERT_EQUAL(1, _civitai->downloadsIssued());
    }

    void testCivitaiTokenForms()
    {
        const std::string url = _civitai->downloadUrl(1004);
        const Reply bearer = fetch(url, {{"Authorization", "Bearer tok-ok"}});
        CPPUNIT_ASSERT_EQUAL(307, bearer.status);
        CPPUNIT_ASSERT(bearer.header("Location").rfind(_civitai->storageUrl() + "/r2/lora?", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("no-store, max-age=0"), bearer.header("Cache-Control"));
        CPPUNIT_ASSERT_EQUAL(307, fetch(url + "?token=tok-ok").status);
        // An invalid token is anonymous: the same 401 as no token at all.
        const Reply invalid = fetch(url, {{"Authorization", "Bearer wrong"}});
        CPPUNIT_ASSERT_EQUAL(401, invalid.status);
        CPPUNIT_ASSERT(_civitai->log().back().authorization);
        CPPUNIT_ASSERT_EQUAL(fetch(url).body, invalid.body);
        fetch(url + "?token=tok-ok");
        CPPUNIT_ASSERT(_civitai->log().back().tokenInQuery);
    }

    void testCivitaiRefusals()
    {
        const std::map<std::string, std::string> member = {{"Authorization", "Bearer tok-member"}};
        const Reply generationOnly = fetch(_civitai->downloadUrl(1002), member);
        CPPUNIT_ASSERT_EQUAL(401, generationOnly.status);
        CPPUNIT_ASSERT(generationOnly.json()->getValue<std::string>("message").find("disabled downloads") !=
                       std::string::npos);
        const Reply early = fetch(_civitai->downloadUrl(1003), {{"Authorization", "Bearer tok-ok"}});
        CPPUNIT_ASSERT_EQUAL(403, early.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Early Access"), early.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("2099-01-01T00:00:00.000Z"), early.json()->getValue<std::string>("deadline"));
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1003), member).status);
        const Reply archived = fetch(_civitai->downloadUrl(2001), member);
        CPPUNIT_ASSERT_EQUAL(410, archived.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Model archived, not available for download"),
                             archived.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(404, fetch(_civitai->downloadUrl(4242), member).status);
        const Reply login = fetch(_civitai->downloadUrl(1004));
        CPPUNIT_ASSERT_EQUAL(401, login.status);
        CPPUNIT_ASSERT(login.json()->getValue<std::string>("message").find("logged in") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(400, fetch(_civitai->downloadUrl(1001) + "?fp=fp99", member).status);
        CPPUNIT_ASSERT_EQUAL(400, fetch(_civitai->downloadUrl(1001) + "?fileId=abc", member).status);
        CPPUNIT_ASSERT_EQUAL(400, fetch(_civitai->apiUrl() + "/api/download/models/0", member).status);
        for (const auto& entry : _civitai->log())
            CPPUNIT_ASSERT_EQUAL(std::string("api"), entry.listener);
    }

    void testCivitaiBrowserLoginTrap()
    {
        const Reply redirect = fetch(_civitai->downloadUrl(1004), {{"User-Agent", kBrowserUa}});
        CPPUNIT_ASSERT_EQUAL(307, redirect.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/login?reason=download-auth&returnUrl=%2Fmodel-versions%2F1004"),
                             redirect.header("Location"));
        const Reply page = fetch(_civitai->apiUrl() + redirect.header("Location"), {{"User-Agent", kBrowserUa}});
        CPPUNIT_ASSERT_EQUAL(200, page.status);
        CPPUNIT_ASSERT(page.header("Content-Type").rfind("text/html", 0) == 0);
        // Early access with a browser: back to the version page.
        const Reply early = fetch(_civitai->downloadUrl(1003), {{"User-Agent", kBrowserUa}});
        CPPUNIT_ASSERT_EQUAL(std::string("/models/300?modelVersionId=1003"), early.header("Location"));

        // html_for_browser_ua: even a public version answers the login page to an anonymous browser.
        Fault trap;
        trap.htmlForBrowserUa = true;
        _civitai->setFault("civitai.download", trap);
        const Reply trapped = fetch(_civitai->downloadUrl(1001), {{"User-Agent", kBrowserUa}});
        CPPUNIT_ASSERT_EQUAL(200, trapped.status);
        CPPUNIT_ASSERT(trapped.header("Content-Type").rfind("text/html", 0) == 0);
        CPPUNIT_ASSERT(trapped.body.find("Sign in") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1001), {{"User-Agent", "comfygate/1"}}).status);
        CPPUNIT_ASSERT_EQUAL(
            307, fetch(_civitai->downloadUrl(1001), {{"User-Agent", kBrowserUa}, {"Authorization", "Bearer tok-ok"}})
                     .status);
    }

    void testCivitaiFileSelection()
    {
        const std::string url = _civitai->downloadUrl(1001);
        auto locationOf = [&](const std::string& query) {
            const Reply reply = fetch(url + query, {{"Authorization", "Bearer tok-ok"}});
            return reply.status == 307 ? Poco::URI(reply.header("Location")).getPath() : std::to_string(reply.status);
        };
        CPPUNIT_ASSERT_EQUAL(std::string("/r2/sd15"), locationOf(""));
        CPPUNIT_ASSERT_EQUAL(std::string("/r2/sd15-fp32"), locationOf("?fileId=5002"));
        CPPUNIT_ASSERT_EQUAL(std::string("/r2/sd15-fp32"),
                             locationOf("?type=Model&format=SafeTensor&size=full&fp=fp32"));
        CPPUNIT_ASSERT_EQUAL(std::string("/r2/vae"), locationOf("?type=VAE"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), locationOf("?fp=bf16"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), locationOf("?type=Config"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), locationOf("?type=VAE&fp=fp32"));
        CPPUNIT_ASSERT_EQUAL(std::string("404"), locationOf("?fileId=9"));
        CPPUNIT_ASSERT_EQUAL(std::string("400"), locationOf("?type=Banana"));
    }

    void testCivitaiBlocklistCounterAndHeadBug()
    {
        const std::map<std::string, std::string> ok = {{"Authorization", "Bearer tok-ok"}};
        CPPUNIT_ASSERT_EQUAL(401, fetch(_civitai->downloadUrl(1001), ok, "HEAD").status);
        _civitai->setHeadRequiresAuthBug(false);
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1001), ok, "HEAD").status);

        _civitai->setDownloadLimit(2);
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1001), ok).status);
        const Reply limited = fetch(_civitai->downloadUrl(1001), ok);
        CPPUNIT_ASSERT_EQUAL(429, limited.status);
        CPPUNIT_ASSERT(limited.json()->getValue<std::string>("error").find("unusual amount") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1001), {{"Authorization", "Bearer tok-member"}}).status);
        _civitai->reset();
        CPPUNIT_ASSERT_EQUAL(307, fetch(_civitai->downloadUrl(1001), ok).status);

        _civitai->blockUser(0);
        const Reply blocked = fetch(_civitai->downloadUrl(1001));
        CPPUNIT_ASSERT_EQUAL(403, blocked.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Forbidden"), blocked.json()->getValue<std::string>("error"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-store, max-age=0"), blocked.header("Cache-Control"));
    }

    void testCivitaiRequireUa()
    {
        Fault waf;
        waf.requireUa = true;
        _civitai->setFault("civitai", waf);
        const std::string url = _civitai->apiUrl() + "/api/v1/model-versions/1001";
        CPPUNIT_ASSERT_EQUAL(403, fetch(url, {{"User-Agent", "Python-urllib/3.12"}}).status);
        CPPUNIT_ASSERT_EQUAL(403, fetch(url).status); // Poco sends no User-Agent
        CPPUNIT_ASSERT_EQUAL(200, fetch(url, {{"User-Agent", "comfygate/1.0"}}).status);
    }

    void testCivitaiImagesAndGenerationData()
    {
        CivitaiImage image;
        image.id = 9001;
        image.postId = 77;
        image.modelVersionId = 1001;
        image.prompt = "a cat <lora:shiny:0.8>";
        image.negativePrompt = "blurry";
        image.resources = {{1001, std::nullopt}, {1004, 0.8}};
        _civitai->addImage(image);
        CivitaiImage hidden = image;
        hidden.id = 9002;
        hidden.hideMeta = true;
        _civitai->addImage(hidden);

        const std::string images = _civitai->apiUrl() + "/api/v1/images";
        const auto plain = fetch(images + "?modelVersionId=1001&limit=1").json();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), plain->getArray("items")->size());
        CPPUNIT_ASSERT(plain->getArray("items")->getObject(0)->isNull("meta"));
        CPPUNIT_ASSERT_EQUAL(std::string("9002"), plain->getObject("metadata")->getValue<std::string>("nextCursor"));
        const auto withMeta = fetch(images + "?imageId=9001&withMeta=true").json();
        CPPUNIT_ASSERT_EQUAL(
            image.prompt,
            withMeta->getArray("items")->getObject(0)->getObject("meta")->getValue<std::string>("prompt"));
        CPPUNIT_ASSERT_EQUAL(429, fetch(images + "?page=11&limit=100").status);
        CPPUNIT_ASSERT_EQUAL(400, fetch(images + "?limit=500").status);

        auto trpc = [&](int id) {
            std::string input;
            Poco::URI::encode("{\"json\":{\"id\":" + std::to_string(id) + "}}", "{}\":,", input);
            return fetch(_civitai->apiUrl() + "/api/trpc/image.getGenerationData?input=" + input);
        };
        const Reply found = trpc(9001);
        CPPUNIT_ASSERT_EQUAL(200, found.status);
        const auto data = found.json()->getObject("result")->getObject("data")->getObject("json");
        CPPUNIT_ASSERT_EQUAL(std::string("blurry"), data->getObject("meta")->getValue<std::string>("negativePrompt"));
        const auto resources = data->getArray("resources");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), resources->size());
        CPPUNIT_ASSERT_EQUAL(1004, resources->getObject(1)->getValue<int>("modelVersionId"));
        CPPUNIT_ASSERT_EQUAL(0.8, resources->getObject(1)->getValue<double>("strength"));
        CPPUNIT_ASSERT_EQUAL(std::string("LORA"), resources->getObject(1)->getValue<std::string>("modelType"));
        CPPUNIT_ASSERT(!trpc(9002).json()->getObject("result")->getObject("data")->getObject("json")->has("meta"));
        const Reply missing = trpc(1);
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        const auto error = missing.json()->getObject("error")->getObject("json");
        CPPUNIT_ASSERT_EQUAL(-32004, error->getValue<int>("code"));
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), error->getObject("data")->getValue<std::string>("code"));

        _civitai->setDevalueMode(true);
        const auto devalue = trpc(9001).json()->getObject("result");
        const auto flat = Poco::JSON::Parser().parse(devalue->getValue<std::string>("data")).extract<Array::Ptr>();
        const auto root = flat->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("image"), flat->getElement<std::string>(root->getValue<int>("type")));
    }

    // ---------------------------------------------------------------- storage

    std::string storageLocation(int versionId, const std::string& query = {})
    {
        const Reply reply = fetch(_civitai->downloadUrl(versionId) + query, {{"Authorization", "Bearer tok-member"}});
        CPPUNIT_ASSERT_EQUAL(307, reply.status);
        return reply.header("Location");
    }

    void testStorageRangesAndEtag()
    {
        const std::string url = storageLocation(1001);
        const std::string content = _civitai->content("sd15");
        const Reply whole = fetch(url);
        CPPUNIT_ASSERT_EQUAL(200, whole.status);
        CPPUNIT_ASSERT(whole.body == content);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes"), whole.header("Accept-Ranges"));
        CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), whole.header("Content-Type"));
        const std::string etag = whole.header("ETag");
        CPPUNIT_ASSERT(etag.size() > 2 && etag.front() == '"');

        const Reply middle = fetch(url, {{"Range", "bytes=1000-1999"}});
        CPPUNIT_ASSERT_EQUAL(206, middle.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes 1000-1999/300000"), middle.header("Content-Range"));
        CPPUNIT_ASSERT(middle.body == content.substr(1000, 1000));
        const Reply tail = fetch(url, {{"Range", "bytes=299990-"}});
        CPPUNIT_ASSERT(tail.body == content.substr(299990));
        const Reply suffix = fetch(url, {{"Range", "bytes=-5"}});
        CPPUNIT_ASSERT_EQUAL(std::string("bytes 299995-299999/300000"), suffix.header("Content-Range"));
        const Reply beyond = fetch(url, {{"Range", "bytes=300000-"}});
        CPPUNIT_ASSERT_EQUAL(416, beyond.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes */300000"), beyond.header("Content-Range"));
        CPPUNIT_ASSERT_EQUAL(206, fetch(url, {{"Range", "bytes=10-"}, {"If-Range", etag}}).status);
        CPPUNIT_ASSERT_EQUAL(200, fetch(url, {{"Range", "bytes=10-"}, {"If-Range", "\"other\""}}).status);
        const Reply head = fetch(url, {}, "HEAD");
        CPPUNIT_ASSERT_EQUAL(200, head.status);
        CPPUNIT_ASSERT_EQUAL(std::string("300000"), head.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), _civitai->log().back().bytesSent);
    }

    void testStorageRefusesAuthorizationAndBadSignatures()
    {
        const std::string url = storageLocation(1001);
        const Reply withAuth = fetch(url, {{"Authorization", "Bearer tok-ok"}});
        CPPUNIT_ASSERT_EQUAL(400, withAuth.status);
        CPPUNIT_ASSERT(withAuth.body.find("<Code>InvalidRequest</Code>") != std::string::npos);
        std::string tampered = url;
        tampered.replace(tampered.find("X-Amz-Signature=") + 16, 4, "0000");
        const Reply badSignature = fetch(tampered);
        CPPUNIT_ASSERT_EQUAL(403, badSignature.status);
        CPPUNIT_ASSERT(badSignature.body.find("<Code>AccessDenied</Code>") != std::string::npos);
        std::string otherName = url;
        otherName.replace(otherName.find("dreamy_v1"), 9, "evilname1");
        CPPUNIT_ASSERT_EQUAL(403, fetch(otherName).status);
        std::string otherKey = url;
        otherKey.replace(otherKey.find("/r2/sd15?"), 9, "/r2/lora?");
        CPPUNIT_ASSERT_EQUAL(403, fetch(otherKey).status);
    }

    void testSignedUrlExpiryAndFreshLocation()
    {
        Fault expiry;
        expiry.expireAfterS = 0.3;
        _civitai->setFault("civitai.storage", expiry);
        const std::string first = storageLocation(1001);
        CPPUNIT_ASSERT_EQUAL(200, fetch(first, {{"Range", "bytes=0-99"}}).status == 206 ? 200 : 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        const Reply expired = fetch(first, {{"Range", "bytes=100-"}});
        CPPUNIT_ASSERT_EQUAL(403, expired.status);
        CPPUNIT_ASSERT(expired.body.find("Request has expired") != std::string::npos);
        const std::string fresh = storageLocation(1001);
        CPPUNIT_ASSERT(fresh != first);
        const Reply resumed = fetch(fresh, {{"Range", "bytes=100-"}});
        CPPUNIT_ASSERT_EQUAL(206, resumed.status);
        CPPUNIT_ASSERT(resumed.body == _civitai->content("sd15").substr(100));
    }

    void testTruncateThenResume()
    {
        Fault drop;
        drop.truncateAfter = 120000; // 40 %
        _civitai->setFault("sd15", drop);
        const std::string url = storageLocation(1001);
        const Reply cut = fetch(url);
        CPPUNIT_ASSERT_EQUAL(200, cut.status);
        CPPUNIT_ASSERT_EQUAL(std::string("300000"), cut.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(120000), cut.body.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(120000), _civitai->log().back().bytesSent);
        const Reply rest = fetch(url, {{"Range", "bytes=120000-"}});
        CPPUNIT_ASSERT_EQUAL(206, rest.status);
        CPPUNIT_ASSERT_EQUAL(_civitai->sha256("sd15"), sha256Hex(cut.body + rest.body));
        CPPUNIT_ASSERT_EQUAL(std::string("bytes=120000-"), _civitai->log().back().range);
    }

    void testIgnoreRange()
    {
        Fault ignore;
        ignore.ignoreRange = true;
        _civitai->setFault("civitai.storage", ignore);
        const Reply reply = fetch(storageLocation(1001), {{"Range", "bytes=1000-"}});
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        CPPUNIT_ASSERT(!reply.has("Content-Range"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(300000), reply.body.size());
    }

    void testCorruptAt()
    {
        Fault corrupt;
        corrupt.corruptAt = 4242;
        _civitai->setFault("sd15", corrupt);
        const std::string content = _civitai->content("sd15");
        const Reply reply = fetch(storageLocation(1001));
        CPPUNIT_ASSERT_EQUAL(content.size(), reply.body.size());
        CPPUNIT_ASSERT(sha256Hex(reply.body) != _civitai->sha256("sd15"));
        std::size_t differences = 0;
        for (std::size_t i = 0; i < content.size(); ++i)
            differences += content[i] != reply.body[i];
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), differences);
        CPPUNIT_ASSERT(content[4242] != reply.body[4242]);
        // A range that does not cover the offset is clean.
        CPPUNIT_ASSERT(fetch(storageLocation(1001), {{"Range", "bytes=5000-5999"}}).body == content.substr(5000, 1000));
    }

    void testBadContentLength()
    {
        Fault longer;
        longer.badContentLength = 300100;
        _civitai->setFault("sd15", longer);
        const Reply shortBody = fetch(storageLocation(1001));
        CPPUNIT_ASSERT_EQUAL(std::string("300100"), shortBody.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(300000), shortBody.body.size());
        Fault shorter;
        shorter.badContentLength = 1000;
        _civitai->setFault("sd15", shorter);
        const Reply longBody = fetch(storageLocation(1001));
        CPPUNIT_ASSERT_EQUAL(std::string("1000"), longBody.header("Content-Length"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), longBody.body.size());
        // The server goes on writing past the declared length until the client hangs up.
        CPPUNIT_ASSERT(_civitai->log().back().bytesSent >= 1000);
    }

    void testStallAndThrottle()
    {
        Fault stall;
        stall.stallAfter = 1000;
        stall.stallMs = 2000;
        _civitai->setFault("sd15", stall);
        const auto started = std::chrono::steady_clock::now();
        const Reply stalled = fetch(storageLocation(1001), {}, "GET", {}, std::chrono::milliseconds(300));
        CPPUNIT_ASSERT(stalled.timedOut);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1000), stalled.body.size());
        CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));

        Fault slow;
        slow.throttleBps = 200000;
        _civitai->setFault("sd15", slow);
        const auto slowStart = std::chrono::steady_clock::now();
        const Reply throttled = fetch(storageLocation(1001), {{"Range", "bytes=0-99999"}});
        const auto elapsed = std::chrono::steady_clock::now() - slowStart;
        CPPUNIT_ASSERT_EQUAL(std::size_t(100000), throttled.body.size());
        CPPUNIT_ASSERT(elapsed >= std::chrono::milliseconds(450));
        CPPUNIT_ASSERT(elapsed < std::chrono::milliseconds(3000));
    }

    void testParallelRanges()
    {
        const std::string url = storageLocation(1001);
        _civitai->clearLog();
        constexpr int workers = 8;
        constexpr std::uint64_t size = 300000, part = size / workers;
        std::vector<std::string> parts(workers);
        std::vector<std::thread> threads;
        for (int i = 0; i < workers; ++i)
            threads.emplace_back([&, i] {
                const std::uint64_t from = i * part, to = i == workers - 1 ? size - 1 : from + part - 1;
                parts[i] = fetch(url, {{"Range", "bytes=" + std::to_string(from) + "-" + std::to_string(to)}}).body;
            });
        for (auto& thread : threads)
            thread.join();
        std::string whole;
        for (const auto& piece : parts)
            whole += piece;
        CPPUNIT_ASSERT_EQUAL(_civitai->sha256("sd15"), sha256Hex(whole));
        std::set<std::string> ranges;
        for (const auto& entry : _civitai->log()) {
            CPPUNIT_ASSERT_EQUAL(206, entry.status);
            ranges.insert(entry.range);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(workers), ranges.size());
    }

    void testFailFirstNWithRetryAfter()
    {
        Fault flaky;
        flaky.failFirstN = 2;
        flaky.failStatus = 503;
        flaky.retryAfter = 3;
        _civitai->setFault("civitai.download", flaky);
        for (int i = 0; i < 2; ++i) {
            const Reply failed = fetch(_civitai->downloadUrl(1001), {{"Authorization", "Bearer tok-ok"}});
            CPPUNIT_ASSERT_EQUAL(503, failed.status);
            CPPUNIT_ASSERT_EQUAL(std::string("3"), failed.header("Retry-After"));
            CPPUNIT_ASSERT(failed.json()->has("error"));
        }
        const std::string url = storageLocation(1001);
        // The same over HTTP, on the storage of one file: 429 in the storage's XML shape.
        const Reply set = fetch(_civitai->apiUrl() + "/__faults", {{"Content-Type", "application/json"}}, "POST",
                                R"({"target":"sd15","fail_first_n":1,"fail_status":429,"retry_after":1})");
        CPPUNIT_ASSERT_EQUAL(200, set.status);
        const Reply slowDown = fetch(url);
        CPPUNIT_ASSERT_EQUAL(429, slowDown.status);
        CPPUNIT_ASSERT(slowDown.body.find("<Code>SlowDown</Code>") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), slowDown.header("Retry-After"));
        CPPUNIT_ASSERT_EQUAL(200, fetch(url).status);

        // Retrying clients get through: the kernel's client honours Retry-After (1 s here).
        Fault once;
        once.failFirstN = 1;
        once.failStatus = 500;
        _civitai->setFault("civitai.download", once);
        comfygate::CurlHttpClient client;
        comfygate::HttpClientRequest request;
        request.url = _civitai->downloadUrl(1001);
        request.authorization = "Bearer tok-ok";
        request.maxAttempts = 3;
        request.retryBaseDelay = std::chrono::milliseconds(10);
        const auto response = client.perform(request);
        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(2, response.attempts);
    }

    void testControlRoutes()
    {
        fetch(_civitai->apiUrl() + "/api/v1/models/100");
        fetch(_civitai->apiUrl() + "/api/v1/models/100", {{"Range", "bytes=0-"}, {"Authorization", "Bearer x"}});
        const Reply log = fetch(_civitai->apiUrl() + "/__log");
        CPPUNIT_ASSERT_EQUAL(200, log.status);
        std::istringstream lines(log.body);
        std::vector<Object::Ptr> entries;
        for (std::string line; std::getline(lines, line);)
            entries.push_back(Poco::JSON::Parser().parse(line).extract<Object::Ptr>());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/models/100"), entries[1]->getValue<std::string>("path"));
        CPPUNIT_ASSERT(entries[1]->getValue<bool>("authorization"));
        CPPUNIT_ASSERT_EQUAL(std::string("bytes=0-"), entries[1]->getValue<std::string>("range"));
        CPPUNIT_ASSERT(log.body.find("Bearer x") == std::string::npos);

        CPPUNIT_ASSERT_EQUAL(400,
                             fetch(_civitai->apiUrl() + "/__faults", {}, "POST", R"({"target":"x","nope":1})").status);
        CPPUNIT_ASSERT_EQUAL(
            400, fetch(_civitai->apiUrl() + "/__faults", {}, "POST", R"({"target":"x","fail_first_n":"2"})").status);
        fetch(_civitai->apiUrl() + "/__faults", {}, "POST",
              R"({"target":"civitai.me","fail_first_n":3,"fail_status":502})");
        CPPUNIT_ASSERT_EQUAL(502, fetch(_civitai->apiUrl() + "/api/v1/me").status);
        const auto faults = fetch(_civitai->apiUrl() + "/__faults").json();
        CPPUNIT_ASSERT_EQUAL(2, faults->getObject("civitai.me")->getValue<int>("failures_left"));
        CPPUNIT_ASSERT_EQUAL(204, fetch(_civitai->storageUrl() + "/__reset", {}, "POST").status);
        CPPUNIT_ASSERT(_civitai->log().empty());
        CPPUNIT_ASSERT_EQUAL(401, fetch(_civitai->apiUrl() + "/api/v1/me").status);

        const Reply loaded = fetch(_civitai->apiUrl() + "/__fixture", {}, "POST", R"({
            "files": [{"key": "extra", "name": "extra.pt", "size": 2048, "content": {"kind": "prng", "seed": 5}}],
            "civitai": {"models": [{"id": 400, "name": "Extra", "type": "TextualInversion", "versions": [
                {"id": 4001, "files": [{"id": 7001, "file_key": "extra", "type": "Model", "format": "PickleTensor"}]}]}]}})");
        CPPUNIT_ASSERT_EQUAL(204, loaded.status);
        const auto version = fetch(_civitai->apiUrl() + "/api/v1/model-versions/4001").json();
        CPPUNIT_ASSERT_EQUAL(
            Poco::toUpper(_civitai->sha256("extra")),
            version->getArray("files")->getObject(0)->getObject("hashes")->getValue<std::string>("SHA256"));
        CPPUNIT_ASSERT_EQUAL(
            400,
            fetch(
                _civitai->apiUrl() + "/__fixture", {}, "POST",
                R"({"civitai": {"models": [{"id": 401, "versions": [{"id": 4002, "files": [{"id": 1, "file_key": "missing"}]}]}]}})")
                .status);
    }

    // ---------------------------------------------------------------- Hugging Face

    void testHfLfsResolveAndCdn()
    {
        const std::string url = _hf->resolveUrl("org/model", "main", "unet/model.safetensors");
        const Reply head = fetch(url, {}, "HEAD");
        CPPUNIT_ASSERT_EQUAL(302, head.status);
        CPPUNIT_ASSERT_EQUAL(kCommitMain, head.header("X-Repo-Commit"));
        CPPUNIT_ASSERT_EQUAL("\"" + _hf->sha256("weights") + "\"", head.header("X-Linked-Etag"));
        CPPUNIT_ASSERT_EQUAL(std::string("400000"), head.header("X-Linked-Size"));
        CPPUNIT_ASSERT(!head.has("ETag"));
        CPPUNIT_ASSERT(head.header("Content-Length") != "400000");
        const std::string location = head.header("Location");
        CPPUNIT_ASSERT(location.rfind(_hf->storageUrl() + "/lfs/" + _hf->sha256("weights") + "?", 0) == 0);
        const Reply get = fetch(url, {{"Authorization", "Bearer tok-ok"}});
        CPPUNIT_ASSERT_EQUAL(302, get.status);
        CPPUNIT_ASSERT_EQUAL(head.header("X-Linked-Etag"), get.header("X-Linked-Etag"));

        const Reply body = fetch(location);
        CPPUNIT_ASSERT_EQUAL(200, body.status);
        CPPUNIT_ASSERT_EQUAL(_hf->sha256("weights"), sha256Hex(body.body));
        CPPUNIT_ASSERT_EQUAL(std::string("inline; filename=\"model.safetensors\""), body.header("Content-Disposition"));
        const Reply part = fetch(location, {{"Range", "bytes=399000-"}});
        CPPUNIT_ASSERT_EQUAL(206, part.status);
        CPPUNIT_ASSERT_EQUAL(std::string("bytes 399000-399999/400000"), part.header("Content-Range"));
        CPPUNIT_ASSERT_EQUAL(416, fetch(location, {{"Range", "bytes=400000-"}}).status);
        CPPUNIT_ASSERT_EQUAL(304, fetch(url, {{"If-None-Match", head.header("X-Linked-Etag")}}, "HEAD").status);
        const auto cdn = _hf->log([](const LogEntry& e) { return e.listener == "cdn"; });
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), cdn.size());
        for (const auto& entry : cdn)
            CPPUNIT_ASSERT(!entry.authorization);
    }

    void testHfRegularFileAndRevalidation()
    {
        const std::string url = _hf->resolveUrl("org/model", "main", "config.json");
        const std::string content = _hf->content("config");
        const Reply reply = fetch(url);
        CPPUNIT_ASSERT_EQUAL(200, reply.status);
        CPPUNIT_ASSERT_EQUAL(content, reply.body);
        const std::string gitEtag =
            "\"" + sha1Hex("blob " + std::to_string(content.size()) + std::string(1, '\0') + content) + "\"";
        CPPUNIT_ASSERT_EQUAL(gitEtag, reply.header("ETag"));
        CPPUNIT_ASSERT_EQUAL(kCommitMain, reply.header("X-Repo-Commit"));
        CPPUNIT_ASSERT_EQUAL(std::string("bytes"), reply.header("Accept-Ranges"));
        CPPUNIT_ASSERT(!reply.has("X-Linked-Etag"));
        CPPUNIT_ASSERT(reply.header("Content-Disposition").find("filename=\"config.json\"") != std::string::npos);
        const Reply head = fetch(url, {}, "HEAD");
        CPPUNIT_ASSERT_EQUAL(gitEtag, head.header("ETag"));
        CPPUNIT_ASSERT_EQUAL(std::to_string(content.size()), head.header("Content-Length"));
        const Reply notModified = fetch(url, {{"If-None-Match", gitEtag}});
        CPPUNIT_ASSERT_EQUAL(304, notModified.status);
        CPPUNIT_ASSERT(notModified.body.empty());
        // Tags and 40-hex commits resolve too; the tag points to an older commit.
        const Reply tagged = fetch(_hf->resolveUrl("org/model", "v1.0", "config.json"));
        CPPUNIT_ASSERT_EQUAL(kCommitOld, tagged.header("X-Repo-Commit"));
        CPPUNIT_ASSERT_EQUAL(_hf->content("weights-old"), tagged.body);
        CPPUNIT_ASSERT_EQUAL(200, fetch(_hf->resolveUrl("org/model", kCommitMain, "unet/config.json")).status);
    }

    void testHfErrors()
    {
        auto resolve = [&](const std::string& repo, const std::string& rev, const std::string& path,
                           const std::string& token = {}) {
            std::map<std::string, std::string> headers;
            if (!token.empty())
                headers["Authorization"] = "Bearer " + token;
            return fetch(_hf->resolveUrl(repo, rev, path), headers, "HEAD");
        };
        const Reply unknown = resolve("org/nothing", "main", "x");
        CPPUNIT_ASSERT_EQUAL(401, unknown.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RepoNotFound"), unknown.header("X-Error-Code"));
        CPPUNIT_ASSERT_EQUAL(401, resolve("org/private", "main", "model.safetensors").status);
        CPPUNIT_ASSERT_EQUAL(std::string("RepoNotFound"),
                             resolve("org/private", "main", "model.safetensors", "tok-ok").header("X-Error-Code"));
        CPPUNIT_ASSERT_EQUAL(302, resolve("org/private", "main", "model.safetensors", "tok-gate").status);
        const Reply invalid = resolve("org/model", "main", "config.json", "hf_invalid");
        CPPUNIT_ASSERT_EQUAL(401, invalid.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid credentials in Authorization header"),
                             invalid.header("X-Error-Message"));

        const Reply anonymous = resolve("org/gated", "main", "model.safetensors");
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GatedRepo"), anonymous.header("X-Error-Code"));
        CPPUNIT_ASSERT(anonymous.header("X-Error-Message").find("authenticated") != std::string::npos);
        const Reply notGranted = resolve("org/gated", "main", "model.safetensors", "tok-nogate");
        CPPUNIT_ASSERT_EQUAL(403, notGranted.status);
        CPPUNIT_ASSERT_EQUAL(std::string("GatedRepo"), notGranted.header("X-Error-Code"));
        CPPUNIT_ASSERT(notGranted.header("X-Error-Message").find("authorized list") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(302, resolve("org/gated", "main", "model.safetensors", "tok-gate").status);

        const Reply badRevision = resolve("org/model", "nope", "config.json");
        CPPUNIT_ASSERT_EQUAL(404, badRevision.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RevisionNotFound"), badRevision.header("X-Error-Code"));
        const Reply missing = resolve("org/model", "main", "missing.bin");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("EntryNotFound"), missing.header("X-Error-Code"));
        CPPUNIT_ASSERT_EQUAL(kCommitMain, missing.header("X-Repo-Commit"));
    }

    void testHfRenamedRepoAndResolveCache()
    {
        const Reply renamed = fetch(_hf->resolveUrl("oldorg/renamed", "main", "model.safetensors"), {}, "HEAD");
        CPPUNIT_ASSERT_EQUAL(307, renamed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/neworg/renamed/resolve/main/model.safetensors"), renamed.header("Location"));
        CPPUNIT_ASSERT_EQUAL(302, fetch(_hf->apiUrl() + renamed.header("Location"), {}, "HEAD").status);
        const Reply info = fetch(_hf->apiUrl() + "/api/models/oldorg/renamed");
        CPPUNIT_ASSERT_EQUAL(307, info.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/api/models/neworg/renamed"), info.header("Location"));

        _hf->setResolveCacheRedirect(true);
        const Reply cached = fetch(_hf->resolveUrl("org/model", "main", "config.json"), {}, "HEAD");
        CPPUNIT_ASSERT_EQUAL(307, cached.status);
        const std::string location = cached.header("Location");
        CPPUNIT_ASSERT(location.rfind("/api/resolve-cache/models/org/model/" + kCommitMain + "/config.json?etag=", 0) ==
                       0);
        const Reply body = fetch(_hf->apiUrl() + location);
        CPPUNIT_ASSERT_EQUAL(200, body.status);
        CPPUNIT_ASSERT_EQUAL(_hf->content("config"), body.body);
        CPPUNIT_ASSERT_EQUAL(kCommitMain, body.header("X-Repo-Commit"));
        // LFS files still go to the CDN.
        CPPUNIT_ASSERT_EQUAL(302,
                             fetch(_hf->resolveUrl("org/model", "main", "unet/model.safetensors"), {}, "HEAD").status);
    }

    void testHfRateLimit()
    {
        Fault limited;
        limited.failFirstN = 1;
        limited.failStatus = 429;
        limited.ratelimitReset = 7;
        _hf->setFault("hf.resolve", limited);
        const Reply reply = fetch(_hf->resolveUrl("org/model", "main", "config.json"));
        CPPUNIT_ASSERT_EQUAL(429, reply.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"resolvers\";r=0;t=7"), reply.header("RateLimit"));
        CPPUNIT_ASSERT(reply.header("RateLimit-Policy").find("w=300") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(200, fetch(_hf->resolveUrl("org/model", "main", "config.json")).status);
    }

    void testHfDatasetsDisabledAndRegularFileFaults()
    {
        HfRepo dataset;
        dataset.id = "org/data";
        dataset.type = "dataset";
        dataset.revisions = {{"main", kCommitMain}};
        dataset.commits = {{kCommitMain, {{"train/part-0.json", "config", std::nullopt}}}};
        _hf->addRepo(dataset);
        HfRepo disabled = dataset;
        disabled.id = "org/disabled";
        disabled.type = "model";
        disabled.disabled = true;
        _hf->addRepo(disabled);

        const Reply data = fetch(_hf->apiUrl() + "/datasets/org/data/resolve/main/train/part-0.json");
        CPPUNIT_ASSERT_EQUAL(200, data.status);
        CPPUNIT_ASSERT_EQUAL(_hf->content("config"), data.body);
        CPPUNIT_ASSERT_EQUAL(401, fetch(_hf->resolveUrl("org/data", "main", "train/part-0.json")).status);
        CPPUNIT_ASSERT_EQUAL(200, fetch(_hf->apiUrl() + "/api/datasets/org/data").status);
        const Reply off = fetch(_hf->resolveUrl("org/disabled", "main", "train/part-0.json"));
        CPPUNIT_ASSERT_EQUAL(403, off.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Access to this resource is disabled."), off.header("X-Error-Message"));

        const std::string url = _hf->resolveUrl("org/model", "main", "README.md");
        const Reply part = fetch(url, {{"Range", "bytes=2-"}});
        CPPUNIT_ASSERT_EQUAL(206, part.status);
        CPPUNIT_ASSERT_EQUAL(_hf->content("readme").substr(2), part.body);
        const Reply set = fetch(_hf->apiUrl() + "/__faults", {}, "POST", R"({"target":"readme","truncate_after":3})");
        CPPUNIT_ASSERT_EQUAL(200, set.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), fetch(url).body.size());
        fetch(_hf->apiUrl() + "/__faults", {}, "POST", R"({"clear_all":true})");
        CPPUNIT_ASSERT_EQUAL(_hf->content("readme"), fetch(url).body);
    }

    void testHfModelInfo()
    {
        const auto info = fetch(_hf->apiUrl() + "/api/models/org/model").json();
        CPPUNIT_ASSERT_EQUAL(std::string("org/model"), info->getValue<std::string>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("org"), info->getValue<std::string>("author"));
        CPPUNIT_ASSERT_EQUAL(kCommitMain, info->getValue<std::string>("sha"));
        CPPUNIT_ASSERT_EQUAL(false, info->getValue<bool>("gated"));
        CPPUNIT_ASSERT_EQUAL(std::string("diffusers"), info->getValue<std::string>("library_name"));
        const auto siblings = info->getArray("siblings");
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), siblings->size());
        CPPUNIT_ASSERT(!siblings->getObject(0)->has("size"));

        const auto blobs = fetch(_hf->apiUrl() + "/api/models/org/model?blobs=true").json()->getArray("siblings");
        for (std::size_t i = 0; i < blobs->size(); ++i) {
            const auto sibling = blobs->getObject(static_cast<unsigned>(i));
            if (sibling->getValue<std::string>("rfilename") != "unet/model.safetensors")
                continue;
            CPPUNIT_ASSERT_EQUAL(400000, sibling->getValue<int>("size"));
            CPPUNIT_ASSERT_EQUAL(_hf->sha256("weights"), sibling->getObject("lfs")->getValue<std::string>("sha256"));
            CPPUNIT_ASSERT(sibling->getObject("lfs")->getValue<int>("pointerSize") > 100);
        }
        const auto old = fetch(_hf->apiUrl() + "/api/models/org/model/revision/v1.0").json();
        CPPUNIT_ASSERT_EQUAL(kCommitOld, old->getValue<std::string>("sha"));
        const auto gated = fetch(_hf->apiUrl() + "/api/models/org/gated");
        CPPUNIT_ASSERT_EQUAL(200, gated.status);
        CPPUNIT_ASSERT_EQUAL(std::string("manual"), gated.json()->getValue<std::string>("gated"));
        const Reply hidden = fetch(_hf->apiUrl() + "/api/models/org/private");
        CPPUNIT_ASSERT_EQUAL(401, hidden.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RepoNotFound"), hidden.header("X-Error-Code"));
        CPPUNIT_ASSERT_EQUAL(404, fetch(_hf->apiUrl() + "/api/models/org/model/revision/nope").status);
    }

    void testHfTreePagination()
    {
        const auto top = fetch(_hf->apiUrl() + "/api/models/org/model/tree/main").jsonArray();
        std::vector<std::string> paths;
        for (std::size_t i = 0; i < top->size(); ++i)
            paths.push_back(top->getObject(static_cast<unsigned>(i))->getValue<std::string>("path") + ":" +
                            top->getObject(static_cast<unsigned>(i))->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(std::string("README.md:file,config.json:file,text_encoder:directory,unet:directory"),
                             Poco::cat(std::string(","), paths.begin(), paths.end()));

        _hf->setTreePageSize(2);
        std::string next = _hf->apiUrl() + "/api/models/org/model/tree/main?recursive=true";
        std::vector<Object::Ptr> all;
        int pages = 0;
        while (!next.empty()) {
            const Reply page = fetch(next);
            CPPUNIT_ASSERT_EQUAL(200, page.status);
            const auto items = page.jsonArray();
            CPPUNIT_ASSERT(items->size() <= 2);
            for (std::size_t i = 0; i < items->size(); ++i)
                all.push_back(items->getObject(static_cast<unsigned>(i)));
            next.clear();
            const std::string link = page.header("Link");
            if (!link.empty()) {
                CPPUNIT_ASSERT(link.find("rel=\"next\"") != std::string::npos);
                next = link.substr(1, link.find('>') - 1);
            }
            ++pages;
        }
        CPPUNIT_ASSERT_EQUAL(4, pages);
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), all.size());
        bool sawLfs = false;
        for (const auto& item : all)
            if (item->getValue<std::string>("path") == "unet/model.safetensors") {
                sawLfs = true;
                CPPUNIT_ASSERT_EQUAL(_hf->sha256("weights"), item->getObject("lfs")->getValue<std::string>("oid"));
                CPPUNIT_ASSERT_EQUAL(400000, item->getValue<int>("size"));
            }
        CPPUNIT_ASSERT(sawLfs);
        const auto unet = fetch(_hf->apiUrl() + "/api/models/org/model/tree/main/unet?expand=true").jsonArray();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), unet->size());
        CPPUNIT_ASSERT(unet->getObject(0)->has("lastCommit"));
        const Reply missing = fetch(_hf->apiUrl() + "/api/models/org/model/tree/main/vae");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(400, fetch(_hf->apiUrl() + "/api/models/org/model/tree/main?cursor=x").status);
    }

    void testHfCdnSignatureExpiryAndAuthorization()
    {
        const std::string url = _hf->resolveUrl("org/model", "main", "unet/model.safetensors");
        const std::string location = fetch(url, {}, "HEAD").header("Location");
        std::string tampered = location;
        tampered.replace(tampered.find("Signature=") + 10, 4, "ffff");
        CPPUNIT_ASSERT_EQUAL(403, fetch(tampered).status);
        CPPUNIT_ASSERT_EQUAL(200, fetch(location, {{"Authorization", "Bearer tok-ok"}}, "HEAD").status);
        _hf->setCdnRejectsAuthorization(true);
        CPPUNIT_ASSERT_EQUAL(400, fetch(location, {{"Authorization", "Bearer tok-ok"}}, "HEAD").status);

        Fault expiry;
        expiry.expireAfterS = 0.2;
        _hf->setFault("hf.cdn", expiry);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const Reply expired = fetch(location, {{"Range", "bytes=10-"}});
        CPPUNIT_ASSERT_EQUAL(403, expired.status);
        CPPUNIT_ASSERT(expired.body.find("Request has expired") != std::string::npos);
        const std::string fresh = fetch(url, {}, "HEAD").header("Location");
        CPPUNIT_ASSERT_EQUAL(206, fetch(fresh, {{"Range", "bytes=10-"}}).status);
    }

    // ---------------------------------------------------------------- scale and executable

    void testLargeFileStreamsWithFlatMemory()
    {
        constexpr std::uint64_t size = 96ull * 1024 * 1024;
        _civitai->addFile({"large", "large.safetensors", size, 11, ContentKind::Prng});
        _civitai->addVersion({.id = 3001, .modelId = 100, .files = {{8001, "large"}}});
        const long before = residentKiB();
        comfygate::CurlHttpClient client;
        comfygate::HttpClientRequest request;
        request.url = _civitai->downloadUrl(3001);
        request.maxBytes = size + 1;
        EVP_MD_CTX* digest = EVP_MD_CTX_new();
        EVP_DigestInit_ex(digest, EVP_sha256(), nullptr);
        std::uint64_t received = 0;
        const auto response = client.stream(request, [&](long, const char* data, std::size_t length) {
            EVP_DigestUpdate(digest, data, length);
            received += length;
            return true;
        });
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        EVP_DigestFinal_ex(digest, out, &length);
        EVP_MD_CTX_free(digest);
        std::ostringstream hex;
        for (unsigned i = 0; i < length; ++i)
            hex << std::hex << (out[i] >> 4) << (out[i] & 0xF);
        const long grown = residentKiB() - before;
        CPPUNIT_ASSERT_EQUAL(200L, response.status);
        CPPUNIT_ASSERT_EQUAL(size, received);
        CPPUNIT_ASSERT_EQUAL(_civitai->sha256("large"), hex.str());
        CPPUNIT_ASSERT_MESSAGE("resident memory grew by " + std::to_string(grown) + " KiB", grown < 16 * 1024);
    }

    void testExecutableLoadsFixtureFile()
    {
        Poco::Pipe out;
        Poco::Process::Args args = {"--fixture", FAKE_MODEL_SOURCES_FIXTURE};
        Poco::ProcessHandle process = Poco::Process::launch(FAKE_MODEL_SOURCES_BINARY, args, nullptr, &out, nullptr);
        Poco::PipeInputStream stream(out);
        std::string civitaiLine, hfLine;
        std::getline(stream, civitaiLine);
        std::getline(stream, hfLine);
        std::istringstream civitaiWords(civitaiLine), hfWords(hfLine);
        std::string word, civitaiUrl, hfUrl;
        civitaiWords >> word >> civitaiUrl;
        hfWords >> word >> hfUrl;
        Reply version, resolved;
        try {
            version = fetch(civitaiUrl + "/api/v1/model-versions/1001");
            resolved = fetch(hfUrl + "/org/model/resolve/main/unet/model.safetensors", {}, "HEAD");
        } catch (...) {
            Poco::Process::kill(process);
            throw;
        }
        Poco::Process::requestTermination(process.id());
        CPPUNIT_ASSERT_EQUAL(0, process.wait());
        CPPUNIT_ASSERT_EQUAL(200, version.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), version.json()->getArray("files")->size());
        CPPUNIT_ASSERT_EQUAL(302, resolved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("12582912"), resolved.header("X-Linked-Size"));
    }

private:
    std::unique_ptr<FakeCivitai> _civitai;
    std::unique_ptr<FakeHuggingFace> _hf;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FakeModelSourcesTest);

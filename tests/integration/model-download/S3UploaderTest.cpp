// The S3 destination of model downloads against a real S3-compatible server on loopback
// (s3rver with SigV4 checks and AbortMultipartUpload, tests/fakes/s3): what goes up is
// read back over HTTP and compared byte for byte.
#include "S3Uploader.h"
#include "Configuration.h"
#include "HttpTestClient.h"
#include "S3Server.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/DigestEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/SHA2Engine.h>

#include <fstream>
#include <memory>

using comfygate::Configuration;
using comfygate::modeldownload::S3Error;
using comfygate::modeldownload::S3Object;
using comfygate::modeldownload::S3Uploader;
using comfygate::modeldownload::TransferCancelled;
using comfygate::modeldownload::TransferProgress;
using comfygate::test::HttpTestClient;
using comfygate::test::S3Server;
using comfygate::test::TempDir;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

/// Deterministic, incompressible-looking content of `size` bytes.
std::string content(std::size_t size, std::uint32_t seed)
{
    std::string bytes(size, '\0');
    std::uint32_t state = seed;
    for (auto& byte : bytes) {
        state = state * 1664525u + 1013904223u;
        byte = char(state >> 24);
    }
    return bytes;
}

std::string hexDigest(Poco::DigestEngine&& engine, const std::string& data)
{
    engine.update(data);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string sha256(const std::string& data)
{
    return hexDigest(Poco::SHA2Engine(Poco::SHA2Engine::SHA_256), data);
}

} // namespace

class S3UploaderTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(S3UploaderTest);
    CPPUNIT_TEST(smallFileGoesUpInOnePut);
    CPPUNIT_TEST(largeFileGoesUpInStreamedParts);
    CPPUNIT_TEST(wrongAccessKeyIsAClearError);
    CPPUNIT_TEST(wrongSecretIsRefusedBySignature);
    CPPUNIT_TEST(cancelMidMultipartAbortsTheUpload);
    CPPUNIT_TEST(serverErrorsAreRetriedPerPart);
    CPPUNIT_TEST(persistentFailureAbortsTheUpload);
    CPPUNIT_TEST(keysAreConfinedUnderThePrefix);
    CPPUNIT_TEST(unusualKeysAreEncodedAndSigned);
    CPPUNIT_TEST(headAndListSeeOnlyThePrefix);
    CPPUNIT_TEST(virtualHostedStyleAddressesTheBucketByHost);
    CPPUNIT_TEST(settingsComeFromConfigurationAndEnvironment);
    CPPUNIT_TEST_SUITE_END();

public:
    // One server for the suite (starting Node.js costs about a second), emptied before each test.
    void setUp() override
    {
        static S3Server server;
        _s3 = &server;
        _s3->reset();
    }

    void smallFileGoesUpInOnePut()
    {
        const std::string data = content(100 * 1024, 1);
        const std::string path = _dir.write("small.bin", data);
        S3Uploader uploader(settings("comfyui"));
        TransferProgress last;
        const S3Object object =
            uploader.upload(path, "checkpoints/small.bin", {[&](const TransferProgress& p) { last = p; }, {}});

        CPPUNIT_ASSERT_EQUAL(std::string("comfyui/checkpoints/small.bin"), object.key);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(data.size()), object.size);
        // A single PUT's ETag is the MD5 of the content.
        CPPUNIT_ASSERT_EQUAL(hexDigest(Poco::MD5Engine(), data), object.etag);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(data.size()), last.bytesDone);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(data.size()), last.totalBytes);
        CPPUNIT_ASSERT_EQUAL(std::string("s3://models/comfyui/checkpoints/small.bin"), uploader.location(object));
        CPPUNIT_ASSERT(object.metadata.empty());
        CPPUNIT_ASSERT_THROW(uploader.upload(path, "m.bin", {}, {{"Bad Name", "x"}}), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(uploader.upload(path, "m.bin", {}, {{"sha256", "a\r\nx-amz-acl: public"}}),
                             std::invalid_argument);
        CPPUNIT_ASSERT(!uploader.exists("m.bin"));
        CPPUNIT_ASSERT(data == read(object.key));
    }

    void largeFileGoesUpInStreamedParts()
    {
        const std::string data = content(12 * MiB + 12345, 2);
        const std::string path = _dir.write("large.bin", data);
        S3Uploader uploader(settings("comfyui", 5));
        std::vector<TransferProgress> reports;
        const S3Object object =
            uploader.upload(path, "loras/large.bin", {[&](const TransferProgress& p) { reports.push_back(p); }, {}},
                            {{"sha256", sha256(data)}});

        CPPUNIT_ASSERT_EQUAL(std::uint64_t(data.size()), object.size);
        CPPUNIT_ASSERT(!object.etag.empty());
        // Three parts (5 + 5 + 2 MiB) between one create and one complete.
        const auto requests = requestCounts();
        CPPUNIT_ASSERT_EQUAL(1, requests->optValue("POST uploads", 0));
        CPPUNIT_ASSERT_EQUAL(3, requests->optValue("PUT partNumber", 0));
        CPPUNIT_ASSERT_EQUAL(1, requests->optValue("POST uploadId", 0));
        CPPUNIT_ASSERT_EQUAL(sha256(data), sha256(read(object.key)));
        CPPUNIT_ASSERT_EQUAL(0, _s3->pendingMultipartUploads());

        CPPUNIT_ASSERT(reports.size() >= 3);
        for (std::size_t i = 1; i < reports.size(); ++i)
            CPPUNIT_ASSERT(reports[i].bytesDone >= reports[i - 1].bytesDone);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(data.size()), reports.back().bytesDone);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(data.size()), reports.back().totalBytes);

        // The SHA-256 travels as metadata, so a later download of the same file can be deduplicated.
        const auto head = uploader.head("loras/large.bin");
        CPPUNIT_ASSERT(head.has_value());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(data.size()), head->size);
        CPPUNIT_ASSERT_EQUAL(sha256(data), head->metadata.at("sha256"));
        CPPUNIT_ASSERT_EQUAL(sha256(data), object.metadata.at("sha256"));
    }

    void wrongAccessKeyIsAClearError()
    {
        const std::string path = _dir.write("a.bin", content(1000, 3));
        auto wrong = settings("comfyui");
        wrong.accessKeyId = "NOSUCHKEY";
        S3Uploader uploader(wrong);
        try {
            uploader.upload(path, "a.bin");
            CPPUNIT_FAIL("an unknown access key was accepted");
        } catch (const S3Error& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_EQUAL(403L, e.status());
            CPPUNIT_ASSERT_EQUAL(std::string("InvalidAccessKeyId"), e.code());
            CPPUNIT_ASSERT_MESSAGE(message, message.find("upload of comfyui/a.bin") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("does not exist in our records") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("S3_ACCESS_KEY_ID") != std::string::npos);
            CPPUNIT_ASSERT(message.find(_s3->secretAccessKey()) == std::string::npos);
        }
        CPPUNIT_ASSERT(!S3Uploader(settings("comfyui")).exists("a.bin"));
    }

    void wrongSecretIsRefusedBySignature()
    {
        const std::string path = _dir.write("a.bin", content(6 * MiB, 4));
        auto wrong = settings("comfyui", 5);
        wrong.secretAccessKey = "not-the-secret";
        S3Uploader uploader(wrong);
        try {
            uploader.upload(path, "a.bin"); // multipart: refused at CreateMultipartUpload
            CPPUNIT_FAIL("a wrong secret was accepted");
        } catch (const S3Error& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_EQUAL(403L, e.status());
            CPPUNIT_ASSERT_EQUAL(std::string("SignatureDoesNotMatch"), e.code());
            CPPUNIT_ASSERT_MESSAGE(message, message.find("S3_SECRET_ACCESS_KEY") != std::string::npos);
            CPPUNIT_ASSERT(message.find("not-the-secret") == std::string::npos);
        }
        // The same request with the right secret passes the same check.
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(6 * MiB), S3Uploader(settings("comfyui", 5)).upload(path, "a.bin").size);
    }

    void cancelMidMultipartAbortsTheUpload()
    {
        const std::string path = _dir.write("large.bin", content(12 * MiB, 5));
        S3Uploader uploader(settings("comfyui", 5));
        std::int64_t done = 0;
        bool cancel = false;
        S3Uploader::Hooks hooks{[&](const TransferProgress& p) { done = p.bytesDone; },
                                [&] { return cancel || (cancel = done > std::int64_t(6 * MiB)); }};
        CPPUNIT_ASSERT_THROW(uploader.upload(path, "big.bin", hooks), TransferCancelled);
        CPPUNIT_ASSERT(done > std::int64_t(5 * MiB)); // the first part was up: a real multipart to abort
        CPPUNIT_ASSERT(done < std::int64_t(12 * MiB));
        CPPUNIT_ASSERT(!uploader.exists("big.bin"));
        CPPUNIT_ASSERT_EQUAL(0, _s3->pendingMultipartUploads());
        CPPUNIT_ASSERT_EQUAL(1, requestCounts()->optValue("DELETE uploadId", 0));
        CPPUNIT_ASSERT_EQUAL(404, HttpTestClient(_s3->port()).get("/models/comfyui/big.bin").status);
    }

    void serverErrorsAreRetriedPerPart()
    {
        const std::string data = content(11 * MiB, 6);
        const std::string path = _dir.write("large.bin", data);
        injectFault("PUT", "partNumber=2", 503, 2);
        S3Uploader uploader(settings("comfyui", 5));
        const S3Object object = uploader.upload(path, "retried.bin");
        CPPUNIT_ASSERT_EQUAL(0, remainingFaults()); // both failures were met, and retried past
        CPPUNIT_ASSERT_EQUAL(5, requestCounts()->optValue("PUT partNumber", 0)); // 3 parts + 2 retries
        CPPUNIT_ASSERT_EQUAL(sha256(data), sha256(read(object.key)));
        CPPUNIT_ASSERT_EQUAL(0, _s3->pendingMultipartUploads());
    }

    void persistentFailureAbortsTheUpload()
    {
        const std::string path = _dir.write("large.bin", content(11 * MiB, 7));
        injectFault("PUT", "partNumber=3", 500, -1);
        S3Uploader uploader(settings("comfyui", 5));
        try {
            uploader.upload(path, "failed.bin");
            CPPUNIT_FAIL("a part that always fails did not fail the upload");
        } catch (const S3Error& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_EQUAL(500L, e.status());
            CPPUNIT_ASSERT_MESSAGE(message, message.find("part 3") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("InternalError: Injected by the test.") != std::string::npos);
        }
        CPPUNIT_ASSERT(!uploader.exists("failed.bin"));
        CPPUNIT_ASSERT_EQUAL(0, _s3->pendingMultipartUploads());
        const auto requests = requestCounts();
        CPPUNIT_ASSERT_EQUAL(2 + 4, requests->optValue("PUT partNumber", 0)); // part 3 tried maxAttempts times
        CPPUNIT_ASSERT_EQUAL(1, requests->optValue("DELETE uploadId", 0));
        CPPUNIT_ASSERT_EQUAL(0, requests->optValue("POST uploadId", 0));
    }

    void keysAreConfinedUnderThePrefix()
    {
        const std::string path = _dir.write("a.bin", content(10, 8));
        S3Uploader uploader(settings("comfyui"));
        for (const std::string& key : std::vector<std::string>{
                 "", "/etc/passwd", "../outside.bin", "a/../../outside.bin", "a/..", "./a.bin", "a/./b.bin", "a//b.bin",
                 "a/", "a\\..\\b.bin", std::string("a\nb.bin"), std::string(1100, 'k')}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(key, uploader.upload(path, key), std::invalid_argument);
            CPPUNIT_ASSERT_THROW_MESSAGE(key, uploader.head(key), std::invalid_argument);
        }
        CPPUNIT_ASSERT_THROW(uploader.list("../"), std::invalid_argument);
        // Nothing reached the bucket, inside or outside the prefix.
        CPPUNIT_ASSERT(S3Uploader(settings("")).list().empty());

        for (const char* prefix : {"/abs", "../up", "a/../b", "a//b"}) {
            CPPUNIT_ASSERT_THROW_MESSAGE(prefix, S3Uploader(settings(prefix)), std::invalid_argument);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("team/x/a.bin"), S3Uploader(settings("team/x/")).objectKey("a.bin"));
        CPPUNIT_ASSERT_EQUAL(std::string("a.bin"), S3Uploader(settings("")).objectKey("a.bin"));
    }

    void unusualKeysAreEncodedAndSigned()
    {
        const std::string data = content(2000, 9);
        const std::string path = _dir.write("a.bin", data);
        S3Uploader uploader(settings("my models"));
        const std::string key = "sub dir/Ünïcode+plus&amp=%20~(1).safetensors";
        const S3Object object = uploader.upload(path, key);
        CPPUNIT_ASSERT_EQUAL("my models/" + key, object.key);
        CPPUNIT_ASSERT(uploader.exists(key));
        const auto listed = uploader.list("sub dir/");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listed.size());
        CPPUNIT_ASSERT_EQUAL(object.key, listed[0].key);
        CPPUNIT_ASSERT(
            data == HttpTestClient(_s3->port())
                        .get("/models/my%20models/sub%20dir/%C3%9Cn%C3%AFcode%2Bplus%26amp%3D%2520~%281%29.safetensors")
                        .body);
    }

    void headAndListSeeOnlyThePrefix()
    {
        S3Uploader alice(settings("users/alice"));
        S3Uploader bob(settings("users/bob"));
        alice.upload(_dir.write("1.bin", content(10, 10)), "checkpoints/one.bin");
        alice.upload(_dir.write("2.bin", content(20, 11)), "loras/two.bin");
        bob.upload(_dir.write("3.bin", content(30, 12)), "checkpoints/three.bin");

        const auto all = alice.list();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
        CPPUNIT_ASSERT_EQUAL(std::string("users/alice/checkpoints/one.bin"), all[0].key);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), all[0].size);
        CPPUNIT_ASSERT_EQUAL(hexDigest(Poco::MD5Engine(), content(10, 10)), all[0].etag);
        CPPUNIT_ASSERT_EQUAL(std::string("users/alice/loras/two.bin"), all[1].key);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), alice.list("loras/").size());
        // (maxKeys below the number of matches is not exercised: s3rver 3.7 answers a
        // truncated ListObjectsV2 with a 500.)
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), alice.list({}, 2).size());
        CPPUNIT_ASSERT_THROW(alice.list({}, 0), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(alice.list({}, 1001), std::invalid_argument);

        CPPUNIT_ASSERT(!alice.exists("checkpoints/three.bin"));
        CPPUNIT_ASSERT(bob.exists("checkpoints/three.bin"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(20), alice.head("loras/two.bin")->size);
    }

    void virtualHostedStyleAddressesTheBucketByHost()
    {
        const std::string data = content(6 * MiB, 14);
        const std::string path = _dir.write("v.bin", data);
        auto hosted = settings("vhost", 5);
        hosted.endpoint = "http://s3.localhost:" + std::to_string(_s3->port()); // models.s3.localhost
        hosted.pathStyle = false;
        S3Uploader uploader(hosted);
        const S3Object object = uploader.upload(path, "v.bin");
        CPPUNIT_ASSERT_EQUAL(std::string("vhost/v.bin"), object.key);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), uploader.list().size());
        CPPUNIT_ASSERT_EQUAL(sha256(data), sha256(read(object.key)));
    }

    void settingsComeFromConfigurationAndEnvironment()
    {
        Configuration config;
        config.applyOverrides({{"s3.endpoint", _s3->endpoint()}, {"s3.bucket", "models"}, {"s3.prefix", "comfyui/"}});
        // Without credentials in the environment the uploader refuses to start, and says where they come from.
        try {
            S3Uploader uploader(S3Uploader::settingsFromConfig(config));
            CPPUNIT_FAIL("an uploader without credentials was made");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find("S3_SECRET_ACCESS_KEY") != std::string::npos);
        }
        config.applyEnvironment(
            {{"S3_ACCESS_KEY_ID", _s3->accessKeyId()}, {"S3_SECRET_ACCESS_KEY", _s3->secretAccessKey()}});
        const auto settings = S3Uploader::settingsFromConfig(config);
        CPPUNIT_ASSERT_EQUAL(std::string("us-east-1"), settings.region);
        CPPUNIT_ASSERT_EQUAL(16 * MiB, settings.partSizeBytes);
        CPPUNIT_ASSERT(settings.pathStyle);
        S3Uploader uploader(settings);
        const std::string path = _dir.write("c.bin", content(10, 13));
        CPPUNIT_ASSERT_EQUAL(std::string("comfyui/c.bin"), uploader.upload(path, "c.bin").key);

        Configuration smallParts;
        smallParts.applyOverrides(
            {{"s3.endpoint", _s3->endpoint()}, {"s3.bucket", "models"}, {"s3.part_size_mb", "4"}});
        CPPUNIT_ASSERT_THROW(S3Uploader::settingsFromConfig(smallParts), std::invalid_argument);
        Configuration noEndpoint;
        CPPUNIT_ASSERT_THROW(S3Uploader::settingsFromConfig(noEndpoint), std::invalid_argument);
        Configuration badEndpoint;
        badEndpoint.applyOverrides({{"s3.endpoint", "ftp://127.0.0.1/x"}, {"s3.bucket", "models"}});
        badEndpoint.applyEnvironment({{"S3_ACCESS_KEY_ID", "k"}, {"S3_SECRET_ACCESS_KEY", "s"}});
        CPPUNIT_ASSERT_THROW(S3Uploader(S3Uploader::settingsFromConfig(badEndpoint)), std::invalid_argument);
    }

private:
    S3Uploader::Settings settings(const std::string& prefix, std::uint64_t partMiB = 16) const
    {
        S3Uploader::Settings settings;
        settings.endpoint = _s3->endpoint();
        settings.bucket = _s3->bucket();
        settings.prefix = prefix;
        settings.accessKeyId = _s3->accessKeyId();
        settings.secretAccessKey = _s3->secretAccessKey();
        settings.partSizeBytes = partMiB * MiB;
        settings.retryBaseDelay = std::chrono::milliseconds(10);
        return settings;
    }

    std::string read(const std::string& fullKey) const
    {
        const auto result = HttpTestClient(_s3->port()).get("/" + _s3->bucket() + "/" + fullKey);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fullKey, 200, result.status);
        return result.body;
    }

    void injectFault(const std::string& method, const std::string& query, int status, int count) const
    {
        const auto result = HttpTestClient(_s3->port())
                                .request("POST", "/__faults?method=" + method + "&query=" + query + "&status=" +
                                                     std::to_string(status) + "&count=" + std::to_string(count));
        CPPUNIT_ASSERT_EQUAL(200, result.status);
    }

    int remainingFaults() const
    {
        return HttpTestClient(_s3->port()).get("/__faults").json()->getValue<int>("remaining");
    }

    Poco::JSON::Object::Ptr requestCounts() const { return HttpTestClient(_s3->port()).get("/__requests").json(); }

    TempDir _dir;
    S3Server* _s3 = nullptr;
};

CPPUNIT_TEST_SUITE_REGISTRATION(S3UploaderTest);

// Validation of POST .../download bodies: what is refused, with which status and message.
#include "DownloadRequestParser.h"
#include "comfygate/HttpError.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

using namespace comfygate::modeldownload;

class DownloadRequestParserTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(DownloadRequestParserTest);
    CPPUNIT_TEST(civitaiWithDefaultsAndTheCamelCaseAlias);
    CPPUNIT_TEST(huggingFaceFields);
    CPPUNIT_TEST(badBodiesAreRefusedWithAReason);
    CPPUNIT_TEST(s3IsForbiddenWhileDisabled);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _settings.folders = {"checkpoints", "loras", "custom_nodes"};
        _settings.defaultFolder = "checkpoints";
        _settings.civitaiHosts = {"civitai.com", "civitai.red"};
    }

    void civitaiWithDefaultsAndTheCamelCaseAlias()
    {
        const auto request = parse(R"({"source":"civitai","modelVersionId":138296,"fp":"fp16","size":"pruned"})");
        CPPUNIT_ASSERT_EQUAL(std::string("138296"), request.modelVersionId);
        CPPUNIT_ASSERT_EQUAL(std::string("checkpoints"), request.folderType);
        CPPUNIT_ASSERT_EQUAL(std::string("local"), request.destinationType);
        CPPUNIT_ASSERT_EQUAL(std::string("civitai.com"), request.civitaiHost);
        CPPUNIT_ASSERT_EQUAL(std::string("fp16"), request.fp);
        CPPUNIT_ASSERT_EQUAL(
            std::string("civitai.red"),
            parse(R"({"source":"civitai","model_version_id":"7","civitai_host":"civitai.red"})").civitaiHost);
    }

    void huggingFaceFields()
    {
        const auto request =
            parse(R"({"source":"huggingface","repo_id":"owner/model-name","filename":"model.safetensors",)"
                  R"("subfolder":"unet/fp16","folder_type":"loras"})");
        CPPUNIT_ASSERT_EQUAL(std::string("owner/model-name"), request.repoId);
        CPPUNIT_ASSERT_EQUAL(std::string("unet/fp16"), request.subfolder);
        CPPUNIT_ASSERT_EQUAL(std::string("loras"), request.folderType);
        CPPUNIT_ASSERT_EQUAL(std::string("main"), request.revision);
    }

    void badBodiesAreRefusedWithAReason()
    {
        expect(400, "unknown source 'dropbox'", R"({"source":"dropbox"})");
        expect(400, "\"source\" is required", R"({"model_version_id":"1"})");
        expect(400, "\"model_version_id\" is required", R"({"source":"civitai"})");
        expect(400, "must be a positive number", R"({"source":"civitai","model_version_id":"1; rm -rf"})");
        expect(400, "\"repo_id\" is required", R"({"source":"huggingface","filename":"a"})");
        expect(400, "owner/name", R"({"source":"huggingface","repo_id":"../etc","filename":"a"})");
        expect(400, "\"filename\" is required", R"({"source":"huggingface","repo_id":"a/b"})");
        for (const char* name : {"../x.safetensors", "a/../../x", "/etc/passwd", "a\\\\b", "a//b"})
            expect(400, "\"filename\" must be a relative path",
                   std::string(R"({"source":"huggingface","repo_id":"a/b","filename":")") + name + "\"}");
        expect(400, "\"subfolder\" must be a relative path",
               R"({"source":"huggingface","repo_id":"a/b","filename":"m","subfolder":"../.."})");
        expect(400, "\"filename\" must be a relative path",
               R"({"source":"civitai","model_version_id":"1","filename":"../../x"})");
        for (const char* folder : {"custom_nodes", "Custom_Nodes", "../checkpoints", "checkpoints/x", "unknown", "a b"})
            expect(400, "is not a model folder",
                   std::string(R"({"source":"civitai","model_version_id":"1","folder_type":")") + folder + "\"}");
        expect(400, "civitai_host", R"({"source":"civitai","model_version_id":"1","civitai_host":"evil.example"})");
        expect(400, "must be a string", R"({"source":["civitai"]})");
        expect(400, "destination_type must be local or s3",
               R"({"source":"civitai","model_version_id":"1","destination_type":"ftp"})");

        // A file name that is not UTF-8 (a Comfy Cloud source_url can percent-encode any byte;
        // found by tests/fuzz/download_request): the queue could not read its stored JSON back.
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("source", "huggingface");
        body->set("repo_id", "a/b");
        body->set("filename", std::string("a\xFB.safetensors"));
        try {
            DownloadRequestParser(_settings).parse(body);
            CPPUNIT_FAIL("accepted a file name that is not UTF-8");
        } catch (const comfygate::HttpError& error) {
            CPPUNIT_ASSERT_EQUAL(400, error.status());
            CPPUNIT_ASSERT(std::string(error.what()).find("\"filename\" must be UTF-8 text") != std::string::npos);
        }
    }

    void s3IsForbiddenWhileDisabled()
    {
        expect(403, "experimental.s3", R"({"source":"civitai","model_version_id":"1","destination_type":"s3"})");
        _settings.s3 = true;
        CPPUNIT_ASSERT_EQUAL(
            std::string("s3"),
            parse(R"({"source":"civitai","model_version_id":"1","destination_type":"s3"})").destinationType);
    }

private:
    DownloadRequest parse(const std::string& json)
    {
        DownloadRequestParser parser(_settings);
        return parser.parse(Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>());
    }

    void expect(int status, const std::string& fragment, const std::string& json)
    {
        try {
            parse(json);
        } catch (const comfygate::HttpError& error) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(json, status, error.status());
            CPPUNIT_ASSERT_MESSAGE(json + " -> " + error.what(),
                                   std::string(error.what()).find(fragment) != std::string::npos);
            return;
        }
        CPPUNIT_FAIL("accepted: " + json);
    }

    DownloadSettings _settings;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DownloadRequestParserTest);

#include "SourceUrl.h"

#include "comfygate/HttpError.h"

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::HttpError;
using comfygate::modeldownload::DownloadSettings;
using comfygate::modeldownload::SourceUrl;

class SourceUrlTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SourceUrlTest);
    CPPUNIT_TEST(civitaiPageAndDownloadUrlsNameAVersion);
    CPPUNIT_TEST(civitaiSecondHostAndBaseUrlHost);
    CPPUNIT_TEST(huggingFaceResolveAndBlobUrls);
    CPPUNIT_TEST(refusesOtherHostsSchemesAndShapes);
    CPPUNIT_TEST(storedUrlKeepsOnlyWhatNamesTheFile);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _settings.civitaiHosts = {"civitai.com", "civitai.red"};
        _settings.civitaiBaseUrl = "http://127.0.0.1:4100";
        _settings.huggingfaceBaseUrl = "http://127.0.0.1:4200";
    }

    void civitaiPageAndDownloadUrlsNameAVersion()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"civitai_host":"civitai.com","model_version_id":"1001","source":"civitai"})"),
            body("https://civitai.com/models/100/juggernaut-xl?modelVersionId=1001"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"civitai_host":"civitai.com","model_version_id":"1001","source":"civitai"})"),
            body("https://CIVITAI.com/models/100?modelVersionId=1001"));
        // The file selectors come along; other parameters (a token in the URL) do not.
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"civitai_host":"civitai.com","format":"SafeTensor","fp":"fp16",)"
                        R"("model_version_id":"1002","size":"pruned","source":"civitai","type":"Model"})"),
            body("https://civitai.com/api/download/models/1002?type=Model&format=SafeTensor&size=pruned"
                 "&fp=fp16&token=secret"));
    }

    void civitaiSecondHostAndBaseUrlHost()
    {
        CPPUNIT_ASSERT(body("https://civitai.red/models/1?modelVersionId=7").find(R"("civitai_host":"civitai.red")") !=
                       std::string::npos);
        // The base URL's host (a mirror, a test double) stands for the default host.
        CPPUNIT_ASSERT(body("http://127.0.0.1:4100/api/download/models/7").find(R"("civitai_host":"civitai.com")") !=
                       std::string::npos);
    }

    void huggingFaceResolveAndBlobUrls()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"filename":"unet/flux1-dev.safetensors","repo_id":"black-forest-labs/FLUX.1-dev",)"
                        R"("revision":"main","source":"huggingface"})"),
            body("https://huggingface.co/black-forest-labs/FLUX.1-dev/resolve/main/unet/"
                 "flux1-dev.safetensors?download=true"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"filename":"a b.safetensors","repo_id":"org/m","revision":"v1.0",)"
                                         R"("source":"huggingface"})"),
                             body("https://hf.co/org/m/blob/v1.0/a%20b.safetensors"));
    }

    void refusesOtherHostsSchemesAndShapes()
    {
        for (const char* url :
             {"", "https://evil.example/models/1?modelVersionId=2",
              "https://civitai.com.evil.example/models/1?modelVersionId=2",
              "https://user:pw@civitai.com/models/1?modelVersionId=2", "ftp://civitai.com/api/download/models/2",
              "file:///etc/passwd", "https://civitai.com/models/1", "https://civitai.com/images/5",
              "https://huggingface.co/org/m", "https://huggingface.co/org/m/tree/main/x",
              "https://huggingface.co/datasets/org/resolve/main/x", "not a url at all",
              // bad percent-encoding in the query (found by tests/fuzz/download_request)
              "https://civitai.com/api/download/models/2?format=SafeTe%so+r&fp=fp16"}) {
            try {
                body(url);
                CPPUNIT_FAIL(std::string("accepted ") + url);
            } catch (const HttpError& error) {
                CPPUNIT_ASSERT_EQUAL(400, error.status());
                CPPUNIT_ASSERT_EQUAL(std::string("invalid_source_url"), error.code());
            }
        }
    }

    void storedUrlKeepsOnlyWhatNamesTheFile()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("https://civitai.com/api/download/models/1002?type=Model&fp=fp16"),
                             SourceUrl::withoutSecrets("https://civitai.com/api/download/models/1002?type=Model"
                                                       "&token=hunter2&fp=fp16#frag"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("https://huggingface.co/org/m/resolve/main/x.safetensors"),
            SourceUrl::withoutSecrets("https://huggingface.co/org/m/resolve/main/x.safetensors?download=true"));
    }

private:
    std::string body(const std::string& url)
    {
        SourceUrl parser(_settings, {"huggingface.co", "hf.co"});
        std::ostringstream out;
        parser.toDownloadBody(url)->stringify(out);
        return out.str();
    }

    DownloadSettings _settings;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SourceUrlTest);

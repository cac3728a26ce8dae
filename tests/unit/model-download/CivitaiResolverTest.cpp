#include "CivitaiResolver.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

using comfygate::modeldownload::CivitaiFile;
using comfygate::modeldownload::CivitaiResolver;
using comfygate::modeldownload::DownloadRefused;
using comfygate::modeldownload::SourceRequest;

namespace {

CivitaiFile file(const std::string& id, const std::string& type, const std::string& format, const std::string& size,
                 const std::string& fp, bool primary = false)
{
    CivitaiFile f;
    f.id = id;
    f.name = "file" + id + ".safetensors";
    f.type = type;
    f.format = format;
    f.size = size;
    f.fp = fp;
    f.primary = primary;
    return f;
}

// A multi-file version: full fp32, pruned fp16 (primary), a VAE and training data.
std::vector<CivitaiFile> multiFileVersion()
{
    return {file("1", "Model", "SafeTensor", "full", "fp32"), file("2", "Model", "SafeTensor", "pruned", "fp16", true),
            file("3", "VAE", "SafeTensor", "", "fp16"), file("4", "Training Data", "", "", ""),
            file("5", "Model", "PickleTensor", "pruned", "fp16")};
}

SourceRequest request(const std::string& type = "", const std::string& format = "", const std::string& size = "",
                      const std::string& fp = "")
{
    SourceRequest r;
    r.source = "civitai";
    r.modelVersionId = "42";
    r.type = type;
    r.format = format;
    r.size = size;
    r.fp = fp;
    return r;
}

} // namespace

class CivitaiResolverTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(CivitaiResolverTest);
    CPPUNIT_TEST(testNoSelectorsPicksPrimary);
    CPPUNIT_TEST(testNoPrimaryPicksFirst);
    CPPUNIT_TEST(testSelectorsPickTheMatchingFile);
    CPPUNIT_TEST(testSelectorsAreCaseInsensitive);
    CPPUNIT_TEST(testPrimaryPreferredAmongMatches);
    CPPUNIT_TEST(testMismatchIsRefusedWithWhatIsOffered);
    CPPUNIT_TEST(testEmptyVersionRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void testNoSelectorsPicksPrimary()
    {
        const auto files = multiFileVersion();
        CPPUNIT_ASSERT_EQUAL(std::string("2"), CivitaiResolver::chooseFile(files, request()).id);
    }

    void testNoPrimaryPicksFirst()
    {
        auto files = multiFileVersion();
        for (auto& f : files)
            f.primary = false;
        CPPUNIT_ASSERT_EQUAL(std::string("1"), CivitaiResolver::chooseFile(files, request()).id);
    }

    void testSelectorsPickTheMatchingFile()
    {
        const auto files = multiFileVersion();
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             CivitaiResolver::chooseFile(files, request("Model", "SafeTensor", "full", "fp32")).id);
        CPPUNIT_ASSERT_EQUAL(std::string("3"), CivitaiResolver::chooseFile(files, request("VAE")).id);
        CPPUNIT_ASSERT_EQUAL(std::string("4"), CivitaiResolver::chooseFile(files, request("Training Data")).id);
        CPPUNIT_ASSERT_EQUAL(std::string("5"), CivitaiResolver::chooseFile(files, request("", "PickleTensor")).id);
        CPPUNIT_ASSERT_EQUAL(std::string("1"), CivitaiResolver::chooseFile(files, request("", "", "full")).id);
    }

    void testSelectorsAreCaseInsensitive()
    {
        const auto files = multiFileVersion();
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
                             CivitaiResolver::chooseFile(files, request("model", "safetensor", "FULL", "FP32")).id);
    }

    void testPrimaryPreferredAmongMatches()
    {
        const auto files = multiFileVersion();
        CPPUNIT_ASSERT_EQUAL(std::string("2"), CivitaiResolver::chooseFile(files, request("Model", "", "", "fp16")).id);
    }

    void testMismatchIsRefusedWithWhatIsOffered()
    {
        const auto files = multiFileVersion();
        try {
            CivitaiResolver::chooseFile(files, request("Model", "GGUF"));
            CPPUNIT_FAIL("a mismatching selector was accepted");
        } catch (const DownloadRefused& refused) {
            const std::string message = refused.what();
            CPPUNIT_ASSERT_MESSAGE(message, message.find("type=Model, format=GGUF") != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(message, message.find("file1.safetensors (Model, SafeTensor, full, fp32)") !=
                                                std::string::npos);
        }
    }

    void testEmptyVersionRefused()
    {
        CPPUNIT_ASSERT_THROW(CivitaiResolver::chooseFile({}, request()), DownloadRefused);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CivitaiResolverTest);

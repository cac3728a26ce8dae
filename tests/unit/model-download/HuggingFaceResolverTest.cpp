#include "HuggingFaceResolver.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

using comfygate::modeldownload::HuggingFaceResolver;

class HuggingFaceResolverTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HuggingFaceResolverTest);
    CPPUNIT_TEST(testRepoIds);
    CPPUNIT_TEST(testRepoPaths);
    CPPUNIT_TEST(testEncodePath);
    CPPUNIT_TEST_SUITE_END();

public:
    void testRepoIds()
    {
        for (const char* id : {"org/name", "black-forest-labs/FLUX.1-dev", "Comfy-Org/flux1_dev", "a/b.c_d-e"})
            CPPUNIT_ASSERT_MESSAGE(id, HuggingFaceResolver::repoIdProblem(id).empty());
        for (const char* id :
             {"", "name", "a/b/c", "../x", "a/..", "a/b..c", "/a", "a/", "a b/c", "a/b?x", "-a/b", ".a/b", "a/b%2F"})
            CPPUNIT_ASSERT_MESSAGE(id, !HuggingFaceResolver::repoIdProblem(id).empty());
    }

    void testRepoPaths()
    {
        for (const char* path : {"model.safetensors", "unet/diffusion_pytorch_model.safetensors", "a b/c d.bin"})
            CPPUNIT_ASSERT_MESSAGE(path, HuggingFaceResolver::repoPathProblem(path).empty());
        for (const char* path : {"", "../x", "a/../b", "a//b", "/abs", "a/", "./x", "a\\b", "a\nb"})
            CPPUNIT_ASSERT_MESSAGE(path, !HuggingFaceResolver::repoPathProblem(path).empty());
    }

    void testEncodePath()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("unet/model.safetensors"),
                             HuggingFaceResolver::encodePath("unet/model.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::string("a%20b/c%3Fd%23e%25f"), HuggingFaceResolver::encodePath("a b/c?d#e%f"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HuggingFaceResolverTest);

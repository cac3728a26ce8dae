// Grant item names: `*` globs (slashes included) and the validation that keeps names inside
// their model folder.
#include "ModelItemName.h"

#include <cppunit/extensions/HelperMacros.h>

#include <stdexcept>

using comfygate::comfyproxy::ModelItemName;

class ModelItemNameTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ModelItemNameTest);
    CPPUNIT_TEST(globMatchesRunsOfCharacters);
    CPPUNIT_TEST(pathologicalGlobStaysFast);
    CPPUNIT_TEST(validationAcceptsSubfoldersAndGlobs);
    CPPUNIT_TEST_SUITE_END();

public:
    void globMatchesRunsOfCharacters()
    {
        CPPUNIT_ASSERT(ModelItemName::matches("a.safetensors", "a.safetensors"));
        CPPUNIT_ASSERT(!ModelItemName::matches("a.safetensors", "a.safetensorsX"));
        CPPUNIT_ASSERT(!ModelItemName::matches("a.safetensors", "A.safetensors")); // case matters, like the files
        CPPUNIT_ASSERT(ModelItemName::matches("*", ""));
        CPPUNIT_ASSERT(ModelItemName::matches("*", "x/y/z.pt"));
        CPPUNIT_ASSERT(ModelItemName::matches("sd*xl*.safetensors", "sd_big_xl_v2.safetensors"));
        CPPUNIT_ASSERT(!ModelItemName::matches("sd*xl*.safetensors", "sd_big_xl_v2.ckpt"));
        CPPUNIT_ASSERT(ModelItemName::matches("**", "abc"));
        CPPUNIT_ASSERT(!ModelItemName::matches("a*", "ba"));
        CPPUNIT_ASSERT(!ModelItemName::matches("", "a"));
    }

    void pathologicalGlobStaysFast()
    {
        const std::string item(5000, 'a');
        CPPUNIT_ASSERT(!ModelItemName::matches("*a*a*a*a*a*a*a*a*a*b", item));
    }

    void validationAcceptsSubfoldersAndGlobs()
    {
        ModelItemName::validateItem("sdxl/base.safetensors");
        ModelItemName::validateItem("*");
        ModelItemName::validateItem("my model (v2).safetensors");
        ModelItemName::validateFolder("checkpoints");
        ModelItemName::validateFolder("ultralytics_bbox");
        CPPUNIT_ASSERT_THROW(ModelItemName::validateItem("a/./b"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ModelItemName::validateItem(std::string(513, 'a')), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ModelItemName::validateFolder("."), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ModelItemName::validateFolder(std::string(65, 'a')), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModelItemNameTest);

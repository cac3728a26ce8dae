// UserDocumentShape: the starred-models and model-preset-links shapes, and what is refused.
#include "UserDocumentShape.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

using comfygate::presets::UserDocumentShape;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string starredProblem(const std::string& text)
{
    try {
        UserDocumentShape::checkStarredModels(parse(text));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

std::string linksProblem(const std::string& text)
{
    try {
        UserDocumentShape::checkPresetLinks(parse(text));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

} // namespace

class UserDocumentShapeTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserDocumentShapeTest);
    CPPUNIT_TEST(starredModels);
    CPPUNIT_TEST(presetLinks);
    CPPUNIT_TEST_SUITE_END();

public:
    void starredModels()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(), starredProblem(R"({})"));
        CPPUNIT_ASSERT_EQUAL(std::string(), starredProblem(R"({"Stable-Diffusion":["a","b/c"],"LoRA":[]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'LoRA' must be an array of strings"), starredProblem(R"({"LoRA":"a"})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'LoRA'[1] must be a string"), starredProblem(R"({"LoRA":["a",2]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'LoRA'[0] must be a string"), starredProblem(R"({"LoRA":[null]})"));
    }

    void presetLinks()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(), linksProblem(R"({"Stable-Diffusion":{"m":["p1","p2"]},"VAE":{}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'VAE' must be an object of model name -> preset titles"),
                             linksProblem(R"({"VAE":["m"]})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'VAE'.'m' must be an array of strings"),
                             linksProblem(R"({"VAE":{"m":"p"}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("'VAE'.'m'[0] must be a string"), linksProblem(R"({"VAE":{"m":[{"p":1}]}})"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserDocumentShapeTest);

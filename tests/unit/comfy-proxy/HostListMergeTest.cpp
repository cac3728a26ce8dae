#include "HostListMerge.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cppunit/extensions/HelperMacros.h>

#include <sstream>

using comfygate::comfyproxy::HostListMerge;

namespace {

Poco::Dynamic::Var parse(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

std::string text(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

std::string merged(const std::string& left, const std::string& right, bool intersection)
{
    return text(HostListMerge::merge(parse(left), parse(right), intersection));
}

// Two hosts' /object_info: both have KSampler; each has a loader the other lacks; the shared
// loader offers different checkpoints, in the old combo form and in the COMBO form.
const std::string first =
    R"({"CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["a.safetensors","b.safetensors"],{}]}}},)"
    R"("UNETLoader":{"input":{"required":{"unet_name":["COMBO",{"options":["u1","u2"]}]}}},)"
    R"("KSampler":{"input":{"required":{"steps":["INT",{"default":20}]}}},)"
    R"("OnlyFirst":{"input":{}}})";
const std::string second =
    R"({"KSampler":{"input":{"required":{"steps":["INT",{"default":20}]}}},)"
    R"("CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["b.safetensors","c.safetensors"],{}]}}},)"
    R"("UNETLoader":{"input":{"required":{"unet_name":["COMBO",{"options":["u2","u3"]}]}}},)"
    R"("OnlySecond":{"input":{}}})";

} // namespace

class HostListMergeTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(HostListMergeTest);
    CPPUNIT_TEST(namesIntersectInTheFirstHostsOrder);
    CPPUNIT_TEST(namesUniteFirstHostFirst);
    CPPUNIT_TEST(nodeClassesAndComboOptionsIntersect);
    CPPUNIT_TEST(nodeClassesAndComboOptionsUnite);
    CPPUNIT_TEST(differentShapesKeepTheFirstAnswer);
    CPPUNIT_TEST_SUITE_END();

public:
    void namesIntersectInTheFirstHostsOrder()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["c","a"])"), merged(R"(["c","b","a"])", R"(["a","c","d"])", true));
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), merged(R"(["x"])", R"(["y"])", true));
    }

    void namesUniteFirstHostFirst()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["c","b","a","d"])"),
                             merged(R"(["c","b","a"])", R"(["a","c","d"])", false));
    }

    void nodeClassesAndComboOptionsIntersect()
    {
        const auto both = parse(merged(first, second, true)).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), both->size());
        CPPUNIT_ASSERT(!both->has("OnlyFirst") && !both->has("OnlySecond"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["b.safetensors"])"), text(both->getObject("CheckpointLoaderSimple")
                                                                           ->getObject("input")
                                                                           ->getObject("required")
                                                                           ->getArray("ckpt_name")
                                                                           ->getArray(0)));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["u2"])"), text(both->getObject("UNETLoader")
                                                                ->getObject("input")
                                                                ->getObject("required")
                                                                ->getArray("unet_name")
                                                                ->getObject(1)
                                                                ->getArray("options")));
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"(["INT",{"default":20}])"),
            text(both->getObject("KSampler")->getObject("input")->getObject("required")->getArray("steps")));
    }

    void nodeClassesAndComboOptionsUnite()
    {
        const auto any = parse(merged(first, second, false)).extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), any->size());
        CPPUNIT_ASSERT(any->has("OnlyFirst") && any->has("OnlySecond"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["a.safetensors","b.safetensors","c.safetensors"])"),
                             text(any->getObject("CheckpointLoaderSimple")
                                      ->getObject("input")
                                      ->getObject("required")
                                      ->getArray("ckpt_name")
                                      ->getArray(0)));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["u1","u2","u3"])"), text(any->getObject("UNETLoader")
                                                                          ->getObject("input")
                                                                          ->getObject("required")
                                                                          ->getArray("unet_name")
                                                                          ->getObject(1)
                                                                          ->getArray("options")));
    }

    void differentShapesKeepTheFirstAnswer()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["a"])"), merged(R"(["a"])", R"({"a":1})", true));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HostListMergeTest);

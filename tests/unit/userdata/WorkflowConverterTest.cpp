#include "WorkflowConverter.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <cmath>
#include <fstream>
#include <sstream>

using comfygate::userdata::WorkflowConversionError;
using comfygate::userdata::WorkflowConverter;

namespace {

const std::string workflowDir = COMFYGATE_SOURCE_DIR "/tests/unit/userdata/workflows/";

Poco::Dynamic::Var parse(const std::string& text)
{
    // Order-preserving, as the gateway parses /object_info.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
    return parse(text).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr load(const std::string& name)
{
    std::ifstream in(workflowDir + name);
    if (!in)
        throw std::runtime_error("cannot read fixture " + name);
    std::stringstream text;
    text << in.rdbuf();
    return parseObject(text.str());
}

std::string show(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

/// Structural comparison: object member order does not matter, 8 equals 8.0. Returns the path
/// of the first difference, or "" when equal.
std::string difference(const Poco::Dynamic::Var& expected, const Poco::Dynamic::Var& actual, const std::string& path)
{
    if (expected.type() == typeid(Poco::JSON::Object::Ptr)) {
        if (actual.type() != typeid(Poco::JSON::Object::Ptr))
            return path + ": expected an object, got " + show(actual);
        const auto want = expected.extract<Poco::JSON::Object::Ptr>();
        const auto got = actual.extract<Poco::JSON::Object::Ptr>();
        for (const auto& name : want->getNames()) {
            if (!got->has(name))
                return path + "." + name + ": missing";
            auto inner = difference(want->get(name), got->get(name), path + "." + name);
            if (!inner.empty())
                return inner;
        }
        for (const auto& name : got->getNames()) {
            if (!want->has(name))
                return path + "." + name + ": unexpected " + show(got->get(name));
        }
        return "";
    }
    if (expected.type() == typeid(Poco::JSON::Array::Ptr)) {
        if (actual.type() != typeid(Poco::JSON::Array::Ptr))
            return path + ": expected an array, got " + show(actual);
        const auto want = expected.extract<Poco::JSON::Array::Ptr>();
        const auto got = actual.extract<Poco::JSON::Array::Ptr>();
        if (want->size() != got->size())
            return path + ": expected " + show(expected) + ", got " + show(actual);
        for (std::size_t i = 0; i < want->size(); ++i) {
            auto inner = difference(want->get(i), got->get(i), path + "[" + std::to_string(i) + "]");
            if (!inner.empty())
                return inner;
        }
        return "";
    }
    if (expected.isEmpty() || actual.isEmpty())
        return expected.isEmpty() == actual.isEmpty() ? ""
                                                      : path + ": expected " + show(expected) + ", got " + show(actual);
    if (expected.isBoolean() || actual.isBoolean()) {
        return expected.isBoolean() && actual.isBoolean() && expected.extract<bool>() == actual.extract<bool>()
                   ? ""
                   : path + ": expected " + show(expected) + ", got " + show(actual);
    }
    if (expected.isNumeric() && actual.isNumeric())
        return std::fabs(expected.convert<double>() - actual.convert<double>()) < 1e-9
                   ? ""
                   : path + ": expected " + show(expected) + ", got " + show(actual);
    if (expected.isString() && actual.isString() && expected.extract<std::string>() == actual.extract<std::string>())
        return "";
    return path + ": expected " + show(expected) + ", got " + show(actual);
}

} // namespace

class WorkflowConverterTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(WorkflowConverterTest);
    CPPUNIT_TEST(textToImageVersion04);
    CPPUNIT_TEST(imageToImageVersion1WithLinkObjects);
    CPPUNIT_TEST(primitiveNodesReplaceConvertedWidgets);
    CPPUNIT_TEST(reroutesAreFollowedToTheSource);
    CPPUNIT_TEST(bypassedAndMutedNodes);
    CPPUNIT_TEST(legacyGroupNode);
    CPPUNIT_TEST(subgraph);
    CPPUNIT_TEST(nestedSubgraphs);
    CPPUNIT_TEST(apiPromptIsNotAUiWorkflow);
    CPPUNIT_TEST(widgetValuesByNameOrMissing);
    CPPUNIT_TEST(arrayWidgetValuesAreBoxed);
    CPPUNIT_TEST(controlValueFollowsTheInputOption);
    CPPUNIT_TEST(missingNodesIsRefused);
    CPPUNIT_TEST(wrongTypesAreRefused);
    CPPUNIT_TEST(danglingLinksAreRefused);
    CPPUNIT_TEST(unknownClassIsNamed);
    CPPUNIT_TEST(mutedOrBypassedUnknownClassIsLeftOut);
    CPPUNIT_TEST(rerouteLoopIsRefused);
    CPPUNIT_TEST(subgraphContainingItselfIsRefused);
    CPPUNIT_TEST(subgraphNestingIsBounded);
    CPPUNIT_TEST(subgraphExpansionIsBounded);
    CPPUNIT_TEST(subgraphInputsAreChecked);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _converter = std::make_unique<WorkflowConverter>(load("object_info.json")); }

    void tearDown() override { _converter.reset(); }

    void textToImageVersion04() { checkFixture("txt2img_v04"); }

    void imageToImageVersion1WithLinkObjects() { checkFixture("img2img_v1"); }

    void primitiveNodesReplaceConvertedWidgets() { checkFixture("primitives_converted"); }

    void reroutesAreFollowedToTheSource() { checkFixture("reroutes"); }

    void bypassedAndMutedNodes() { checkFixture("bypass_mute"); }

    void legacyGroupNode() { checkFixture("group_node"); }

    void subgraph() { checkFixture("subgraph"); }

    void nestedSubgraphs() { checkFixture("nested_subgraph"); }

    void apiPromptIsNotAUiWorkflow()
    {
        CPPUNIT_ASSERT(!WorkflowConverter::isUiWorkflow(load("txt2img_v04.api.json")));
        CPPUNIT_ASSERT(!WorkflowConverter::isUiWorkflow(parseObject(R"({"nodes": {"1": {}}})")));
        CPPUNIT_ASSERT(!WorkflowConverter::isUiWorkflow(nullptr));
    }

    void widgetValuesByNameOrMissing()
    {
        // Some custom nodes save widgets_values as an object; a value of another shape or a
        // short list leaves the widgets at their defaults.
        const auto prompt = _converter->convert(parseObject(R"({"nodes": [
            {"id": 1, "type": "EmptyLatentImage", "mode": 0, "widgets_values": {"height": 640, "width": 320}},
            {"id": 2, "type": "KSampler", "mode": 0, "widgets_values": "oops"},
            {"id": 3, "type": "ImageScale", "mode": 0, "widgets_values": ["bilinear", 100]}
        ], "links": []})"));
        const auto expected = parseObject(R"({
            "1": {"inputs": {"width": 320, "height": 640, "batch_size": 1}, "class_type": "EmptyLatentImage",
                  "_meta": {"title": "Empty Latent Image"}},
            "2": {"inputs": {"seed": 0, "steps": 20, "cfg": 8.0, "sampler_name": "euler", "scheduler": "normal",
                             "denoise": 1.0}, "class_type": "KSampler", "_meta": {"title": "KSampler"}},
            "3": {"inputs": {"upscale_method": "bilinear", "width": 100, "height": 512, "crop": "disabled"},
                  "class_type": "ImageScale", "_meta": {"title": "Upscale Image"}}
        })");
        const auto diff = difference(expected, prompt, "prompt");
        CPPUNIT_ASSERT_MESSAGE(diff, diff.empty());
    }

    void arrayWidgetValuesAreBoxed()
    {
        const auto prompt = _converter->convert(
            parseObject(R"({"nodes": [{"id": 1, "type": "PrimitiveString", "widgets_values": [["a", "b"]]}]})"));
        const auto diff = difference(parseObject(R"({"1": {"inputs": {"value": {"__value__": ["a", "b"]}},
            "class_type": "PrimitiveString", "_meta": {"title": "String"}}})"),
                                     prompt, "prompt");
        CPPUNIT_ASSERT_MESSAGE(diff, diff.empty());
    }

    void controlValueFollowsTheInputOption()
    {
        // control_after_generate: false on a "seed" adds no control value; true on a COMBO does;
        // the upload button's value follows the required inputs, before the optional ones.
        const WorkflowConverter converter(parseObject(R"({"Custom": {
            "input": {"required": {"seed": ["INT", {"control_after_generate": false}],
                                   "mode": [["a", "b"], {"control_after_generate": true}],
                                   "file": [["x.png"], {"image_upload": true}]},
                      "optional": {"strength": ["FLOAT", {"default": 1.0}], "hint": ["STRING", {"forceInput": true}]}},
            "input_order": {"required": ["seed", "mode", "file"], "optional": ["strength", "hint"]},
            "output": [], "name": "Custom", "display_name": "Custom Node", "category": "test", "output_node": true}})"));
        const auto prompt = converter.convert(parseObject(
            R"({"nodes": [{"id": 1, "type": "Custom", "widgets_values": [5, "b", "increment", "x.png", "image", 0.5]}]})"));
        const auto diff = difference(parseObject(R"({"1": {"inputs": {"seed": 5, "mode": "b", "file": "x.png",
            "strength": 0.5}, "class_type": "Custom", "_meta": {"title": "Custom Node"}}})"),
                                     prompt, "prompt");
        CPPUNIT_ASSERT_MESSAGE(diff, diff.empty());
    }

    void missingNodesIsRefused()
    {
        expectError(R"({"links": []})", "no \"nodes\" array");
        expectError(R"({"nodes": {"1": {"class_type": "SaveImage"}}})", "no \"nodes\" array");
        CPPUNIT_ASSERT_THROW(_converter->convert(nullptr), WorkflowConversionError);
    }

    void wrongTypesAreRefused()
    {
        expectError(R"({"nodes": [1]})", "node #0 is not an object");
        expectError(R"({"nodes": [{"id": {"x": 1}, "type": "SaveImage"}]})", "id is not a number or a string");
        expectError(R"({"nodes": [{"id": 1}]})", "node 1 has no type");
        expectError(R"({"nodes": [{"id": 1, "type": "SaveImage"}, {"id": 1, "type": "SaveImage"}]})", "appears twice");
        expectError(R"({"nodes": [], "links": 5})", "\"links\" is not an array");
        expectError(R"({"nodes": [], "links": [[1, 2]]})", "fewer than 5 fields");
        expectError(R"({"nodes": [], "links": [[1, 2, "abc", 3, 0, "IMAGE"]]})", "expected an integer");
        expectError(R"({"nodes": [], "links": ["link"]})", "neither an array nor an object");
        expectError(R"({"nodes": [{"id": 1, "type": "SaveImage", "mode": "on"}]})", "mode");
        expectError(R"({"nodes": [{"id": 1, "type": "PreviewImage", "inputs": [{"name": "images", "link": [5]}]}]})",
                    "node 1 (PreviewImage) input 'images'");
    }

    void danglingLinksAreRefused()
    {
        expectError(
            R"({"nodes": [{"id": 2, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 5}]}],
                       "links": [[5, 99, 0, 2, 0, "IMAGE"]]})",
            "node 2 (PreviewImage): input 'images' comes from node 99, which is not in the workflow");
        expectError(
            R"({"nodes": [{"id": 2, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 77}]}],
                       "links": []})",
            "uses link 77, which is not in the workflow");
    }

    void unknownClassIsNamed()
    {
        expectError(R"({"nodes": [{"id": 7, "type": "FancySampler", "title": "My sampler", "mode": 0}]})",
                    "node 7 (My sampler): unknown node type 'FancySampler'");
    }

    void mutedOrBypassedUnknownClassIsLeftOut()
    {
        const auto prompt = _converter->convert(parseObject(R"({"nodes": [
            {"id": 1, "type": "FancySampler", "mode": 2}, {"id": 2, "type": "FancySampler", "mode": 4},
            {"id": 3, "type": "Note", "widgets_values": ["hi"]}]})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), prompt->size());
    }

    void rerouteLoopIsRefused()
    {
        expectError(R"({"nodes": [
            {"id": 1, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 2}], "outputs": [{"name": "", "type": "*", "links": [1, 3]}]},
            {"id": 2, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 1}], "outputs": [{"name": "", "type": "*", "links": [2]}]},
            {"id": 3, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 3}]}],
            "links": [[1, 1, 0, 2, 0, "*"], [2, 2, 0, 1, 0, "*"], [3, 1, 0, 3, 0, "IMAGE"]]})",
                    "form a loop");
    }

    void subgraphContainingItselfIsRefused()
    {
        expectError(R"({"nodes": [{"id": 1, "type": "sg-a"}], "definitions": {"subgraphs": [
            {"id": "sg-a", "name": "A", "nodes": [{"id": 1, "type": "sg-b"}], "links": []},
            {"id": "sg-b", "name": "B", "nodes": [{"id": 1, "type": "sg-a"}], "links": []}]}})",
                    "subgraph 'A' contains itself");
    }

    void subgraphNestingIsBounded()
    {
        std::string definitions;
        for (int level = 0; level < 40; ++level) {
            definitions += std::string(level ? "," : "") + R"({"id": "sg-)" + std::to_string(level) +
                           R"(", "nodes": [{"id": 1, "type": "sg-)" + std::to_string(level + 1) + R"("}]})";
        }
        expectError(R"({"nodes": [{"id": 1, "type": "sg-0"}], "definitions": {"subgraphs": [)" + definitions + "]}}",
                    "nest deeper than");
    }

    void subgraphExpansionIsBounded()
    {
        // Ten levels of three instances each would be 3^10 nodes.
        std::string definitions;
        for (int level = 0; level < 10; ++level) {
            const auto next = R"(", "type": "sg-)" + std::to_string(level + 1) + R"("})";
            definitions += std::string(level ? "," : "") + R"({"id": "sg-)" + std::to_string(level) +
                           R"(", "nodes": [{"id": "1)" + next + R"(, {"id": "2)" + next + R"(, {"id": "3)" + next +
                           "]}";
        }
        expectError(R"({"nodes": [{"id": 1, "type": "sg-0"}], "definitions": {"subgraphs": [)" + definitions + "]}}",
                    "expands to more than");
    }

    void subgraphInputsAreChecked()
    {
        expectError(
            R"({"nodes": [{"id": 2, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 5}]}],
                       "links": [{"id": 5, "origin_id": -10, "origin_slot": 0, "target_id": 2, "target_slot": 0}]})",
            "comes from a subgraph input outside any subgraph");
        expectError(R"({"nodes": [{"id": 1, "type": "sg", "inputs": []}], "definitions": {"subgraphs": [
            {"id": "sg", "name": "S", "nodes": [{"id": 2, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 5}]}],
             "links": [{"id": 5, "origin_id": -10, "origin_slot": 3, "target_id": 2, "target_slot": 0}]}]}})",
                    "node 1:2 (PreviewImage): input 'images' comes from input 3 of node 1 (sg), which does not exist");
    }

private:
    void checkFixture(const std::string& name)
    {
        const auto workflow = load(name + ".ui.json");
        CPPUNIT_ASSERT(WorkflowConverter::isUiWorkflow(workflow));
        const auto actual = _converter->convert(workflow);
        const auto diff = difference(load(name + ".api.json"), actual, name);
        CPPUNIT_ASSERT_MESSAGE(diff + "\nactual: " + show(actual), diff.empty());
    }

    void expectError(const std::string& workflow, const std::string& fragment)
    {
        try {
            _converter->convert(parseObject(workflow));
        } catch (const WorkflowConversionError& e) {
            const std::string message = e.what();
            CPPUNIT_ASSERT_MESSAGE("message '" + message + "' lacks '" + fragment + "'",
                                   message.find(fragment) != std::string::npos);
            return;
        }
        CPPUNIT_FAIL("no WorkflowConversionError for " + workflow);
    }

    std::unique_ptr<WorkflowConverter> _converter;
};

CPPUNIT_TEST_SUITE_REGISTRATION(WorkflowConverterTest);

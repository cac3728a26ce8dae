// PresetWire: SwarmUI's wire form of presets, the lazy preview URLs and param_map as strings.
#include "PresetWire.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <sstream>

using comfygate::presets::Preset;
using comfygate::presets::PresetWire;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

Preset sample()
{
    Preset preset;
    preset.userId = "u1";
    preset.title = "folder/my preset #1";
    preset.author = "alice";
    preset.description = "d";
    preset.paramMapJson = R"({"steps":"30"})";
    preset.isStarred = true;
    preset.revision = 1234;
    return preset;
}

} // namespace

class PresetWireTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(PresetWireTest);
    CPPUNIT_TEST(pathsEscapeAllButUnreservedAndSlash);
    CPPUNIT_TEST(listedPreviewIsLazyForJpegsOnly);
    CPPUNIT_TEST(sharedPresetsOfOthersAreReadOnly);
    CPPUNIT_TEST(exportedPreviewIsTheDataUrl);
    CPPUNIT_TEST(paramMapValuesBecomeStrings);
    CPPUNIT_TEST(paramMapIsCapped);
    CPPUNIT_TEST_SUITE_END();

public:
    void pathsEscapeAllButUnreservedAndSlash()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("folder/my%20preset%20%231"), PresetWire::pathOf("folder/my preset #1"));
        CPPUNIT_ASSERT_EQUAL(std::string("a%3Fb%26c%25d%2B"), PresetWire::pathOf("a?b&c%d+"));
        CPPUNIT_ASSERT_EQUAL(std::string("Gr%C3%BC%C3%9Fe"), PresetWire::pathOf("Grüße"));
    }

    void listedPreviewIsLazyForJpegsOnly()
    {
        Preset preset = sample();
        CPPUNIT_ASSERT_EQUAL(std::string("imgs/model_placeholder.jpg"),
                             PresetWire::listed(preset, false)->getValue<std::string>("preview_image"));
        preset.previewPath = "/Output/a.png";
        CPPUNIT_ASSERT_EQUAL(std::string("/Output/a.png"),
                             PresetWire::listed(preset, false)->getValue<std::string>("preview_image"));
        preset.hasPreviewJpeg = true;
        auto wire = PresetWire::listed(preset, false);
        CPPUNIT_ASSERT_EQUAL(std::string("/ViewSpecial/Preset/folder/my%20preset%20%231?editid=1234"),
                             wire->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT_EQUAL(true, wire->getValue<bool>("is_starred"));
        CPPUNIT_ASSERT_EQUAL(std::string("30"), wire->getObject("param_map")->getValue<std::string>("steps"));
    }

    void sharedPresetsOfOthersAreReadOnly()
    {
        Preset preset = sample();
        preset.shared = true;
        preset.hasPreviewJpeg = true;
        auto wire = PresetWire::listed(preset, true);
        CPPUNIT_ASSERT_EQUAL(std::string("/ViewSpecial/SharedPreset/alice/folder/my%20preset%20%231?editid=1234"),
                             wire->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT_EQUAL(true, wire->getValue<bool>("read_only"));
        CPPUNIT_ASSERT_EQUAL(true, wire->getValue<bool>("shared"));
        CPPUNIT_ASSERT_EQUAL(false, wire->getValue<bool>("is_starred")); // starring is the publisher's own
    }

    void exportedPreviewIsTheDataUrl()
    {
        Preset preset = sample();
        preset.previewJpeg = std::string("\xFF\xD8\xFF\xE0", 4);
        auto wire = PresetWire::exported(preset);
        CPPUNIT_ASSERT_EQUAL(std::string("data:image/jpeg;base64,/9j/4A=="),
                             wire->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT(!wire->has("read_only"));
    }

    void paramMapValuesBecomeStrings()
    {
        const std::string stored = PresetWire::storedParamMap(
            parse(R"({"a":"text","b":30,"c":7.5,"d":true,"e":null,"f":{"x":[1,"y"]},"g":[1,2]})"), 100);
        auto map = parse(stored);
        for (const auto& [key, value] : *map)
            CPPUNIT_ASSERT_MESSAGE(key, value.isString());
        CPPUNIT_ASSERT_EQUAL(std::string("30"), map->getValue<std::string>("b"));
        CPPUNIT_ASSERT_EQUAL(std::string("7.5"), map->getValue<std::string>("c"));
        CPPUNIT_ASSERT_EQUAL(std::string("true"), map->getValue<std::string>("d"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), map->getValue<std::string>("e"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"x":[1,"y"]})"), map->getValue<std::string>("f"));
        CPPUNIT_ASSERT_EQUAL(std::string("[1,2]"), map->getValue<std::string>("g"));
    }

    void paramMapIsCapped()
    {
        CPPUNIT_ASSERT_THROW(PresetWire::storedParamMap(parse(R"({"a":"1","b":"2","c":"3"})"), 2),
                             std::invalid_argument);
        CPPUNIT_ASSERT_NO_THROW(PresetWire::storedParamMap(parse(R"({"a":"1","b":"2"})"), 2));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PresetWireTest);

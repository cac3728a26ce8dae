// The settings schema as data: parsing, dotted paths, SwarmUI's coercion made strict, the
// operator's defaults (presets.default_user.*) and the shipped schema file.
#include "SettingsSchema.h"
#include "ServerDefaults.h"
#include "SettingCoercion.h"
#include "SettingsAndServerRoutes.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <map>
#include <stdexcept>

using comfygate::presets::Coercion;
using comfygate::presets::ServerDefaults;
using comfygate::presets::SettingCoercion;
using comfygate::presets::SettingField;
using comfygate::presets::SettingsAndServerRoutes;
using comfygate::presets::SettingsSchema;
using comfygate::presets::SettingType;

namespace {

const std::string schemaText = R"({
  "themes": {"dark": {"name": "Dark", "is_dark": true, "css_paths": []}},
  "fields": {
    "Zeta": {"type": "bool", "default": false, "description": "first in the file"},
    "FileFormat": {"type": "group", "name": "File Format", "fields": {
      "ImageFormat": {"type": "dropdown", "default": "PNG", "values": ["PNG", "JPG"]},
      "ImageQuality": {"type": "integer", "default": 100, "min": 1, "max": 100},
      "Deep": {"type": "group", "fields": {"Volume": {"type": "decimal", "default": 0.5, "min": 0, "max": 1}}}
    }},
    "Tags": {"type": "list", "default": ["a", "b"], "max_length": 20},
    "Motto": {"type": "text", "default": "", "max_length": 10},
    "Token": {"type": "text", "default": "", "secret": true},
    "Roles": {"type": "list", "default": ["user"], "restricted": true},
    "Installed": {"type": "bool", "default": true, "hidden": true},
    "Theme": {"type": "dropdown", "default": "dark", "options": "themes"}
  }
})";

/// A Config over a map, for ServerDefaults.
class MapConfig : public comfygate::Config
{
public:
    explicit MapConfig(std::map<std::string, std::string> values) : _values(std::move(values)) {}
    bool has(const std::string& key) const override { return _values.count(key) != 0; }
    std::string getString(const std::string& key, const std::string& fallback) const override
    {
        return has(key) ? _values.at(key) : fallback;
    }
    long long getInt(const std::string&, long long fallback) const override { return fallback; }
    double getDouble(const std::string&, double fallback) const override { return fallback; }
    bool getBool(const std::string&, bool fallback) const override { return fallback; }
    std::vector<std::string> getList(const std::string&, const std::vector<std::string>& fallback) const override
    {
        return fallback;
    }
    std::string fullKey(const std::string& key) const override { return key; }

private:
    std::map<std::string, std::string> _values;
};

Poco::Dynamic::Var json(const std::string& text)
{
    return Poco::JSON::Parser().parse(text);
}

std::string listText(const Poco::Dynamic::Var& value)
{
    return SettingCoercion::toJson(value);
}

} // namespace

class SettingsSchemaTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(SettingsSchemaTest);
    CPPUNIT_TEST(dottedPathsFindFieldsAndGroups);
    CPPUNIT_TEST(fieldsKeepSchemaOrder);
    CPPUNIT_TEST(integersAcceptNumbersAndNumericText);
    CPPUNIT_TEST(decimalsBoolsAndTextCoerceStrictly);
    CPPUNIT_TEST(dropdownsAcceptOnlyTheirValues);
    CPPUNIT_TEST(listsAcceptArraysAndCommaSeparatedText);
    CPPUNIT_TEST(groupsAndNullAreRefused);
    CPPUNIT_TEST(badSchemasNameTheField);
    CPPUNIT_TEST(optionsFillDropdownsAndCheckTheirDefault);
    CPPUNIT_TEST(serverDefaultsComeFromConfiguration);
    CPPUNIT_TEST(storedValuesRoundTrip);
    CPPUNIT_TEST(theShippedSchemaLoads);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _schema = std::make_unique<SettingsSchema>(schemaText); }

    void dottedPathsFindFieldsAndGroups()
    {
        CPPUNIT_ASSERT(_schema->find("FileFormat")->type == SettingType::Group);
        CPPUNIT_ASSERT_EQUAL(std::string("FileFormat.ImageQuality"), _schema->find("FileFormat.ImageQuality")->path);
        CPPUNIT_ASSERT_EQUAL(std::string("Volume"), _schema->find("FileFormat.Deep.Volume")->key);
        for (const char* missing : {"", "Nope", "FileFormat.", ".FileFormat", "FileFormat..ImageFormat", "Zeta.Child",
                                    "fileformat.imageformat", "FileFormat.Deep.Volume.x"})
            CPPUNIT_ASSERT_MESSAGE(missing, _schema->find(missing) == nullptr);
    }

    void fieldsKeepSchemaOrder()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("Zeta"), _schema->fields().front().key);
        const auto leaves = _schema->leaves();
        CPPUNIT_ASSERT_EQUAL(std::string("FileFormat.ImageFormat"), leaves.at(1)->path);
        CPPUNIT_ASSERT_EQUAL(std::string("FileFormat.Deep.Volume"), leaves.at(3)->path);
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), leaves.size());
    }

    void integersAcceptNumbersAndNumericText()
    {
        const SettingField& quality = *_schema->find("FileFormat.ImageQuality");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), coerce(quality, 5).value.convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), coerce(quality, std::string(" 5 ")).value.convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), coerce(quality, 7.0).value.convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 100"), coerce(quality, 101).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must be at least 1"), coerce(quality, std::string("0")).reason);
        for (const Poco::Dynamic::Var& bad :
             {Poco::Dynamic::Var(std::string("five")), Poco::Dynamic::Var(5.5), Poco::Dynamic::Var(true), json("[5]"),
              json("{\"a\":5}"), Poco::Dynamic::Var(std::string("5.0"))})
            CPPUNIT_ASSERT_EQUAL(std::string("must be an integer"), coerce(quality, bad).reason);
    }

    void decimalsBoolsAndTextCoerceStrictly()
    {
        const SettingField& volume = *_schema->find("FileFormat.Deep.Volume");
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, coerce(volume, std::string("0.25")).value.convert<double>(), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, coerce(volume, 1).value.convert<double>(), 1e-9);
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 1"), coerce(volume, 1.5).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a number"), coerce(volume, std::string("loud")).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must be a number"), coerce(volume, std::string("nan")).reason);

        const SettingField& zeta = *_schema->find("Zeta");
        CPPUNIT_ASSERT_EQUAL(true, coerce(zeta, std::string("TRUE")).value.convert<bool>());
        CPPUNIT_ASSERT_EQUAL(false, coerce(zeta, false).value.convert<bool>());
        CPPUNIT_ASSERT_EQUAL(std::string("must be true or false"), coerce(zeta, 1).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must be true or false"), coerce(zeta, std::string("yes")).reason);

        const SettingField& motto = *_schema->find("Motto");
        CPPUNIT_ASSERT_EQUAL(std::string("42"), coerce(motto, 42).value.convert<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 10 characters"), coerce(motto, std::string(11, 'x')).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must be text"), coerce(motto, json("[\"a\"]")).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must not contain NUL characters"),
                             coerce(motto, std::string("a\0b", 3)).reason);
    }

    void dropdownsAcceptOnlyTheirValues()
    {
        const SettingField& format = *_schema->find("FileFormat.ImageFormat");
        CPPUNIT_ASSERT_EQUAL(std::string("JPG"), coerce(format, std::string("jpg")).value.convert<std::string>());
        CPPUNIT_ASSERT_EQUAL(std::string("must be one of: PNG, JPG"), coerce(format, std::string("GIF")).reason);
        CPPUNIT_ASSERT(!coerce(format, json("[\"PNG\"]")).ok);
    }

    void listsAcceptArraysAndCommaSeparatedText()
    {
        const SettingField& tags = *_schema->find("Tags");
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["x","y"])"), listText(coerce(tags, json(R"(["x","y"])")).value));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["x","y"])"), listText(coerce(tags, std::string(" x, ,y ,")).value));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["1","true"])"), listText(coerce(tags, json("[1, true]")).value));
        CPPUNIT_ASSERT_EQUAL(std::string("[]"), listText(coerce(tags, std::string("")).value));
        CPPUNIT_ASSERT(!coerce(tags, json(R"([["nested"]])")).ok);
        CPPUNIT_ASSERT(!coerce(tags, 5).ok);
        CPPUNIT_ASSERT_EQUAL(std::string("must be at most 20 characters in all"),
                             coerce(tags, std::string(21, 'x')).reason);
    }

    void groupsAndNullAreRefused()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("is a group: set its fields by their dotted paths"),
                             coerce(*_schema->find("FileFormat"), json("{}")).reason);
        CPPUNIT_ASSERT_EQUAL(std::string("must not be null"), coerce(*_schema->find("Zeta"), {}).reason);
    }

    void badSchemasNameTheField()
    {
        assertRefused(R"({"fields": {"A": {"type": "group", "fields": {"B": {"type": "integer", "default": "x"}}}}})",
                      "A.B");
        assertRefused(R"({"fields": {"A": {"type": "colour", "default": 1}}})", "A");
        assertRefused(R"({"fields": {"A.B": {"type": "bool", "default": true}}})", "A.B");
        assertRefused(R"({"fields": {"A": {"type": "bool"}}})", "A");
        assertRefused(R"({"fields": {"A": {"type": "dropdown", "default": "x", "values": ["y"]}}})", "A");
        assertRefused(
            R"({"fields": {"A": {"type": "dropdown", "default": "y", "values": ["y"], "value_names": ["Y", "Z"]}}})",
            "A");
        CPPUNIT_ASSERT_THROW(SettingsSchema("not json"), std::invalid_argument);
    }

    void optionsFillDropdownsAndCheckTheirDefault()
    {
        _schema->fillOptions("themes", {"dark", "light"}, {"Dark", "Light"});
        CPPUNIT_ASSERT_EQUAL(std::string("light"),
                             coerce(*_schema->find("Theme"), std::string("light")).value.convert<std::string>());
        SettingsSchema other(schemaText);
        CPPUNIT_ASSERT_THROW(other.fillOptions("themes", {"light"}, {"Light"}), std::invalid_argument);
    }

    void serverDefaultsComeFromConfiguration()
    {
        const auto defaults =
            ServerDefaults::fromConfig(*_schema, MapConfig({{"presets.default_user.FileFormat.ImageQuality", "80"},
                                                            {"presets.default_user.Tags", "p, q"},
                                                            {"presets.default_user.Unknown", "ignored"}}));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(80), defaults.find("FileFormat.ImageQuality")->convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["p","q"])"), listText(*defaults.find("Tags")));
        CPPUNIT_ASSERT(defaults.find("Zeta") == nullptr);
        try {
            ServerDefaults::fromConfig(*_schema, MapConfig(std::map<std::string, std::string>{
                                                     {"presets.default_user.FileFormat.ImageQuality", "0"}}));
            CPPUNIT_FAIL("a default out of range was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_EQUAL(
                std::string("configuration key presets.default_user.FileFormat.ImageQuality must be at least 1"),
                std::string(e.what()));
        }
    }

    void storedValuesRoundTrip()
    {
        for (const auto& [path, input] :
             std::vector<std::pair<std::string, Poco::Dynamic::Var>>{{"Zeta", true},
                                                                     {"FileFormat.ImageQuality", 42},
                                                                     {"FileFormat.Deep.Volume", 0.75},
                                                                     {"Motto", std::string("say \"hi\"")},
                                                                     {"Tags", json(R"(["x","y z"])")},
                                                                     {"FileFormat.ImageFormat", "JPG"}}) {
            const SettingField& field = *_schema->find(path);
            const auto canonical = coerce(field, input).value;
            const auto back = SettingCoercion::fromJson(field, SettingCoercion::toJson(canonical));
            CPPUNIT_ASSERT_MESSAGE(path, SettingCoercion::same(canonical, back));
        }
        // A stored value the schema no longer accepts reads as nothing (the default applies).
        CPPUNIT_ASSERT(SettingCoercion::fromJson(*_schema->find("FileFormat.ImageQuality"), "500").isEmpty());
        CPPUNIT_ASSERT(SettingCoercion::fromJson(*_schema->find("Zeta"), "not json").isEmpty());
    }

    void theShippedSchemaLoads()
    {
        SettingsSchema shipped(SettingsAndServerRoutes::embeddedSchema());
        for (const char* path :
             {"OutPathBuilder.Format", "FileFormat.ImageFormat", "FileFormat.ImageQuality", "UI.PresetListSort",
              "ParamParsing.AllowLoraStacking", "Theme", "Language", "Roles", "MaxImagesInHistory", "EnterKeyGenerates",
              "SaveFiles", "StarNoFolders", "VAEs.DefaultSDXLVAE", "Audio.Volume", "AutoComplete.MatchMode"})
            CPPUNIT_ASSERT_MESSAGE(path, shipped.find(path) != nullptr);
        CPPUNIT_ASSERT(shipped.find("Roles")->restricted);
        CPPUNIT_ASSERT(shipped.themes()->has("modern_dark"));
    }

private:
    static Coercion coerce(const SettingField& field, const Poco::Dynamic::Var& value)
    {
        return SettingCoercion::coerce(field, value);
    }

    static void assertRefused(const std::string& text, const std::string& path)
    {
        try {
            SettingsSchema schema(text);
            CPPUNIT_FAIL("accepted: " + text);
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), std::string(e.what()).find(path) != std::string::npos);
        }
    }

    std::unique_ptr<SettingsSchema> _schema;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsSchemaTest);

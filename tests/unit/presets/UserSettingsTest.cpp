// A user's settings in layers over a real SQLite database: only values that differ from the
// default are stored, hidden fields behave as if they did not exist, secrets are never read
// back, restricted fields are shown only when allowed and changed by nobody.
#include "UserSettings.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "ServerDefaults.h"
#include "SettingsSchema.h"
#include "SettingsTree.h"
#include "TempDir.h"
#include "UserSettingsStore.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Parser.h>

#include <memory>

using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::presets::ServerDefaults;
using comfygate::presets::SettingsSchema;
using comfygate::presets::SettingsTree;
using comfygate::presets::UserSettings;
using comfygate::presets::UserSettingsStore;

namespace {

const std::string schemaText = R"({"fields": {
  "Quality": {"type": "integer", "name": "Quality", "default": 100, "min": 1, "max": 100},
  "Group": {"type": "group", "name": "A Group", "fields": {
    "Tags": {"type": "list", "default": ["a"]},
    "Token": {"type": "text", "default": "", "secret": true}}},
  "Roles": {"type": "list", "default": ["user"], "restricted": true},
  "Installed": {"type": "bool", "default": true, "hidden": true}
}})";

Poco::JSON::Object::Ptr object(const std::string& text)
{
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string text(const Poco::JSON::Object::Ptr& value)
{
    std::ostringstream out;
    value->stringify(out);
    return out.str();
}

} // namespace

class UserSettingsTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserSettingsTest);
    CPPUNIT_TEST(onlyValuesThatDifferFromTheDefaultAreStored);
    CPPUNIT_TEST(operatorDefaultsSitBetweenSchemaAndUser);
    CPPUNIT_TEST(hiddenFieldsDoNotExist);
    CPPUNIT_TEST(secretsAreNeverReadBack);
    CPPUNIT_TEST(restrictedFieldsAreShownWhenAllowedAndChangedByNobody);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        DatabaseSettings settings;
        settings.sqlitePath = _dir.file("presets.db");
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate("presets", comfygate::moduleMigrations());
        _schema = std::make_unique<SettingsSchema>(schemaText);
        _store = std::make_unique<UserSettingsStore>(*_db);
        use(ServerDefaults());
    }

    void onlyValuesThatDifferFromTheDefaultAreStored()
    {
        auto rejected = _settings->change("u1", object(R"({"Quality": "50", "Group.Tags": "a"})"), 1);
        CPPUNIT_ASSERT(rejected.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _store->modified("u1").size());
        CPPUNIT_ASSERT_EQUAL(std::string("50"), _store->modified("u1").at("Quality"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(50), _settings->valueOf("u1", "Quality").convert<Poco::Int64>());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(100), _settings->valueOf("u2", "Quality").convert<Poco::Int64>());
        _settings->change("u1", object(R"({"Quality": 100})"), 2);
        CPPUNIT_ASSERT(_store->modified("u1").empty());
        CPPUNIT_ASSERT(_settings->valueOf("u1", "Group").isEmpty());
        CPPUNIT_ASSERT(_settings->valueOf("u1", "Nope").isEmpty());
    }

    void operatorDefaultsSitBetweenSchemaAndUser()
    {
        ServerDefaults defaults;
        defaults.set("Quality", Poco::Int64(80));
        use(defaults);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(80), _settings->valueOf("u1", "Quality").convert<Poco::Int64>());
        _settings->change("u1", object(R"({"Quality": 100})"), 1); // the schema's default is a choice now
        CPPUNIT_ASSERT_EQUAL(std::string("100"), _store->modified("u1").at("Quality"));
        const auto tree = SettingsTree::render(*_settings, _settings->effective("u1"), false);
        CPPUNIT_ASSERT_EQUAL(80, tree->getObject("Quality")->getValue<int>("default_value"));
        CPPUNIT_ASSERT_EQUAL(100, tree->getObject("Quality")->getValue<int>("value"));
    }

    void hiddenFieldsDoNotExist()
    {
        const auto rejected = _settings->change("u1", object(R"({"Installed": false})"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("unknown setting"), rejected.at("Installed"));
        const auto tree = SettingsTree::render(*_settings, _settings->effective("u1"), true);
        CPPUNIT_ASSERT(!tree->has("Installed"));
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                R"({"default_value":"a","description":"","is_secret":false,"name":"Tags","type":"list","value":"a","value_names":null,"values":null})"),
            sorted(tree->getObject("Group")->getObject("value")->getObject("Tags")));
    }

    void secretsAreNeverReadBack()
    {
        _settings->change("u1", object(R"({"Group.Token": "s3cr3t"})"), 1);
        auto tree = SettingsTree::render(*_settings, _settings->effective("u1"), true);
        const auto token = tree->getObject("Group")->getObject("value")->getObject("Token");
        CPPUNIT_ASSERT_EQUAL(std::string(UserSettings::secretSentinel), token->getValue<std::string>("value"));
        CPPUNIT_ASSERT_EQUAL(true, token->getValue<bool>("is_secret"));
        CPPUNIT_ASSERT(text(tree).find("s3cr3t") == std::string::npos);
        // The page sends the sentinel back with other changes: the secret stays.
        CPPUNIT_ASSERT(_settings->change("u1", object(R"({"Group.Token": "\t<secret>", "Quality": 7})"), 2).empty());
        CPPUNIT_ASSERT_EQUAL(std::string("s3cr3t"), _settings->valueOf("u1", "Group.Token").convert<std::string>());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), _settings->valueOf("u1", "Quality").convert<Poco::Int64>());
    }

    void restrictedFieldsAreShownWhenAllowedAndChangedByNobody()
    {
        CPPUNIT_ASSERT(!SettingsTree::render(*_settings, _settings->effective("u1"), false)->has("Roles"));
        CPPUNIT_ASSERT(SettingsTree::render(*_settings, _settings->effective("u1"), true)->has("Roles"));
        const auto rejected = _settings->change("u1", object(R"({"Roles": "admin", "Quality": 3})"), 1);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), rejected.size());
        CPPUNIT_ASSERT(rejected.at("Roles").find("restricted") == 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _store->modified("u1").size());
    }

private:
    void use(ServerDefaults defaults)
    {
        _settings = std::make_unique<UserSettings>(*_schema, std::move(defaults), *_store);
    }

    /// The object's members in name order (render() keeps schema order).
    static std::string sorted(const Poco::JSON::Object::Ptr& value)
    {
        Poco::JSON::Object copy;
        for (const auto& name : value->getNames())
            copy.set(name, value->get(name));
        return text(new Poco::JSON::Object(copy));
    }

    comfygate::test::TempDir _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<SettingsSchema> _schema;
    std::unique_ptr<UserSettingsStore> _store;
    std::unique_ptr<UserSettings> _settings;
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserSettingsTest);

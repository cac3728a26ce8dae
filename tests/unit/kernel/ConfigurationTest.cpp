#include "ConfigValue.h"
#include "ConfigView.h"
#include "Configuration.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <stdexcept>

using comfygate::Configuration;
using comfygate::ConfigValue;
using comfygate::ConfigView;
using comfygate::test::TempDir;
using Env = std::map<std::string, std::string>;
using List = std::vector<std::string>;

namespace {

const char* const defaults = "http.port = 8190\n"
                             "http.host = 0.0.0.0\n"
                             "http.trusted_proxies =\n"
                             "data.dir = ./var\n"
                             "# a comment\n"
                             "secret.key =\n"
                             "comfy.separate_users = true\n"
                             "auth.require_auth_for_remote_api = true\n"
                             "auth.allow_guest_jwt = false\n"
                             "auth.mfa_disabled = false\n"
                             "experimental.enabled = false\n"
                             "experimental.mfa = false\n"
                             "experimental.s3 = false\n"
                             "db.backend = sqlite\n"
                             "db.sqlite.path = comfygate.db\n"
                             "db.postgres.host = localhost\n"
                             "db.postgres.port = 5432\n"
                             "db.postgres.database = comfygate\n"
                             "db.postgres.user = comfygate\n"
                             "s3.access_key_id =\n"
                             "s3.secret_access_key =\n"
                             "http.base_url =\n"
                             "policy.settings.max_steps = 150\n"
                             "policy.settings.nsfw_terms = nsfw, nude\n"
                             "policy.dir =\n";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// The message of the std::invalid_argument `call` throws ("" when it does not throw).
template <class Call>
std::string invalidArgument(Call call)
{
    try {
        call();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

} // namespace

class ConfigurationTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ConfigurationTest);
    CPPUNIT_TEST(testDefaultsText);
    CPPUNIT_TEST(testBuiltInDefaults);
    CPPUNIT_TEST(testFileOverlay);
    CPPUNIT_TEST(testFileUnknownKeysReported);
    CPPUNIT_TEST(testMissingFileNamed);
    CPPUNIT_TEST(testEnvironmentName);
    CPPUNIT_TEST(testEnvironmentComfygateName);
    CPPUNIT_TEST(testEnvironmentReachesKeysFromFile);
    CPPUNIT_TEST(testEnvironmentIgnoresUnrelatedNames);
    CPPUNIT_TEST(testCompatibilityNames);
    CPPUNIT_TEST(testExperimentalNames);
    CPPUNIT_TEST(testPasswordNames);
    CPPUNIT_TEST(testComfygateNameWinsOverCompatibilityName);
    CPPUNIT_TEST(testOverridesWinOverEnvironment);
    CPPUNIT_TEST(testOverrideUnknownKeysReported);
    CPPUNIT_TEST(testBadBoolNamesKeyAndSource);
    CPPUNIT_TEST(testBadIntNamesKeyAndSource);
    CPPUNIT_TEST(testBadDoubleNamesKey);
    CPPUNIT_TEST(testEmptyValuesUseFallback);
    CPPUNIT_TEST(testGetters);
    CPPUNIT_TEST(testGetList);
    CPPUNIT_TEST(testWithPrefix);
    CPPUNIT_TEST(testExperimentalMasterSwitch);
    CPPUNIT_TEST(testViewPrefixesKeys);
    CPPUNIT_TEST(testViewErrorsNameFullKey);
    CPPUNIT_TEST(testConfigValueBooleans);
    CPPUNIT_TEST(testConfigValueNumbers);
    CPPUNIT_TEST(testConfigValueRejectsGroupedNumbers);
    CPPUNIT_TEST(testConfigValueListAndDescribe);
    CPPUNIT_TEST_SUITE_END();

public:
    void testDefaultsText()
    {
        Configuration config(defaults);
        CPPUNIT_ASSERT_EQUAL(8190LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT_EQUAL(std::string("./var"), config.getString("data.dir", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("default"), config.sourceOf("http.port"));
        CPPUNIT_ASSERT(!config.isExplicit("http.port"));
        CPPUNIT_ASSERT(config.has("secret.key"));
        CPPUNIT_ASSERT(!config.has("no.such.key"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), config.sourceOf("no.such.key"));
        CPPUNIT_ASSERT_EQUAL(std::string("fallback"), config.getString("no.such.key", "fallback"));
        CPPUNIT_ASSERT(config.unknownKeys().empty());
        CPPUNIT_ASSERT_EQUAL(std::string("http.port"), config.fullKey("http.port"));
    }

    void testBuiltInDefaults()
    {
        Configuration config;
        CPPUNIT_ASSERT_EQUAL(8190LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT_EQUAL(std::string("./var"), config.getString("data.dir", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:8188"),
                             config.getString("comfy.url", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("default"), config.sourceOf("comfy.url"));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite"), config.getString("db.backend", ""));
        CPPUNIT_ASSERT(!config.getBool("experimental.enabled", true));
    }

    void testFileOverlay()
    {
        TempDir dir;
        const std::string path = dir.write("comfygate.properties", "http.port = 9001\n"
                                                                   "# http.host = ignored\n"
                                                                   "modules.auth.workers = 3\n");
        Configuration config(defaults);
        config.loadFile(path);
        CPPUNIT_ASSERT_EQUAL(9001LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT_EQUAL(path, config.sourceOf("http.port"));
        CPPUNIT_ASSERT(config.isExplicit("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("0.0.0.0"), config.getString("http.host", ""));
        CPPUNIT_ASSERT(!config.isExplicit("http.host"));
        CPPUNIT_ASSERT_EQUAL(3LL, config.getInt("modules.auth.workers", 0));
        CPPUNIT_ASSERT(config.unknownKeys().empty());
    }

    void testFileUnknownKeysReported()
    {
        TempDir dir;
        const std::string path =
            dir.write("c.properties", "htpp.port = 1\nhttp.port = 2\nmodules.x.y = 1\n");
        Configuration config(defaults);
        config.loadFile(path);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), config.unknownKeys().size());
        CPPUNIT_ASSERT(contains(config.unknownKeys()[0], "htpp.port"));
        CPPUNIT_ASSERT(contains(config.unknownKeys()[0], path));
        // An unknown key is still readable (a module may look for it).
        CPPUNIT_ASSERT_EQUAL(1LL, config.getInt("htpp.port", 0));
    }

    void testMissingFileNamed()
    {
        TempDir dir;
        Configuration config(defaults);
        const std::string path = dir.file("absent.properties");
        try {
            config.loadFile(path);
            CPPUNIT_FAIL("a missing file was accepted");
        } catch (const std::runtime_error& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), path));
        }
    }

    void testEnvironmentName()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("COMFYGATE_HTTP_PORT"),
                             Configuration::environmentName("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("COMFYGATE_AUTH_REQUIRE_AUTH_FOR_REMOTE_API"),
                             Configuration::environmentName("auth.require_auth_for_remote_api"));
    }

    void testEnvironmentComfygateName()
    {
        Configuration config(defaults);
        config.applyEnvironment(
            {{"COMFYGATE_HTTP_PORT", "9100"}, {"COMFYGATE_DATA_DIR", "/srv/cg"}});
        CPPUNIT_ASSERT_EQUAL(9100LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT_EQUAL(std::string("COMFYGATE_HTTP_PORT"), config.sourceOf("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/cg"), config.getString("data.dir", ""));
        CPPUNIT_ASSERT(config.isExplicit("data.dir"));
    }

    void testEnvironmentReachesKeysFromFile()
    {
        TempDir dir;
        Configuration config(defaults);
        config.loadFile(dir.write("c.properties", "modules.presets.limit = 5\n"));
        config.applyEnvironment({{"COMFYGATE_MODULES_PRESETS_LIMIT", "9"}});
        CPPUNIT_ASSERT_EQUAL(9LL, config.getInt("modules.presets.limit", 0));
    }

    void testEnvironmentIgnoresUnrelatedNames()
    {
        Configuration config(defaults);
        config.applyEnvironment(
            {{"PATH", "/usr/bin"}, {"HTTP_PORT", "1"}, {"COMFYGATE_NO_SUCH_KEY", "x"}});
        CPPUNIT_ASSERT_EQUAL(8190LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT(!config.has("no.such.key"));
        CPPUNIT_ASSERT(!config.has("path"));
    }

    void testCompatibilityNames()
    {
        const std::vector<std::pair<std::string, std::string>> names{
            {"SECRET_KEY", "secret.key"},
            {"REQUIRE_AUTH_FOR_REMOTE_API", "auth.require_auth_for_remote_api"},
            {"SEPERATE_USERS", "comfy.separate_users"},
            {"ALLOW_GUEST_JWT", "auth.allow_guest_jwt"},
            {"MFA_DISABLED", "auth.mfa_disabled"},
            {"EXPERIMENTAL_FEATURES", "experimental.enabled"},
            {"USERS_DB_BACKEND", "db.backend"},
            {"USERS_DB_SQLITE_PATH", "db.sqlite.path"},
            {"USERS_DB_POSTGRES_HOST", "db.postgres.host"},
            {"USERS_DB_POSTGRES_PORT", "db.postgres.port"},
            {"USERS_DB_POSTGRES_DATABASE", "db.postgres.database"},
            {"USERS_DB_POSTGRES_USER", "db.postgres.user"},
            {"S3_ACCESS_KEY_ID", "s3.access_key_id"},
            {"S3_SECRET_ACCESS_KEY", "s3.secret_access_key"},
            {"HOST_BASE_URL", "http.base_url"},
        };
        for (const auto& [name, key] : names) {
            Configuration config(defaults);
            config.applyEnvironment({{name, "value-of-" + name}});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, "value-of-" + name, config.getString(key, ""));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, name, config.sourceOf(key));
        }
    }

    void testExperimentalNames()
    {
        Configuration config(defaults);
        config.applyEnvironment({{"EXPERIMENTAL_MFA", "yes"}, {"EXPERIMENTAL_S3", "0"}});
        CPPUNIT_ASSERT(config.getBool("experimental.mfa", false));
        CPPUNIT_ASSERT_EQUAL(std::string("EXPERIMENTAL_MFA"), config.sourceOf("experimental.mfa"));
        CPPUNIT_ASSERT(!config.getBool("experimental.s3", true));
        CPPUNIT_ASSERT(config.isExplicit("experimental.s3"));
        CPPUNIT_ASSERT(config.experimental("mfa"));
        CPPUNIT_ASSERT(!config.experimental("s3"));
    }

    void testPasswordNames()
    {
        Configuration users(defaults);
        users.applyEnvironment({{"USERS_DB_PASSWORD", "u-secret"}});
        CPPUNIT_ASSERT_EQUAL(std::string("u-secret"), users.getString("db.postgres.password", ""));
        Configuration postgres(defaults);
        postgres.applyEnvironment({{"POSTGRES_PASSWORD", "p-secret"}});
        CPPUNIT_ASSERT_EQUAL(std::string("p-secret"),
                             postgres.getString("db.postgres.password", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("POSTGRES_PASSWORD"),
                             postgres.sourceOf("db.postgres.password"));
        // Both set: USERS_DB_PASSWORD, MSS-Login's own name, is preferred.
        Configuration both(defaults);
        both.applyEnvironment(
            {{"POSTGRES_PASSWORD", "p-secret"}, {"USERS_DB_PASSWORD", "u-secret"}});
        CPPUNIT_ASSERT_EQUAL(std::string("u-secret"), both.getString("db.postgres.password", ""));
        // The password is a known key although the shipped defaults never carry it.
        TempDir dir;
        Configuration fromFile(defaults);
        fromFile.loadFile(dir.write("c.properties", "db.postgres.password = x\n"));
        CPPUNIT_ASSERT(fromFile.unknownKeys().empty());
    }

    void testComfygateNameWinsOverCompatibilityName()
    {
        Configuration config(defaults);
        config.applyEnvironment({{"SECRET_KEY", "old"},
                                 {"COMFYGATE_SECRET_KEY", "new"},
                                 {"USERS_DB_POSTGRES_PORT", "6000"},
                                 {"COMFYGATE_DB_POSTGRES_PORT", "7000"},
                                 {"EXPERIMENTAL_MFA", "true"},
                                 {"COMFYGATE_EXPERIMENTAL_MFA", "false"}});
        CPPUNIT_ASSERT_EQUAL(std::string("new"), config.getString("secret.key", ""));
        CPPUNIT_ASSERT_EQUAL(std::string("COMFYGATE_SECRET_KEY"), config.sourceOf("secret.key"));
        CPPUNIT_ASSERT_EQUAL(7000LL, config.getInt("db.postgres.port", 0));
        CPPUNIT_ASSERT(!config.getBool("experimental.mfa", true));
    }

    void testOverridesWinOverEnvironment()
    {
        TempDir dir;
        Configuration config(defaults);
        config.loadFile(dir.write("c.properties", "http.port = 1000\n"));
        config.applyEnvironment({{"COMFYGATE_HTTP_PORT", "2000"}});
        CPPUNIT_ASSERT_EQUAL(2000LL, config.getInt("http.port", 0));
        config.applyOverrides({{"http.port", "3000"}});
        CPPUNIT_ASSERT_EQUAL(3000LL, config.getInt("http.port", 0));
        CPPUNIT_ASSERT(contains(config.sourceOf("http.port"), "--set"));
        CPPUNIT_ASSERT(config.unknownKeys().empty());
    }

    void testOverrideUnknownKeysReported()
    {
        Configuration config(defaults);
        // Names under modules.*, policy.settings.*, policy.channels.* and comfy.upstream.* (one
        // section per ComfyUI host of comfy.upstreams) are the operator's.
        config.applyOverrides({{"http.prot", "1"}, {"modules.auth.x", "2"}, {"policy.settings.mine", "3"},
                               {"policy.channels.ops.url", "http://h/"}, {"policy.channel.ops.url", "x"},
                               {"comfy.upstream.2.labels", "big"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), config.unknownKeys().size());
        CPPUNIT_ASSERT(contains(config.unknownKeys()[0] + config.unknownKeys()[1], "policy.channel.ops.url"));
        CPPUNIT_ASSERT(contains(config.unknownKeys()[0], "http.prot"));
        CPPUNIT_ASSERT(contains(config.unknownKeys()[0], "--set"));
    }

    void testBadBoolNamesKeyAndSource()
    {
        Configuration config(defaults);
        config.applyEnvironment({{"ALLOW_GUEST_JWT", "maybe"}});
        const std::string message =
            invalidArgument([&] { config.getBool("auth.allow_guest_jwt", false); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "auth.allow_guest_jwt"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ALLOW_GUEST_JWT"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "maybe"));
    }

    void testBadIntNamesKeyAndSource()
    {
        Configuration config(defaults);
        config.applyEnvironment({{"COMFYGATE_HTTP_PORT", "80a"}});
        std::string message = invalidArgument([&] { config.getInt("http.port", 0); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "http.port"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "COMFYGATE_HTTP_PORT"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "80a"));

        TempDir dir;
        Configuration fromFile(defaults);
        const std::string path = dir.write("c.properties", "db.postgres.port = five\n");
        fromFile.loadFile(path);
        message = invalidArgument([&] { fromFile.getInt("db.postgres.port", 0); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "db.postgres.port"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, path));
    }

    void testBadDoubleNamesKey()
    {
        Configuration config(defaults);
        config.applyOverrides({{"modules.x.ratio", "half"}, {"modules.x.good", "0.25"}});
        const std::string message =
            invalidArgument([&] { config.getDouble("modules.x.ratio", 0); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "modules.x.ratio"));
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "--set"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, config.getDouble("modules.x.good", 0), 1e-12);
    }

    void testEmptyValuesUseFallback()
    {
        Configuration config(defaults);
        CPPUNIT_ASSERT_EQUAL(42LL, config.getInt("secret.key", 42));
        CPPUNIT_ASSERT(config.getBool("secret.key", true));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.5, config.getDouble("secret.key", 1.5), 1e-12);
        CPPUNIT_ASSERT_EQUAL(std::string(""), config.getString("secret.key", "fallback"));
    }

    void testGetters()
    {
        Configuration config(defaults);
        config.applyOverrides({{"modules.m.flag", " Yes "},
                               {"modules.m.count", " -12 "},
                               {"modules.m.name", "  padded  "}});
        CPPUNIT_ASSERT(config.getBool("modules.m.flag", false));
        CPPUNIT_ASSERT_EQUAL(-12LL, config.getInt("modules.m.count", 0));
        CPPUNIT_ASSERT_EQUAL(std::string("padded"), config.getString("modules.m.name", ""));
        CPPUNIT_ASSERT(config.getBool("comfy.separate_users", false));
    }

    void testGetList()
    {
        Configuration config(defaults);
        config.applyOverrides({{"modules.m.list", " a, b ,,c , "}});
        CPPUNIT_ASSERT(config.getList("modules.m.list", {}) == (List{"a", "b", "c"}));
        CPPUNIT_ASSERT(config.getList("policy.settings.nsfw_terms", {}) == (List{"nsfw", "nude"}));
        CPPUNIT_ASSERT(config.getList("http.trusted_proxies", {"x"}).empty());
        CPPUNIT_ASSERT(config.getList("no.such.list", {"x", "y"}) == (List{"x", "y"}));
    }

    void testWithPrefix()
    {
        Configuration config(defaults);
        config.applyOverrides({{"policy.settings.max_steps", "99"}, {"policy.settingsx", "no"}});
        const auto settings = config.withPrefix("policy.settings.");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), settings.size());
        CPPUNIT_ASSERT_EQUAL(std::string("99"), settings.at("max_steps"));
        CPPUNIT_ASSERT_EQUAL(std::string("nsfw, nude"), settings.at("nsfw_terms"));
        CPPUNIT_ASSERT(config.withPrefix("nothing.").empty());
    }

    void testExperimentalMasterSwitch()
    {
        Configuration off(defaults);
        CPPUNIT_ASSERT(!off.experimental("mfa"));
        CPPUNIT_ASSERT(!off.experimental("never_declared"));

        // Master on: every feature not set explicitly is on.
        Configuration master(defaults);
        master.applyEnvironment({{"EXPERIMENTAL_FEATURES", "true"}});
        CPPUNIT_ASSERT(master.experimental("mfa"));
        CPPUNIT_ASSERT(master.experimental("s3"));
        CPPUNIT_ASSERT(master.experimental("never_declared"));

        // Master on, a feature switched off explicitly: off.
        Configuration explicitOff(defaults);
        explicitOff.applyEnvironment(
            {{"EXPERIMENTAL_FEATURES", "1"}, {"EXPERIMENTAL_S3", "false"}});
        CPPUNIT_ASSERT(!explicitOff.experimental("s3"));
        CPPUNIT_ASSERT(explicitOff.experimental("mfa"));

        // Master off, a feature switched on explicitly: on.
        Configuration explicitOn(defaults);
        explicitOn.applyOverrides({{"experimental.mfa", "true"}});
        CPPUNIT_ASSERT(explicitOn.experimental("mfa"));
        CPPUNIT_ASSERT(!explicitOn.experimental("s3"));
    }

    void testViewPrefixesKeys()
    {
        Configuration config(defaults);
        config.applyOverrides({{"modules.auth.workers", "6"},
                               {"modules.auth.enabled", "on"},
                               {"modules.auth.ratio", "0.5"},
                               {"modules.auth.names", "a,b"},
                               {"modules.auth.title", " Login "}});
        const auto view = config.view("modules.auth.");
        CPPUNIT_ASSERT(view->has("workers"));
        CPPUNIT_ASSERT(!view->has("http.port"));
        CPPUNIT_ASSERT_EQUAL(6LL, view->getInt("workers", 0));
        CPPUNIT_ASSERT(view->getBool("enabled", false));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, view->getDouble("ratio", 0), 1e-12);
        CPPUNIT_ASSERT(view->getList("names", {}) == (List{"a", "b"}));
        CPPUNIT_ASSERT_EQUAL(std::string("Login"), view->getString("title", ""));
        CPPUNIT_ASSERT_EQUAL(7LL, view->getInt("missing", 7));
        CPPUNIT_ASSERT_EQUAL(std::string("modules.auth.workers"), view->fullKey("workers"));
        CPPUNIT_ASSERT(dynamic_cast<ConfigView*>(view.get()) != nullptr);
    }

    void testViewErrorsNameFullKey()
    {
        Configuration config(defaults);
        config.applyOverrides({{"modules.auth.workers", "many"}});
        const auto view = config.view("modules.auth.");
        const std::string message = invalidArgument([&] { view->getInt("workers", 0); });
        CPPUNIT_ASSERT_MESSAGE(message, contains(message, "modules.auth.workers"));
    }

    void testConfigValueBooleans()
    {
        for (const std::string yes : {"true", "TRUE", "yes", "on", "1", " True "})
            CPPUNIT_ASSERT_MESSAGE(yes, ConfigValue::toBool("k", yes, "default"));
        for (const std::string no : {"false", "No", "off", "0"})
            CPPUNIT_ASSERT_MESSAGE(no, !ConfigValue::toBool("k", no, "default"));
        CPPUNIT_ASSERT_THROW(ConfigValue::toBool("k", "2", "default"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ConfigValue::toBool("k", "", "default"), std::invalid_argument);
    }

    void testConfigValueNumbers()
    {
        CPPUNIT_ASSERT_EQUAL(9007199254740993LL, ConfigValue::toInt("k", "9007199254740993", ""));
        CPPUNIT_ASSERT_THROW(ConfigValue::toInt("k", "1.5", ""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ConfigValue::toInt("k", "99999999999999999999", ""),
                             std::invalid_argument);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(-2.5, ConfigValue::toDouble("k", "-2.5", ""), 1e-12);
        CPPUNIT_ASSERT_THROW(ConfigValue::toDouble("k", "1,5x", ""), std::invalid_argument);
    }

    void testConfigValueRejectsGroupedNumbers()
    {
        // "0,5" is a decimal comma, not five; "8,190" is a typo, not port 8190.
        CPPUNIT_ASSERT_THROW(ConfigValue::toDouble("k", "0,5", ""), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(ConfigValue::toInt("k", "8,190", ""), std::invalid_argument);
    }

    void testConfigValueListAndDescribe()
    {
        CPPUNIT_ASSERT(ConfigValue::toList("") == List{});
        CPPUNIT_ASSERT(ConfigValue::toList(" , ,") == List{});
        CPPUNIT_ASSERT(ConfigValue::toList("x") == (List{"x"}));
        CPPUNIT_ASSERT_EQUAL(
            std::string("configuration key http.port (from COMFYGATE_HTTP_PORT): bad"),
            ConfigValue::describe("http.port", "COMFYGATE_HTTP_PORT", "bad"));
        CPPUNIT_ASSERT_EQUAL(std::string("configuration key http.port: bad"),
                             ConfigValue::describe("http.port", "default", "bad"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigurationTest);

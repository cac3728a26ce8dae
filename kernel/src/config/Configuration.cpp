#include "Configuration.h"

#include "ConfigValue.h"
#include "EmbeddedFiles.h"

#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/String.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace comfygate {
namespace {

using Properties = Poco::AutoPtr<Poco::Util::PropertyFileConfiguration>;

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& root,
                 std::map<std::string, std::string>& out)
{
    Poco::Util::AbstractConfiguration::Keys keys;
    config.keys(root, keys);
    for (const auto& key : keys) {
        const std::string full = root.empty() ? key : root + "." + key;
        if (config.hasProperty(full))
            out[full] = config.getRawString(full);
        collectKeys(config, full, out);
    }
}

std::map<std::string, std::string> parseProperties(std::istream& in)
{
    Properties properties(new Poco::Util::PropertyFileConfiguration(in));
    std::map<std::string, std::string> values;
    collectKeys(*properties, "", values);
    return values;
}

/// The MSS-Login environment names and the keys they set. Database and S3 secrets have
/// no COMFYGATE_ twin because they are meant to come from the environment only.
const std::map<std::string, std::string>& compatibilityNames()
{
    static const std::map<std::string, std::string> names{
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
        {"POSTGRES_PASSWORD", "db.postgres.password"},
        {"USERS_DB_PASSWORD", "db.postgres.password"},
        {"S3_ACCESS_KEY_ID", "s3.access_key_id"},
        {"S3_SECRET_ACCESS_KEY", "s3.secret_access_key"},
        {"HOST_BASE_URL", "http.base_url"},
    };
    return names;
}

} // namespace

Configuration::Configuration() : Configuration(embeddedDefaultProperties()) {}

Configuration::Configuration(const std::string& defaultsText)
{
    std::istringstream in(defaultsText);
    for (const auto& [key, text] : parseProperties(in)) {
        _values[key] = Value{text, "default"};
        _knownKeys[key] = true;
    }
    // Secrets that only ever come from the environment still count as known keys.
    _knownKeys["db.postgres.password"] = true;
}

void Configuration::overlay(const std::string& key, const std::string& text, const std::string& source)
{
    _values[key] = Value{text, source};
}

const Configuration::Value* Configuration::find(const std::string& key) const
{
    const auto it = _values.find(key);
    return it == _values.end() ? nullptr : &it->second;
}

void Configuration::loadFile(const std::string& path)
{
    if (!Poco::File(path).exists())
        throw std::runtime_error("configuration file " + path + " does not exist");
    std::map<std::string, std::string> values;
    try {
        Properties properties(new Poco::Util::PropertyFileConfiguration(path));
        collectKeys(*properties, "", values);
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("configuration file " + path + " cannot be read: " + e.displayText());
    }
    for (const auto& [key, text] : values) {
        if (!isKnownKey(key))
            _unknown.push_back(key + " (in " + path + ")");
        overlay(key, text, path);
    }
}

std::string Configuration::environmentName(const std::string& key)
{
    std::string name = "COMFYGATE_" + Poco::toUpper(key);
    std::replace(name.begin(), name.end(), '.', '_');
    return name;
}

void Configuration::applyEnvironment(const std::map<std::string, std::string>& environment)
{
    // Compatibility names first so that the COMFYGATE_ spelling wins when both are set.
    for (const auto& [name, key] : compatibilityNames()) {
        const auto it = environment.find(name);
        if (it != environment.end())
            overlay(key, it->second, name);
    }
    for (const auto& [name, text] : environment) {
        if (Poco::startsWith(name, std::string("EXPERIMENTAL_")) && name != "EXPERIMENTAL_FEATURES")
            overlay("experimental." + Poco::toLower(name.substr(13)), text, name);
    }
    std::vector<std::string> keys;
    for (const auto& [key, known] : _knownKeys)
        keys.push_back(key);
    for (const auto& [key, value] : _values)
        keys.push_back(key);
    for (const auto& key : keys) {
        const std::string name = environmentName(key);
        const auto it = environment.find(name);
        if (it != environment.end())
            overlay(key, it->second, name);
    }
}

void Configuration::applyOverrides(const std::map<std::string, std::string>& overrides)
{
    for (const auto& [key, text] : overrides) {
        if (!isKnownKey(key))
            _unknown.push_back(key + " (in --set)");
        overlay(key, text, "--set " + key);
    }
}

std::map<std::string, std::string> Configuration::processEnvironment()
{
    std::map<std::string, std::string> environment;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string::npos)
            environment[text.substr(0, eq)] = text.substr(eq + 1);
    }
    return environment;
}

bool Configuration::isExplicit(const std::string& key) const
{
    const Value* value = find(key);
    return value && value->source != "default";
}

std::string Configuration::sourceOf(const std::string& key) const
{
    const Value* value = find(key);
    return value ? value->source : "";
}

bool Configuration::isKnownKey(const std::string& key) const
{
    // Keys named by the operator: module sections, policy settings and channels, and the
    // per-host keys of comfy.upstreams (comfy.upstream.<n>.weight, .labels).
    for (const char* open : {"modules.", "policy.settings.", "policy.channels.", "comfy.upstream."}) {
        if (Poco::startsWith(key, std::string(open)))
            return true;
    }
    return _knownKeys.count(key) > 0;
}

std::map<std::string, std::string> Configuration::withPrefix(const std::string& prefix) const
{
    std::map<std::string, std::string> out;
    for (auto it = _values.lower_bound(prefix); it != _values.end(); ++it) {
        if (!Poco::startsWith(it->first, prefix))
            break;
        out[it->first.substr(prefix.size())] = it->second.text;
    }
    return out;
}

bool Configuration::experimental(const std::string& feature) const
{
    const std::string key = "experimental." + feature;
    if (isExplicit(key))
        return getBool(key, false);
    return getBool("experimental.enabled", false) || getBool(key, false);
}

bool Configuration::has(const std::string& key) const { return find(key) != nullptr; }

std::string Configuration::getString(const std::string& key, const std::string& fallback) const
{
    const Value* value = find(key);
    return value ? ConfigValue::trim(value->text) : fallback;
}

long long Configuration::getInt(const std::string& key, long long fallback) const
{
    const Value* value = find(key);
    if (!value || ConfigValue::trim(value->text).empty())
        return fallback;
    return ConfigValue::toInt(key, value->text, value->source);
}

double Configuration::getDouble(const std::string& key, double fallback) const
{
    const Value* value = find(key);
    if (!value || ConfigValue::trim(value->text).empty())
        return fallback;
    return ConfigValue::toDouble(key, value->text, value->source);
}

bool Configuration::getBool(const std::string& key, bool fallback) const
{
    const Value* value = find(key);
    if (!value || ConfigValue::trim(value->text).empty())
        return fallback;
    return ConfigValue::toBool(key, value->text, value->source);
}

std::vector<std::string> Configuration::getList(const std::string& key,
                                                const std::vector<std::string>& fallback) const
{
    const Value* value = find(key);
    return value ? ConfigValue::toList(value->text) : fallback;
}

} // namespace comfygate

#include "ConfigView.h"

namespace comfygate {

std::unique_ptr<Config> Configuration::view(const std::string& prefix) const
{
    return std::make_unique<ConfigView>(*this, prefix);
}

} // namespace comfygate

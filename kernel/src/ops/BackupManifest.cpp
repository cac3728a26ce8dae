#include "BackupManifest.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>

namespace comfygate {

std::string BackupManifest::toJson() const
{
    Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
    root.set("format", "comfygate-backup");
    root.set("format_version", formatVersion);
    root.set("comfygate_version", comfygateVersion);
    root.set("created_at", createdAt);
    root.set("database_backend", databaseBackend);
    root.set("database_included", databaseIncluded);
    Poco::JSON::Object::Ptr owners = new Poco::JSON::Object;
    for (const auto& [owner, migrations] : schema) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& [number, name] : migrations) {
            Poco::JSON::Object::Ptr migration = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            migration->set("number", number);
            migration->set("name", name);
            list->add(migration);
        }
        owners->set(owner, list);
    }
    root.set("schema", owners);
    Poco::JSON::Object::Ptr checksums = new Poco::JSON::Object;
    for (const auto& [name, file] : files) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("sha256", file.sha256);
        entry->set("size", file.size);
        checksums->set(name, entry);
    }
    root.set("files", checksums);
    std::ostringstream text;
    root.stringify(text, 2);
    text << "\n";
    return text.str();
}

BackupManifest BackupManifest::parse(const std::string& json)
{
    try {
        const auto root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
        if (!root || root->optValue<std::string>("format", "") != "comfygate-backup")
            throw std::runtime_error("it is not a comfygate backup manifest");
        const int version = root->getValue<int>("format_version");
        if (version > formatVersion)
            throw std::runtime_error("its format version " + std::to_string(version) +
                                     " is newer than this comfygate reads (" + std::to_string(formatVersion) +
                                     "): restore it with a newer comfygate");
        BackupManifest manifest;
        manifest.comfygateVersion = root->getValue<std::string>("comfygate_version");
        manifest.createdAt = root->getValue<std::string>("created_at");
        manifest.databaseBackend = root->getValue<std::string>("database_backend");
        manifest.databaseIncluded = root->getValue<bool>("database_included");
        const auto owners = root->getObject("schema");
        for (const auto& owner : owners->getNames()) {
            Migrations& migrations = manifest.schema[owner];
            const auto list = owners->getArray(owner);
            for (std::size_t i = 0; i < list->size(); ++i) {
                const auto migration = list->getObject(static_cast<unsigned>(i));
                migrations.emplace_back(migration->getValue<int>("number"), migration->getValue<std::string>("name"));
            }
        }
        const auto files = root->getObject("files");
        for (const auto& name : files->getNames()) {
            const auto entry = files->getObject(name);
            manifest.files[name] = File{entry->getValue<std::string>("sha256"), entry->getValue<long long>("size")};
        }
        return manifest;
    } catch (const std::runtime_error&) {
        throw;
    } catch (const Poco::Exception& e) {
        throw std::runtime_error("its manifest cannot be read: " + e.displayText());
    }
}

} // namespace comfygate

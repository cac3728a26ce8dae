#include "CivitaiEntryBuilder.h"

#include "ModelPlacement.h"
#include "comfygate/HttpError.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <cmath>

namespace comfygate::civitaicatalog {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string text(const Object::Ptr& object, const std::string& key)
{
    if (!object || !object->has(key) || object->isNull(key))
        return {};
    return object->get(key).convert<std::string>();
}

Poco::Int64 number(const Object::Ptr& object, const std::string& key)
{
    if (!object || !object->has(key) || object->isNull(key))
        return 0;
    return object->get(key).convert<Poco::Int64>();
}

Object::Ptr chooseFile(const Array::Ptr& files)
{
    if (!files || files->size() == 0)
        return nullptr;
    for (std::size_t i = 0; i < files->size(); ++i) {
        const auto file = files->getObject(static_cast<unsigned>(i));
        if (file && file->optValue<bool>("primary", false))
            return file;
    }
    return files->getObject(0);
}

bool inFuture(const std::string& isoTime)
{
    if (isoTime.empty())
        return false;
    Poco::DateTime when;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(isoTime, when, zone))
        return true; // an unreadable end date: still early access, to be safe
    return when.timestamp() > Poco::Timestamp();
}

Array::Ptr stringArray(const Object::Ptr& object, const std::string& key)
{
    Array::Ptr out = new Array;
    if (auto in = object ? object->getArray(key) : nullptr)
        for (std::size_t i = 0; i < in->size(); ++i)
            out->add(in->get(static_cast<unsigned>(i)).convert<std::string>());
    return out;
}

/// Sets the state and returns why it is not "available".
std::string decideState(const Object::Ptr& version, const Object::Ptr& model, CatalogEntry& entry)
{
    const std::string usage = text(version, "usageControl");
    if (Poco::icompare(text(model, "mode"), "Archived") == 0) {
        entry.state = "archived";
        return "This model is archived on CivitAI — its files are no longer downloadable";
    }
    if (!usage.empty() && usage != "Download") {
        entry.state = "restricted";
        return "This model is '" + usage + "' only — download not allowed by the creator";
    }
    if (text(version, "availability") == "EarlyAccess" && inFuture(text(version, "earlyAccessEndsAt"))) {
        entry.state = "early_access";
        return "This version is in early access until " + text(version, "earlyAccessEndsAt");
    }
    entry.state = "available";
    return {};
}

} // namespace

CivitaiEntryBuilder::Result CivitaiEntryBuilder::build(const Poco::JSON::Object::Ptr& version)
{
    const Object::Ptr model = version->getObject("model");
    const std::string type = text(model, "type");
    if (type.empty())
        throw HttpError(502, "CivitAI's answer names no model type", "upstream_malformed");
    const std::string baseModel = text(version, "baseModel");
    const auto placement = ModelPlacement::forCivitaiType(type, baseModel);
    if (!placement)
        throw HttpError(400, "CivitAI type '" + type + "' has no model folder ComfyUI loads it from",
                        "unsupported_type");

    Result result;
    CatalogEntry& entry = result.entry;
    entry.source = "civitai";
    entry.catalog = "models";
    entry.category = placement->category;
    entry.dest = placement->dest;
    entry.civitaiVersionId = number(version, "id");
    entry.civitaiModelId = number(version, "modelId");
    result.reason = decideState(version, model, entry);

    const Object::Ptr file = chooseFile(version->getArray("files"));
    if (!file && entry.state != "archived")
        throw HttpError(502, "CivitAI lists no file for model version " + std::to_string(entry.civitaiVersionId),
                        "upstream_malformed");
    std::string fp;
    std::string fileType, fileFormat, fileSize;
    if (file) {
        entry.file = text(file, "name");
        entry.civitaiFileId = number(file, "id");
        entry.sha256 = Poco::toLower(text(file->getObject("hashes"), "SHA256"));
        fp = text(file->getObject("metadata"), "fp");
        fileFormat = text(file->getObject("metadata"), "format");
        fileSize = text(file->getObject("metadata"), "size");
        fileType = text(file, "type");
    }

    const std::string modelName = text(model, "name");
    const std::string versionName = text(version, "name");
    std::string bracket = baseModel + (fp.empty() ? "" : " " + fp);
    Object::Ptr& f = entry.fields;
    f = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    f->set("name", modelName + " " + versionName + (bracket.empty() ? "" : " [" + bracket + "]"));
    f->set("file", entry.file);
    f->set("dest", entry.dest);
    f->set("source", "civitai");
    if (file) {
        // CivitAI only gives kilobytes (1024 bytes); the real byte count replaces this once
        // the file is downloaded and checked.
        const double bytes = std::round(file->optValue<double>("sizeKB", 0) * 1024.0);
        f->set("size_bytes", Poco::Int64(bytes));
        f->set("size_gb", std::round(bytes / 1e3) / 1e6);
    }
    f->set("civitai_version_id", Poco::Int64(entry.civitaiVersionId));
    f->set("civitai_model_id", Poco::Int64(entry.civitaiModelId));
    f->set("civitai_model_name", modelName);
    f->set("civitai_version", versionName);
    if (file)
        f->set("civitai_file_id", Poco::Int64(entry.civitaiFileId));
    f->set("civitai_base_model", baseModel);
    f->set("civitai_type", type);
    if (!fp.empty())
        f->set("civitai_fp", fp);
    // CivitAI's download selectors (?type=&format=&size=&fp=) of the chosen file, so a
    // download fetches exactly this file (§2.8).
    if (!fileType.empty())
        f->set("civitai_file_type", fileType);
    if (!fileFormat.empty())
        f->set("civitai_format", fileFormat);
    if (!fileSize.empty())
        f->set("civitai_size", fileSize);
    f->set("civitai_tags", stringArray(model, "tags"));
    f->set("trigger_words", stringArray(version, "trainedWords"));
    if (!entry.sha256.empty())
        f->set("hash", entry.sha256);
    f->set("base_model", baseModel);
    f->set("tags", stringArray(model, "tags"));
    f->set("state", entry.state);
    return result;
}

} // namespace comfygate::civitaicatalog

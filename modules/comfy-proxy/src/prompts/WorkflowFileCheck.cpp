#include "WorkflowFileCheck.h"

#include "FileRef.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

namespace comfygate::comfyproxy {
namespace {

constexpr auto classCacheTime = std::chrono::minutes(10);
constexpr std::size_t maxCachedClasses = 4096;

/// Inputs of one `required` / `optional` section whose options carry `<something>_upload: true`.
void collectUploadInputs(const Poco::JSON::Object::Ptr& section, std::set<std::string>& names)
{
    if (!section)
        return;
    for (const auto& [name, specVar] : *section) {
        if (specVar.type() != typeid(Poco::JSON::Array::Ptr))
            continue;
        const auto spec = specVar.extract<Poco::JSON::Array::Ptr>();
        const auto options = spec->size() > 1 ? spec->getObject(1) : nullptr;
        if (!options)
            continue;
        for (const auto& [option, value] : *options) {
            const bool upload = option.size() > 7 && option.compare(option.size() - 7, 7, "_upload") == 0;
            if (upload && value.isBoolean() && value.convert<bool>())
                names.insert(name);
        }
    }
}

} // namespace

std::optional<std::string> WorkflowFileCheck::refusal(const Principal& user, const Poco::JSON::Object::Ptr& graph)
{
    if (_scope.seesEveryone(user) || !graph)
        return std::nullopt;
    for (const auto& nodeId : graph->getNames()) {
        const auto node = graph->getObject(nodeId);
        const auto inputs = node ? node->getObject("inputs") : nullptr;
        if (!inputs)
            continue;
        const std::string classType = node->optValue<std::string>("class_type", "");
        std::optional<std::set<std::string>> uploads; // asked for only when a node has string inputs
        for (const auto& [name, value] : *inputs) {
            if (!value.isString())
                continue;
            if (!uploads)
                uploads = uploadInputs(classType);
            if (auto problem = checkValue(user, value.convert<std::string>(), uploads->count(name) != 0))
                return "node " + nodeId + " (" + classType + "), input '" + name + "': " + *problem;
        }
    }
    return std::nullopt;
}

std::optional<std::string> WorkflowFileCheck::checkValue(const Principal& user, const std::string& value,
                                                         bool uploadInput)
{
    const std::string annotation = FileRef::annotation(value);
    if (annotation.empty() && !uploadInput)
        return std::nullopt;
    FileRef file;
    try {
        file = FileRef::fromWorkflowValue(value, "input");
    } catch (const FileRef::Invalid& invalid) {
        return "'" + value + "' is not a valid file reference (" + invalid.reason + ")";
    }
    const bool allowed = file.type == "input" ? OutputFiles::inOwnFolder(user, file) : _files.mayRead(user, file);
    if (allowed)
        return std::nullopt;
    if (file.type == "input")
        return "'" + value + "' is not in your upload folder '" + user.userId + "/'";
    return "'" + value + "' is not one of your files";
}

std::set<std::string> WorkflowFileCheck::uploadInputs(const std::string& classType)
{
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(_mutex);
        const auto cached = _classes.find(classType);
        if (cached != _classes.end() && now - cached->second.fetched < classCacheTime)
            return cached->second.uploadInputs;
    }
    std::set<std::string> names;
    std::string encoded;
    Poco::URI::encode(classType, "/?#&", encoded);
    const auto answer = _upstream.fetch("GET", "/object_info/" + encoded);
    if (answer.status == 200) {
        try {
            const auto info = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
            const auto node = info ? info->getObject(classType) : nullptr;
            const auto input = node ? node->getObject("input") : nullptr;
            if (input) {
                collectUploadInputs(input->getObject("required"), names);
                collectUploadInputs(input->getObject("optional"), names);
            }
        } catch (const Poco::Exception&) {
            // not a node description: no upload inputs known
        }
    }
    std::lock_guard lock(_mutex);
    if (_classes.size() >= maxCachedClasses) // class names come from clients: keep the cache bounded
        _classes.clear();
    _classes[classType] = CachedClass{names, now};
    return names;
}

} // namespace comfygate::comfyproxy

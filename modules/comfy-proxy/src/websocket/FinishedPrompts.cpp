#include "FinishedPrompts.h"

#include "comfygate/Policy.h"

namespace comfygate::comfyproxy {
namespace {

/// The files an `executed` event's `output` names ({"images": [{filename, subfolder, type}], ...}).
void addFiles(const Poco::JSON::Object::Ptr& output, const std::string& nodeId, Poco::JSON::Array::Ptr into)
{
    if (!output)
        return;
    for (const auto& [kind, list] : *output) {
        if (list.type() != typeid(Poco::JSON::Array::Ptr))
            continue;
        const auto entries = list.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; entries && i < entries->size(); ++i) {
            const auto entry = entries->getObject(static_cast<unsigned>(i));
            if (!entry || !entry->has("filename") || !entry->get("filename").isString())
                continue;
            Poco::JSON::Object::Ptr file = new Poco::JSON::Object;
            file->set("filename", entry->getValue<std::string>("filename"));
            file->set("subfolder", entry->optValue<std::string>("subfolder", ""));
            file->set("type", entry->optValue<std::string>("type", "output"));
            file->set("node_id", nodeId);
            into->add(file);
        }
    }
}

} // namespace

void FinishedPrompts::observe(const std::string& type, const std::string& promptId,
                              const Poco::JSON::Object::Ptr& data)
{
    if (type == "execution_start") {
        std::lock_guard lock(_mutex);
        _outputs.clear();
        _outputs[promptId] = new Poco::JSON::Array;
    } else if (type == "executed") {
        std::lock_guard lock(_mutex);
        auto& outputs = _outputs[promptId];
        if (!outputs)
            outputs = new Poco::JSON::Array;
        addFiles(data->getObject("output"), data->optValue<std::string>("node", ""), outputs);
    } else if (type == "execution_success") {
        Poco::JSON::Array::Ptr outputs;
        {
            std::lock_guard lock(_mutex);
            const auto found = _outputs.find(promptId);
            if (found != _outputs.end()) {
                outputs = found->second;
                _outputs.erase(found);
            }
        }
        raise(promptId, outputs ? outputs : Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    } else if (type == "execution_error" || type == "execution_interrupted") {
        std::lock_guard lock(_mutex);
        _outputs.erase(promptId);
    }
}

void FinishedPrompts::raise(const std::string& promptId, Poco::JSON::Array::Ptr outputs)
{
    const auto owner = _owners.submitterOf(promptId);
    if (!owner)
        return; // not submitted through this gateway
    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object;
    fields->set("prompt_id", promptId);
    fields->set("outputs", outputs);
    _policy.raise("execution_success", _subjectOf(owner->userId), fields);
}

} // namespace comfygate::comfyproxy

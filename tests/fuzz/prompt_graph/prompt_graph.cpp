// POST /prompt bodies and the `prompt` text chunk of output images: ComfyUI API-format graphs
// as a client (or a PNG) supplies them. Parsed like PromptRoutes parses a body (key order
// kept), then walked by the model-reference check (every string of every input, embeddings
// in prompt text) and by PositivePrompt (the upstream walk from `positive` inputs, which
// must survive cycles and links to missing nodes). Every body Poco accepts must also be read by
// JsonObjectText, which splices the gateway's members into the bytes sent to ComfyUI, and what
// it renders must parse to the same members with the gateway's client_id.
#include "JsonObjectText.h"
#include "ModelReferences.h"
#include "PositivePrompt.h"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

const comfygate::comfyproxy::ModelCatalog::Snapshot& catalog()
{
    static const comfygate::comfyproxy::ModelCatalog::Snapshot snapshot = [] {
        comfygate::comfyproxy::ModelCatalog::Snapshot s;
        s.folders = {"checkpoints", "loras", "embeddings"};
        s.files["checkpoints"] = {"sd15.safetensors", "sub/xl.safetensors"};
        s.files["loras"] = {"detail.safetensors"};
        s.files["embeddings"] = {"easynegative.safetensors", "bad hands.pt"};
        for (const auto& [folder, names] : s.files)
            for (const auto& name : names)
                s.foldersOf[name].insert(folder);
        return s;
    }();
    return snapshot;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    comfygate::comfyproxy::PositivePrompt::fromGraphJson(text);
    Poco::JSON::Object::Ptr body;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        const Poco::Dynamic::Var value = parser.parse(text);
        if (value.type() != typeid(Poco::JSON::Object::Ptr))
            return 0;
        body = value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return 0; // PromptRoutes answers 400
    }
    comfygate::comfyproxy::JsonObjectText members(text);
    members.set("client_id", comfygate::comfyproxy::JsonObjectText::quote("gateway"));
    const auto spliced = Poco::JSON::Parser().parse(members.render()).extract<Poco::JSON::Object::Ptr>();
    if (spliced->getValue<std::string>("client_id") != "gateway" ||
        spliced->size() != body->size() + (body->has("client_id") ? 0 : 1))
        std::abort();
    const Poco::JSON::Object::Ptr graph = body->isObject("prompt") ? body->getObject("prompt") : body;
    comfygate::comfyproxy::modelReferences(catalog(), graph);
    return 0;
}

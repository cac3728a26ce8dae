#include "WorkflowGraph.h"

#include "JsonField.h"
#include "WorkflowConversionError.h"

namespace comfygate::userdata {

WorkflowGraph::WorkflowGraph(const Poco::JSON::Object::Ptr& graph, std::string name) : _name(std::move(name))
{
    const auto nodes = JsonField::array(graph, "nodes");
    if (!nodes)
        throw WorkflowConversionError(_name + " has no \"nodes\" array");
    if (graph->has("links") && !graph->get("links").isEmpty() && !JsonField::array(graph, "links"))
        throw WorkflowConversionError(_name + ": \"links\" is not an array");
    _links = LinkTable(JsonField::array(graph, "links"), _name);
    for (std::size_t i = 0; i < nodes->size(); ++i) {
        const auto entry = nodes->get(i);
        if (entry.type() != typeid(Poco::JSON::Object::Ptr))
            throw WorkflowConversionError(_name + ": node #" + std::to_string(i) + " is not an object");
        const auto node = entry.extract<Poco::JSON::Object::Ptr>();
        const auto id = JsonField::id(node->get("id"), _name + ": node #" + std::to_string(i));
        if (JsonField::string(node, "type").empty())
            throw WorkflowConversionError(_name + ": node " + id + " has no type");
        if (!_byId.emplace(id, node).second)
            throw WorkflowConversionError(_name + ": node id " + id + " appears twice");
        _nodes.push_back(node);
    }
}

Poco::JSON::Object::Ptr WorkflowGraph::node(const std::string& id) const
{
    const auto it = _byId.find(id);
    return it == _byId.end() ? nullptr : it->second;
}

} // namespace comfygate::userdata

#pragma once

#include "LinkTable.h"

#include <Poco/JSON/Object.h>

#include <map>
#include <string>
#include <vector>

namespace comfygate::userdata {

/// One level of a UI workflow: the root graph, a subgraph definition from
/// `definitions.subgraphs`, or the graph a legacy group node stands for. Holds its nodes by
/// id in saved order and its links.
class WorkflowGraph
{
public:
    /// Reads `graph` (an object with `nodes` and `links`). `name` identifies the level in
    /// error messages ("the workflow", "subgraph 'Upscale'"). Throws WorkflowConversionError
    /// when `nodes` is missing or a node has no id or type.
    WorkflowGraph(const Poco::JSON::Object::Ptr& graph, std::string name);

    const std::string& name() const { return _name; }
    const std::vector<Poco::JSON::Object::Ptr>& nodes() const { return _nodes; }
    const LinkTable& links() const { return _links; }

    /// The node with `id`, or null.
    Poco::JSON::Object::Ptr node(const std::string& id) const;

private:
    std::string _name;
    std::vector<Poco::JSON::Object::Ptr> _nodes;
    std::map<std::string, Poco::JSON::Object::Ptr> _byId;
    LinkTable _links;
};

} // namespace comfygate::userdata

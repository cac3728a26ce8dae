#pragma once

#include "NodeCatalog.h"

#include <Poco/JSON/Object.h>

#include <string>

namespace comfygate::userdata {

/// Turns an instance of a legacy group node (type `workflow>Name`, definition in the
/// workflow's `extra.groupNodes`) into the graph it stands for, shaped like a subgraph
/// definition: inner nodes keep their index as id (so they run as "<instance id>:<index>"),
/// the instance's inputs arrive through links from -10 and its outputs leave through links to
/// -20. The instance's widget values are handed to the inner widgets they came from.
class GroupNodeExpander
{
public:
    /// `groupNodes` is `extra.groupNodes` (may be null).
    GroupNodeExpander(const NodeCatalog& catalog, Poco::JSON::Object::Ptr groupNodes);

    /// True for the types the front end gives group nodes ("workflow>Name", "workflow/Name").
    static bool isGroupType(const std::string& type);

    /// The graph (`nodes` and `links`) of `instance`. Throws WorkflowConversionError when the
    /// definition is missing or malformed.
    Poco::JSON::Object::Ptr expand(const Poco::JSON::Object::Ptr& instance, const std::string& instanceId) const;

private:
    const NodeCatalog& _catalog;
    Poco::JSON::Object::Ptr _groupNodes;
};

} // namespace comfygate::userdata

#pragma once

#include <Poco/JSON/Array.h>

#include <map>
#include <string>

namespace comfygate::userdata {

/// One link of a graph. Subgraph links use the ids -10 (the subgraph's input node) as origin
/// and -20 (its output node) as target.
struct GraphLink
{
    std::string id;
    std::string originId;
    int originSlot = 0;
    std::string targetId;
    int targetSlot = 0;
    std::string type;
};

/// The links of one graph level by id, read from either saved shape: the 0.4 arrays
/// `[id, origin_id, origin_slot, target_id, target_slot, type]` or the 1.0 objects
/// `{id, origin_id, origin_slot, target_id, target_slot, type}`.
class LinkTable
{
public:
    static const std::string SubgraphInputId;  /// "-10"
    static const std::string SubgraphOutputId; /// "-20"

    LinkTable() = default;

    /// Reads `links` (null reads as none). Throws WorkflowConversionError on a malformed link
    /// or a repeated id; `where` names the graph in the message.
    LinkTable(const Poco::JSON::Array::Ptr& links, const std::string& where);

    /// The link with `id`, or null.
    const GraphLink* find(const std::string& id) const;

    /// The first link ending at `targetId`'s input `targetSlot`, or null.
    const GraphLink* findInto(const std::string& targetId, int targetSlot) const;

private:
    static GraphLink read(const Poco::Dynamic::Var& entry, const std::string& where);

    std::map<std::string, GraphLink> _links;
};

} // namespace comfygate::userdata

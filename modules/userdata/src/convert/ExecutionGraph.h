#pragma once

#include "GroupNodeExpander.h"
#include "NodeCatalog.h"
#include "WorkflowGraph.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace comfygate::userdata {

/// A node as it runs: a node of the root graph, or a node inside a subgraph or group node
/// instance, with its execution id ("7", "7:3", "7:3:2").
struct ExecutableNode
{
    Poco::JSON::Object::Ptr json;
    const WorkflowGraph* graph = nullptr;      /// the level the node lives in
    std::string id;                            /// execution id
    std::string prefix;                        /// execution id of the containing instance plus ':', or ""
    const ExecutableNode* container = nullptr; /// the subgraph / group node instance it lives in
    const WorkflowGraph* inner = nullptr;      /// for an expanded instance, the graph it stands for
    std::string type;
    int mode = 0;

    /// "7 (KSampler)": the id and the title or type, for messages.
    std::string label() const;
};

/// Where a node's input takes its value from once virtual, bypassed and container nodes are
/// seen through.
struct ResolvedInput
{
    enum class Kind
    {
        Nothing, /// unconnected, or the chain ends without a source
        Link,    /// the output `originSlot` of the node `originId`
        Value    /// a value (a primitive node's, or a subgraph node's promoted widget)
    };
    Kind kind = Kind::Nothing;
    std::string originId;
    int originSlot = 0;
    Poco::Dynamic::Var value;

    /// A Value input, or Nothing when `value` is empty (no saved value).
    static ResolvedInput valueOf(const Poco::Dynamic::Var& value)
    {
        ResolvedInput result;
        if (!value.isEmpty()) {
            result.kind = Kind::Value;
            result.value = value;
        }
        return result;
    }
};

/// The whole node network of a UI workflow, flattened: subgraph instances
/// (`definitions.subgraphs`) and legacy group nodes (`extra.groupNodes`) are expanded into
/// their inner nodes, muted and bypassed instances are not. Resolves inputs through reroutes,
/// primitive nodes, bypassed nodes and subgraph boundaries as the front end does
/// (ExecutableNodeDTO). Recursion is bounded; cycles and dangling links throw
/// WorkflowConversionError.
class ExecutionGraph
{
public:
    static constexpr int ModeNever = 2;
    static constexpr int ModeBypass = 4;

    ExecutionGraph(const NodeCatalog& catalog, const Poco::JSON::Object::Ptr& workflow);

    /// Every node, instances before their inner nodes, in saved order.
    const std::deque<ExecutableNode>& nodes() const { return _nodes; }

    /// True for front-end-only node types (Reroute, PrimitiveNode, notes).
    static bool isVirtual(const std::string& type);

    /// Where input `slot` (index in the node's saved `inputs`) of `node` comes from.
    ResolvedInput resolveInput(const ExecutableNode& node, std::size_t slot) const;

private:
    using Visited = std::set<std::string>;

    void add(const Poco::JSON::Object::Ptr& json, const WorkflowGraph& graph, const ExecutableNode* container,
             std::vector<std::string>& ancestry);
    void expand(ExecutableNode& instance, const WorkflowGraph& inner, std::vector<std::string>& ancestry);
    ResolvedInput resolveInput(const ExecutableNode& node, std::size_t slot, Visited& visited,
                               const std::string& type) const;
    ResolvedInput resolveOutput(const ExecutableNode& node, int slot, const std::string& type, Visited& visited) const;
    ResolvedInput promotedWidget(const ExecutableNode& instance, std::size_t slot) const;
    int bypassSlot(const ExecutableNode& node, int slot, const std::string& type) const;
    const ExecutableNode& byId(const std::string& id, const ExecutableNode& from) const;
    static void enter(Visited& visited, const std::string& key, const ExecutableNode& node);

    GroupNodeExpander _groupNodes;
    std::unique_ptr<WorkflowGraph> _root;
    std::map<std::string, std::unique_ptr<WorkflowGraph>> _subgraphs;
    std::deque<std::unique_ptr<WorkflowGraph>> _groupGraphs;
    std::deque<ExecutableNode> _nodes;
    std::map<std::string, const ExecutableNode*> _byId;
};

} // namespace comfygate::userdata

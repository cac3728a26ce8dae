#include "ExecutionGraph.h"

#include "JsonField.h"
#include "WidgetValues.h"
#include "WorkflowConversionError.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <algorithm>

namespace comfygate::userdata {

namespace {

const std::set<std::string> virtualTypes{"Reroute", "PrimitiveNode", "Note", "MarkdownNote"};
constexpr int maxDepth = 16;
constexpr std::size_t maxNodes = 20000;
constexpr std::size_t maxChain = 4096;

Poco::JSON::Object::Ptr slotAt(const Poco::JSON::Object::Ptr& node, const std::string& key, std::size_t slot)
{
    const auto slots = JsonField::array(node, key);
    if (!slots || slot >= slots->size() || slots->get(slot).type() != typeid(Poco::JSON::Object::Ptr))
        return nullptr;
    return slots->get(slot).extract<Poco::JSON::Object::Ptr>();
}

std::size_t slotCount(const Poco::JSON::Object::Ptr& node, const std::string& key)
{
    const auto slots = JsonField::array(node, key);
    return slots ? slots->size() : 0;
}

std::string slotType(const Poco::JSON::Object::Ptr& slot)
{
    return JsonField::string(slot, "type", "*");
}

bool isAny(const std::string& type)
{
    return type.empty() || type == "*";
}

// litegraph's type check: either side accepts anything, or the comma-separated lists share a type.
bool compatible(const std::string& a, const std::string& b)
{
    if (isAny(a) || isAny(b) || Poco::icompare(a, b) == 0)
        return true;
    const Poco::StringTokenizer left(a, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    const Poco::StringTokenizer right(b, ",",
                                      Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& x : left) {
        for (const auto& y : right) {
            if (Poco::icompare(x, y) == 0)
                return true;
        }
    }
    return false;
}

} // namespace

std::string ExecutableNode::label() const
{
    return id + " (" + JsonField::string(json, "title", type) + ")";
}

ExecutionGraph::ExecutionGraph(const NodeCatalog& catalog, const Poco::JSON::Object::Ptr& workflow)
    : _groupNodes(catalog, JsonField::object(JsonField::object(workflow, "extra"), "groupNodes"))
{
    _root = std::make_unique<WorkflowGraph>(workflow, "the workflow");
    if (const auto subgraphs = JsonField::array(JsonField::object(workflow, "definitions"), "subgraphs")) {
        for (std::size_t i = 0; i < subgraphs->size(); ++i) {
            if (subgraphs->get(i).type() != typeid(Poco::JSON::Object::Ptr))
                throw WorkflowConversionError("definitions.subgraphs #" + std::to_string(i) + " is not an object");
            const auto definition = subgraphs->get(i).extract<Poco::JSON::Object::Ptr>();
            const auto id = JsonField::string(definition, "id");
            if (id.empty())
                throw WorkflowConversionError("definitions.subgraphs #" + std::to_string(i) + " has no id");
            const auto name = "subgraph '" + JsonField::string(definition, "name", id) + "'";
            _subgraphs[id] = std::make_unique<WorkflowGraph>(definition, name);
        }
    }
    std::vector<std::string> ancestry;
    for (const auto& node : _root->nodes())
        add(node, *_root, nullptr, ancestry);
}

bool ExecutionGraph::isVirtual(const std::string& type)
{
    return virtualTypes.count(type) > 0;
}

void ExecutionGraph::add(const Poco::JSON::Object::Ptr& json, const WorkflowGraph& graph,
                         const ExecutableNode* container, std::vector<std::string>& ancestry)
{
    if (_nodes.size() >= maxNodes)
        throw WorkflowConversionError("the workflow expands to more than " + std::to_string(maxNodes) + " nodes");
    ExecutableNode node;
    node.json = json;
    node.graph = &graph;
    node.prefix = container ? container->id + ":" : "";
    node.id = node.prefix + JsonField::id(json->get("id"), graph.name() + ": node id");
    node.container = container;
    node.type = JsonField::string(json, "type");
    node.mode = json->has("mode") && !json->get("mode").isEmpty()
                    ? JsonField::integer(json->get("mode"), graph.name() + ": node " + node.id + " mode")
                    : 0;
    auto& added = _nodes.emplace_back(std::move(node));
    if (!_byId.emplace(added.id, &added).second)
        throw WorkflowConversionError("node id " + added.id + " appears twice");
    if (added.mode == ModeNever || added.mode == ModeBypass)
        return;

    const auto subgraph = _subgraphs.find(added.type);
    if (subgraph != _subgraphs.end()) {
        expand(added, *subgraph->second, ancestry);
    } else if (GroupNodeExpander::isGroupType(added.type)) {
        // As in the front end, which refuses group nodes inside subgraphs.
        if (container)
            throw WorkflowConversionError("node " + added.label() + ": group nodes inside subgraphs are not supported");
        const auto name = "group node " + added.label();
        _groupGraphs.push_back(std::make_unique<WorkflowGraph>(_groupNodes.expand(added.json, added.id), name));
        expand(added, *_groupGraphs.back(), ancestry);
    }
}

void ExecutionGraph::expand(ExecutableNode& instance, const WorkflowGraph& inner, std::vector<std::string>& ancestry)
{
    if (std::find(ancestry.begin(), ancestry.end(), instance.type) != ancestry.end())
        throw WorkflowConversionError("node " + instance.label() + ": " + inner.name() + " contains itself");
    if (ancestry.size() >= maxDepth)
        throw WorkflowConversionError("node " + instance.label() + ": subgraphs nest deeper than " +
                                      std::to_string(maxDepth) + " levels");
    instance.inner = &inner;
    ancestry.push_back(instance.type);
    for (const auto& node : inner.nodes())
        add(node, inner, &instance, ancestry);
    ancestry.pop_back();
}

ResolvedInput ExecutionGraph::resolveInput(const ExecutableNode& node, std::size_t slot) const
{
    Visited visited;
    return resolveInput(node, slot, visited, "");
}

void ExecutionGraph::enter(Visited& visited, const std::string& key, const ExecutableNode& node)
{
    if (!visited.insert(key).second)
        throw WorkflowConversionError("node " + node.label() + ": its links form a loop");
    if (visited.size() > maxChain)
        throw WorkflowConversionError("node " + node.label() + ": the chain of links is too long");
}

const ExecutableNode& ExecutionGraph::byId(const std::string& id, const ExecutableNode& from) const
{
    const auto it = _byId.find(id);
    if (it == _byId.end())
        throw WorkflowConversionError("node " + from.label() + ": node " + id + " is not in the workflow");
    return *it->second;
}

ResolvedInput ExecutionGraph::resolveInput(const ExecutableNode& node, std::size_t slot, Visited& visited,
                                           const std::string& type) const
{
    enter(visited, node.id + "[I]" + std::to_string(slot), node);
    const auto input = slotAt(node.json, "inputs", slot);
    if (!input)
        throw WorkflowConversionError("node " + node.label() + ": it has no input " + std::to_string(slot));
    if (!input->has("link") || JsonField::isNull(input->get("link")))
        return {};
    const auto name = JsonField::string(input, "name", std::to_string(slot));
    const auto linkId = JsonField::id(input->get("link"), "node " + node.label() + " input '" + name + "'");
    const auto* link = node.graph->links().find(linkId);
    if (!link)
        throw WorkflowConversionError("node " + node.label() + ": input '" + name + "' uses link " + linkId +
                                      ", which is not in " + node.graph->name());

    if (link->originId == LinkTable::SubgraphInputId) {
        if (!node.container)
            throw WorkflowConversionError("node " + node.label() + ": input '" + name +
                                          "' comes from a subgraph input outside any subgraph");
        const auto outer = static_cast<std::size_t>(link->originSlot);
        if (link->originSlot < 0 || outer >= slotCount(node.container->json, "inputs"))
            throw WorkflowConversionError("node " + node.label() + ": input '" + name + "' comes from input " +
                                          std::to_string(link->originSlot) + " of node " + node.container->label() +
                                          ", which does not exist");
        const auto outerInput = slotAt(node.container->json, "inputs", outer);
        if (!outerInput->has("link") || JsonField::isNull(outerInput->get("link")))
            return promotedWidget(*node.container, outer);
        return resolveInput(*node.container, outer, visited, "");
    }

    if (!node.graph->node(link->originId))
        throw WorkflowConversionError("node " + node.label() + ": input '" + name + "' comes from node " +
                                      link->originId + ", which is not in " + node.graph->name());
    const auto& origin = byId(node.prefix + link->originId, node);
    return resolveOutput(origin, link->originSlot, type.empty() ? slotType(input) : type, visited);
}

ResolvedInput ExecutionGraph::resolveOutput(const ExecutableNode& node, int slot, const std::string& type,
                                            Visited& visited) const
{
    enter(visited, node.id + "[O]" + std::to_string(slot), node);
    if (slot < 0)
        throw WorkflowConversionError("node " + node.label() + ": a link starts at output " + std::to_string(slot));

    if (node.mode == ModeBypass) {
        const int through = bypassSlot(node, slot, type);
        return through < 0 ? ResolvedInput{} : resolveInput(node, static_cast<std::size_t>(through), visited, "");
    }
    if (node.inner) {
        const auto* link = node.inner->links().findInto(LinkTable::SubgraphOutputId, slot);
        if (!link)
            return {};
        if (link->originId == LinkTable::SubgraphInputId)
            return resolveInput(node, static_cast<std::size_t>(std::max(link->originSlot, 0)), visited, "");
        return resolveOutput(byId(node.id + ":" + link->originId, node), link->originSlot, type, visited);
    }
    // A primitive node is replaced by its value, which the front end copies into each target widget.
    if (node.type == "PrimitiveNode") {
        return ResolvedInput::valueOf(WidgetValues::at(
            node.json->has("widgets_values") ? node.json->get("widgets_values") : Poco::Dynamic::Var(), 0));
    }
    if (isVirtual(node.type)) {
        if (static_cast<std::size_t>(slot) < slotCount(node.json, "inputs"))
            return resolveInput(node, static_cast<std::size_t>(slot), visited, type);
        return {};
    }
    ResolvedInput result;
    result.kind = ResolvedInput::Kind::Link;
    result.originId = node.id;
    result.originSlot = slot;
    return result;
}

ResolvedInput ExecutionGraph::promotedWidget(const ExecutableNode& instance, std::size_t slot) const
{
    // A subgraph node shows a widget for each input that carries one; the values are saved
    // in that order. Without a saved value the inner widget keeps its own.
    const auto input = slotAt(instance.json, "inputs", slot);
    if (!JsonField::object(input, "widget"))
        return {};
    std::size_t index = 0;
    for (std::size_t i = 0; i < slot; ++i) {
        if (JsonField::object(slotAt(instance.json, "inputs", i), "widget"))
            ++index;
    }
    return ResolvedInput::valueOf(WidgetValues::at(
        instance.json->has("widgets_values") ? instance.json->get("widgets_values") : Poco::Dynamic::Var(), index));
}

int ExecutionGraph::bypassSlot(const ExecutableNode& node, int slot, const std::string& type) const
{
    const auto count = slotCount(node.json, "inputs");
    if (count == 0)
        return -1;
    const auto index = static_cast<std::size_t>(slot);
    if (isAny(type))
        return index < count ? slot : 0;
    const auto outputType = slotType(slotAt(node.json, "outputs", index));
    const auto sameSlot = slotAt(node.json, "inputs", index);
    if (sameSlot && compatible(slotType(sameSlot), outputType) && compatible(slotType(sameSlot), type))
        return slot;
    for (std::size_t i = 0; i < count; ++i) {
        if (slotType(slotAt(node.json, "inputs", i)) == type)
            return static_cast<int>(i);
    }
    for (std::size_t i = 0; i < count; ++i) {
        const auto candidate = slotType(slotAt(node.json, "inputs", i));
        if (compatible(candidate, outputType) && compatible(candidate, type))
            return static_cast<int>(i);
    }
    return -1;
}

} // namespace comfygate::userdata

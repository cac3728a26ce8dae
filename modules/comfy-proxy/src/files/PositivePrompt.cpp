#include "PositivePrompt.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <set>
#include <vector>

namespace comfygate::comfyproxy {
namespace {

using Graph = Poco::JSON::Object::Ptr;

Poco::JSON::Object::Ptr inputsOf(const Graph& graph, const std::string& nodeId)
{
    const auto node = graph->getObject(nodeId);
    return node ? node->getObject("inputs") : nullptr;
}

/// The node id a linked input `[node_id, output_index]` points at, or "".
std::string linkedNode(const Poco::Dynamic::Var& value)
{
    if (value.type() != typeid(Poco::JSON::Array::Ptr))
        return {};
    const auto link = value.extract<Poco::JSON::Array::Ptr>();
    if (link->size() != 2)
        return {};
    try {
        return link->get(0).convert<std::string>();
    } catch (...) {
        return {};
    }
}

/// Every node upstream of (and including) the nodes linked from inputs named `inputName`.
std::set<std::string> reachableFrom(const Graph& graph, const std::string& inputName)
{
    std::vector<std::string> frontier;
    for (const auto& nodeId : graph->getNames()) {
        const auto inputs = inputsOf(graph, nodeId);
        if (inputs && inputs->has(inputName)) {
            const std::string source = linkedNode(inputs->get(inputName));
            if (!source.empty())
                frontier.push_back(source);
        }
    }
    std::set<std::string> seen;
    while (!frontier.empty() && seen.size() < 10000) {
        const std::string id = frontier.back();
        frontier.pop_back();
        if (!seen.insert(id).second)
            continue;
        if (const auto inputs = inputsOf(graph, id))
            for (const auto& [name, value] : *inputs)
                if (const std::string source = linkedNode(value); !source.empty())
                    frontier.push_back(source);
    }
    return seen;
}

} // namespace

std::string PositivePrompt::fromGraphJson(const std::string& json)
{
    Graph graph;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        graph = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    } catch (...) {
        return {};
    }
    std::set<std::string> chosen = reachableFrom(graph, "positive");
    const bool noPositive = chosen.empty();
    const std::set<std::string> negative = noPositive ? reachableFrom(graph, "negative") : std::set<std::string>{};
    std::string text;
    for (const auto& nodeId : graph->getNames()) {
        const bool wanted = noPositive ? negative.count(nodeId) == 0 : chosen.count(nodeId) != 0;
        const auto inputs = wanted ? inputsOf(graph, nodeId) : nullptr;
        if (!inputs)
            continue;
        for (const auto& [name, value] : *inputs) {
            if (name.rfind("text", 0) == 0 && value.isString()) {
                const std::string part = value.convert<std::string>();
                if (!part.empty())
                    text += (text.empty() ? "" : "\n") + part;
            }
        }
    }
    return text;
}

} // namespace comfygate::comfyproxy

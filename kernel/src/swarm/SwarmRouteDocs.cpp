#include "SwarmRouteDocs.h"

#include "Router.h"
#include "comfygate/SwarmApi.h"

#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <vector>

namespace comfygate {
namespace {

using RoutesByGroup = std::map<std::string, std::vector<const swarm::RouteInfo*>>;

/// A table cell: pipes and line breaks would end the cell or the row.
std::string cell(const std::string& text)
{
    std::string out = Poco::replace(text, std::string("|"), std::string("\\|"));
    return Poco::replace(out, std::string("\n"), std::string(" "));
}

/// GitHub's heading anchor: lower case, spaces to dashes, other punctuation dropped.
std::string anchor(const std::string& heading)
{
    std::string out;
    for (const char c : Poco::toLower(heading)) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
            out += c;
        else if (c == ' ')
            out += '-';
    }
    return out;
}

std::string defaultText(const swarm::Parameter& parameter)
{
    if (parameter.required)
        return "**REQUIRED**";
    if (parameter.defaultValue.isEmpty())
        return "`null`";
    if (parameter.defaultValue.isString())
        return "`\"" + parameter.defaultValue.convert<std::string>() + "\"`";
    return "`" + parameter.defaultValue.convert<std::string>() + "`";
}

void renderRoute(std::ostream& out, const swarm::RouteInfo& info)
{
    out << "### " << info.name << "\n\n";
    if (info.webSocket)
        out << "#### WebSocket route\n\nOpen `/API/" << info.name
            << "` as a WebSocket and send the call as one JSON message (with `session_id`); messages come back "
               "as they are produced, the last one is the answer, then the socket closes.\n\n";
    else
        out << "#### HTTP route\n\n`POST /API/" << info.name << "` with a JSON object body.\n\n";
    if (info.nonFinal)
        out << "> [!WARNING]\n> This route is marked non-final: it may change or go away.\n\n";
    out << "#### Description\n\n" << (info.description.empty() ? "(no description)" : info.description) << "\n\n";
    out << "#### Permission Flag\n\n";
    if (info.permission.empty())
        out << "None" << (info.sessionless ? " (callable without a session)" : "") << "\n\n";
    else
        out << "`" << info.permission << "`\n\n";
    out << "#### Parameters\n\n";
    if (info.parameters.empty()) {
        out << "**None.**\n\n";
    } else {
        out << "| Name | Type | Description | Default |\n| --- | --- | --- | --- |\n";
        for (const auto& parameter : info.parameters)
            out << "| " << cell(parameter.name) << " | " << swarm::typeName(parameter.type) << " | "
                << cell(parameter.description) << " | " << defaultText(parameter) << " |\n";
        out << "\n";
    }
    out << "#### Return Format\n\n```js\n" << (info.returnExample.empty() ? "{}" : info.returnExample) << "\n```\n\n";
}

} // namespace

std::string SwarmRouteDocs::markdown() const
{
    RoutesByGroup groups;
    for (const auto& route : _router.routes())
        if (route->spec->swarm && route->pattern.text() == "/API/" + route->spec->swarm->name)
            groups[route->spec->swarm->group.empty() ? "Other" : route->spec->swarm->group].push_back(
                route->spec->swarm.get());
    for (auto& [group, routes] : groups)
        std::sort(routes.begin(), routes.end(),
                  [](const swarm::RouteInfo* a, const swarm::RouteInfo* b) { return a->name < b->name; });

    std::ostringstream out;
    out << "# comfygate SwarmUI API routes\n\n"
           "Generated from the routes this server has registered. Every HTTP route is `POST /API/<Name>` with "
           "a JSON object body (`Content-Type: application/json`) that carries `session_id` (from "
           "`GetNewSession`) next to the parameters; names are case-insensitive.\n\n";
    out << "## Table of Contents\n\n";
    for (const auto& [group, routes] : groups) {
        out << "- [" << group << "](#" << anchor(group) << ")\n";
        for (const auto* info : routes)
            out << "    - [" << info->name << "](#" << anchor(info->name) << ")\n";
    }
    out << "\n";
    for (const auto& [group, routes] : groups) {
        out << "## " << group << "\n\n";
        for (const auto* info : routes)
            renderRoute(out, *info);
    }
    return out.str();
}

} // namespace comfygate

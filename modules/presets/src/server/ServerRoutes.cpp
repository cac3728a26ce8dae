#include "ServerRoutes.h"

#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace comfygate::presets {

void ServerRoutes::registerAll(RouteRegistry& routes)
{
    using swarm::Parameter;
    using swarm::ParamType;
    swarm::addRoute(routes,
                    {.name = "ServerDebugMessage",
                     .group = "BasicAPIFeatures",
                     .permission = "server_debug_message",
                     .description =
                         "Writes a message into the server log and the audit log, with the caller's name (the "
                         "first 2000 characters).",
                     .parameters = {Parameter::needed("message", ParamType::String, "the text to log")},
                     .returnExample = R"({"success": true})",
                     .bodyLimit = 64 * 1024},
                    [this](swarm::Call& call, HttpExchange& exchange, const swarm::Emit&) {
                        return serverDebugMessage(call, exchange);
                    });

    swarm::RouteInfo install{
        .name = "InstallConfirmWS",
        .group = "BasicAPIFeatures",
        .permission = "install",
        .description = "SwarmUI's first-run installer. comfygate is installed and configured by its package and "
                       "etc/comfygate.properties, so this always refuses with `already_installed`.",
        .parameters = {Parameter::optional("theme", ParamType::String, "ignored"),
                       Parameter::optional("installed_for", ParamType::String, "ignored"),
                       Parameter::optional("backend", ParamType::String, "ignored"),
                       Parameter::optional("models", ParamType::String, "ignored"),
                       Parameter::optional("install_amd", ParamType::Bool, "ignored", false),
                       Parameter::optional("language", ParamType::String, "ignored"),
                       Parameter::optional("make_shortcut", ParamType::Bool, "ignored", false)},
        .returnExample =
            R"({"error": "comfygate is installed by its package: there is nothing to install here.", "error_id": "already_installed"})",
        .userUpdate = true,
        .webSocket = true};
    swarm::addRoute(routes, std::move(install),
                    [](swarm::Call&, HttpExchange&, const swarm::Emit&) -> Poco::JSON::Object::Ptr { refuseInstall(); });
}

void ServerRoutes::refuseInstall()
{
    throw swarm::Refusal("comfygate is installed by its package: there is nothing to install here.",
                         "already_installed");
}

Poco::JSON::Object::Ptr ServerRoutes::serverDebugMessage(swarm::Call& call, HttpExchange& exchange)
{
    std::string message = call.string("message");
    if (message.size() > maxLoggedMessage)
        message = message.substr(0, maxLoggedMessage) + "...";
    const Principal& principal = exchange.principal();
    _logger.information("debug message from %s: %s", principal.username, message);
    Poco::JSON::Object detail;
    detail.set("message", message);
    std::ostringstream json;
    detail.stringify(json);
    _audit.record(
        {principal.username, "swarm.debug_message", principal.username, exchange.client().toString(), json.str()});
    return swarm::success();
}

} // namespace comfygate::presets

#include "UserEnvRoutes.h"

#include "ComfyAnswers.h"
#include "UserDataName.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/services/UserDirectory.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <sstream>

namespace comfygate::userdata {
namespace {

Poco::JSON::Array::Ptr listing(const std::vector<StoredFileInfo>& files)
{
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& file : files) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("path", file.path);
        item->set("size", static_cast<Poco::Int64>(file.size));
        item->set("modified", static_cast<double>(file.modifiedMs) / 1000.0);
        out->add(item);
    }
    return out;
}

bool flag(const Poco::JSON::Object& body, const std::string& name)
{
    const auto value = body.get(name);
    if (value.isEmpty())
        return false;
    if (!value.isBoolean())
        throw HttpError(400, "'" + name + "' must be true or false");
    return value.convert<bool>();
}

} // namespace

std::string UserEnvRoutes::workflowPath(const std::string& name)
{
    std::string path = name;
    const std::string prefix = std::string(WorkflowLibrary::workflowDirectory) + "/";
    if (path.compare(0, prefix.size(), prefix) != 0)
        path = prefix + path;
    if (path.size() < 5 || path.compare(path.size() - 5, 5, ".json") != 0)
        path += ".json";
    return path;
}

void UserEnvRoutes::registerAll(RouteRegistry& routes)
{
    auto route = RouteSpec::make(
        "POST", "/mss-login/api/user-env", Access::Permission,
        "an administrator's actions on a user's environment: list_workflows, promote_workflow",
        [this](HttpExchange& e) { ComfyAnswers::guarded(e, [&] { handle(e); }); },
        WorkflowLibrary::manageGlobalPermission);
    route.aliases = {"/api/mss-login/api/user-env"};
    routes.add(route);
}

std::string UserEnvRoutes::resolveUser(const std::string& username)
{
    auto directory = _services.find<services::UserDirectory>(services::UserDirectory::serviceName);
    if (!directory)
        return username; // without the auth module, principals are named by id
    auto user = directory->findByName(username);
    return user ? user->id : std::string();
}

void UserEnvRoutes::handle(HttpExchange& exchange)
{
    const auto body = exchange.jsonBody();
    const std::string action = body->optValue<std::string>("action", "");
    const std::string username = body->optValue<std::string>("user", "");
    if (action != "list_workflows" && action != "promote_workflow")
        throw HttpError(400, "unknown action '" + action +
                                 "': this gateway's user-env serves list_workflows and promote_workflow");
    if (username.empty())
        throw HttpError(400, "'user' (a username) is required");
    const std::string userId = resolveUser(username);
    if (userId.empty())
        throw HttpError(404, "no user named '" + username + "'");
    if (action == "list_workflows")
        return listWorkflows(exchange, username, userId);
    promote(exchange, *body, userId);
}

void UserEnvRoutes::listWorkflows(HttpExchange& exchange, const std::string& username, const std::string& userId)
{
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("status", "ok");
    out->set("user", username);
    out->set("workflows", listing(_library.store().list(userId, WorkflowLibrary::workflowDirectory)));
    out->set("global", listing(_library.store().list(UserFileStore::globalOwner, WorkflowLibrary::workflowDirectory)));
    exchange.sendJson(200, out);
}

void UserEnvRoutes::promote(HttpExchange& exchange, const Poco::JSON::Object& body, const std::string& userId)
{
    const std::string name = body.optValue<std::string>("workflow", "");
    if (name.empty())
        throw HttpError(400, "'workflow' (the file name of the user's workflow) is required");
    const std::string path = workflowPath(name);
    if (UserDataName::check(path) != UserDataName::Verdict::Valid)
        throw HttpError(400, "'workflow' must be a file name below the user's workflows folder, without '..'");
    const bool deleteSource = flag(body, "delete_source");
    switch (_library.promote(userId, path, deleteSource, flag(body, "overwrite"), exchange.principal().userId)) {
    case WorkflowLibrary::PromoteResult::SourceMissing:
        throw HttpError(404, "the user has no workflow " + path);
    case WorkflowLibrary::PromoteResult::GlobalExists:
        throw HttpError(409, "a global workflow " + path + " exists already: send \"overwrite\": true to replace it");
    case WorkflowLibrary::PromoteResult::NameConflict:
        throw HttpError(409, "the global workflows have a folder named " + path + ", or a file where its folder "
                             "would be; rename the workflow first");
    case WorkflowLibrary::PromoteResult::Promoted:
        break;
    }
    Poco::JSON::Object detail(Poco::JSON_PRESERVE_KEY_ORDER);
    detail.set("user_id", userId);
    detail.set("delete_source", deleteSource);
    std::ostringstream detailJson;
    detail.stringify(detailJson);
    _audit.record({exchange.principal().username, "workflow.promote", path, exchange.client().toString(),
                   detailJson.str()});
    Poco::JSON::Object::Ptr out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("status", "ok");
    out->set("workflow", path);
    out->set("global_path", path);
    out->set("deleted_source", deleteSource);
    exchange.sendJson(200, out);
}

} // namespace comfygate::userdata

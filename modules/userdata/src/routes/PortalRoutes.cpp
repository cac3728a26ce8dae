#include "PortalRoutes.h"

#include "JsonText.h"
#include "UserDataName.h"
#include "WorkflowConverter.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>

namespace comfygate::userdata {
namespace {

/// An answer of the Portal API: `{"status":"error","message"}`.
class PortalError : public std::runtime_error
{
public:
    PortalError(int status, const std::string& message) : std::runtime_error(message), _status(status) {}
    int status() const { return _status; }

private:
    int _status;
};

Poco::JSON::Object::Ptr success(const std::string& message = {})
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("status", "success");
    if (!message.empty())
        body->set("message", message);
    return body;
}

void sendError(HttpExchange& exchange, int status, const std::string& message)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("status", "error");
    body->set("message", message);
    exchange.sendJson(status, body);
}

Poco::JSON::Object::Ptr parseWorkflow(const std::string& text, const std::string& what)
{
    Poco::Dynamic::Var parsed;
    try {
        parsed = JsonText::parse(text);
    } catch (const std::invalid_argument& e) {
        throw PortalError(400, "Invalid JSON in " + what + ": " + e.what());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        throw PortalError(400, what + " is not a JSON object");
    auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    if (object->size() == 0)
        throw PortalError(400, what + " contains no data or is an empty JSON object");
    return object;
}

std::string relativeToWorkflows(const std::string& path)
{
    return path.substr(std::string(WorkflowLibrary::workflowDirectory).size() + 1);
}

} // namespace

void PortalRoutes::registerAll(RouteRegistry& routes)
{
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* permission;
        const char* description;
        void (PortalRoutes::*handler)(HttpExchange&);
    };
    const std::vector<Entry> table{
        {"GET", "/cpe/workflow/list", "can_access_api", "Comfy Portal: your workflows and the global ones",
         &PortalRoutes::list},
        {"GET", "/cpe/workflow/get", "can_access_api", "Comfy Portal: one workflow (filename)", &PortalRoutes::get},
        // can_modify_workflows is checked by the library, so a refusal has the Portal's shape.
        {"POST", "/cpe/workflow/save", "can_access_api",
         "Comfy Portal: save a workflow ({workflow, name?})", &PortalRoutes::save},
        {"POST", "/cpe/workflow/convert", "can_access_api",
         "Comfy Portal: convert a UI workflow (the body) to the API prompt format", &PortalRoutes::convert},
        {"GET", "/cpe/workflow/get-and-convert", "can_access_api",
         "Comfy Portal: one workflow converted to the API prompt format (filename)", &PortalRoutes::getAndConvert},
        {"GET", "/cpe/health", "can_access_api", "Comfy Portal: whether conversion can run", &PortalRoutes::health},
    };
    for (const auto& entry : table) {
        auto handler = entry.handler;
        auto route = RouteSpec::make(
            entry.method, entry.pattern, Access::Permission, entry.description,
            [this, handler](HttpExchange& e) {
                try {
                    (this->*handler)(e);
                } catch (const PortalError& error) {
                    sendError(e, error.status(), error.what());
                } catch (const WorkflowDenied& error) {
                    sendError(e, 403, error.what());
                } catch (const InvalidContent& error) {
                    sendError(e, 400, error.what());
                } catch (const QuotaExceeded& error) {
                    sendError(e, 413, error.what());
                } catch (const WorkflowConversionError& error) {
                    sendError(e, 400, std::string("the workflow cannot be converted: ") + error.what());
                } catch (const ComfyUnavailable& error) {
                    sendError(e, 503, error.what());
                }
            },
            entry.permission);
        route.apiTwin = true;
        route.bodyLimit = _bodyLimit;
        routes.add(route);
    }
}

std::string PortalRoutes::workflowPath(const std::string& filename)
{
    if (filename.empty())
        throw PortalError(400, "filename query parameter is required");
    if (UserDataName::check(filename) != UserDataName::Verdict::Valid)
        throw PortalError(400, "Invalid filename path: use a name below your workflows folder, without '..'");
    return std::string(WorkflowLibrary::workflowDirectory) + "/" + filename;
}

std::string PortalRoutes::load(HttpExchange& exchange, const std::string& filename)
{
    auto loaded = _library.load(exchange.principal(), workflowPath(filename));
    if (!loaded)
        throw PortalError(404, "Workflow file not found: " + filename);
    return std::move(loaded->content);
}

void PortalRoutes::list(HttpExchange& exchange)
{
    Poco::JSON::Array::Ptr workflows = new Poco::JSON::Array;
    for (const auto& file : _library.list(exchange.principal(), WorkflowLibrary::workflowDirectory, true)) {
        const std::string& path = file.info.path;
        if (path.size() < 5 || path.compare(path.size() - 5, 5, ".json") != 0)
            continue;
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("filename", relativeToWorkflows(path));
        item->set("size", static_cast<Poco::Int64>(file.info.size));
        item->set("modified", static_cast<double>(file.info.modifiedMs) / 1000.0);
        item->set("source", file.global ? "global" : "user");
        workflows->add(item);
    }
    auto body = success();
    body->set("workflows", workflows);
    exchange.sendJson(200, body);
}

void PortalRoutes::get(HttpExchange& exchange)
{
    const std::string filename = exchange.query("filename").value_or("");
    const std::string content = load(exchange, filename);
    auto body = success();
    body->set("filename", filename);
    // The node's answer carries the file's text, not a parsed object.
    body->set("workflow", content);
    exchange.sendJson(200, body);
}

void PortalRoutes::save(HttpExchange& exchange)
{
    const auto request = parseWorkflow(exchange.body(), "the request body");
    if (!request->has("workflow"))
        throw PortalError(400, "workflow field is required");
    const Poco::Dynamic::Var workflow = request->get("workflow");
    std::string text;
    if (workflow.isString()) {
        text = workflow.convert<std::string>();
        parseWorkflow(text, "the workflow field");
    } else if (workflow.type() == typeid(Poco::JSON::Object::Ptr)) {
        std::ostringstream out;
        workflow.extract<Poco::JSON::Object::Ptr>()->stringify(out);
        text = out.str();
    } else {
        throw PortalError(400, "workflow must be a JSON object or a string holding one");
    }
    std::string name = request->optValue<std::string>("name", "");
    if (name.empty())
        name = exchange.query("name").value_or(exchange.query("file").value_or(""));
    if (name.empty())
        name = "workflow_" +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".json") != 0)
        name += ".json";
    const std::string path = workflowPath(name);
    if (_library.save(exchange.principal(), path, text, true) == UserFileStore::WriteResult::NameConflict)
        throw PortalError(409, "a folder of your workflows is named " + name + "; choose another name");
    auto body = success("Workflow saved successfully");
    body->set("filename", name);
    exchange.sendJson(200, body);
}

Poco::JSON::Object::Ptr PortalRoutes::converted(const Poco::JSON::Object::Ptr& workflow)
{
    if (!WorkflowConverter::isUiWorkflow(workflow))
        return workflow; // already an API prompt
    return WorkflowConverter(_objectInfo.get()).convert(workflow);
}

void PortalRoutes::convert(HttpExchange& exchange)
{
    const auto workflow = parseWorkflow(exchange.body(), "the request body");
    Poco::JSON::Object::Ptr data = new Poco::JSON::Object;
    data->set("workflow", converted(workflow));
    auto body = success("Workflow converted successfully");
    body->set("data", data);
    exchange.sendJson(200, body);
}

void PortalRoutes::getAndConvert(HttpExchange& exchange)
{
    const std::string filename = exchange.query("filename").value_or("");
    const std::string content = load(exchange, filename);
    const auto workflow = parseWorkflow(content, "the workflow file");
    Poco::JSON::Object::Ptr data = new Poco::JSON::Object;
    data->set("workflow", converted(workflow));
    auto body = success("Workflow converted successfully");
    body->set("filename", filename);
    body->set("data", data);
    exchange.sendJson(200, body);
}

void PortalRoutes::health(HttpExchange& exchange)
{
    // The node reports its headless browser; the gateway converts itself and needs only
    // ComfyUI's /object_info, so that is what "ready" means here.
    Poco::JSON::Object::Ptr converter = new Poco::JSON::Object;
    converter->set("status", _objectInfo.reachable() ? "ready" : "error");
    auto body = success();
    body->set("browser", converter);
    exchange.sendJson(200, body);
}

} // namespace comfygate::userdata

#include "ComfyAnswers.h"

#include "WorkflowLibrary.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Object.h>

namespace comfygate::userdata {

void ComfyAnswers::text(HttpExchange& exchange, int status, const std::string& message)
{
    exchange.sendText(status, "text/plain; charset=utf-8", message);
}

void ComfyAnswers::empty(HttpExchange& exchange, int status)
{
    exchange.sendText(status, "application/octet-stream", "");
}

void ComfyAnswers::workflowDenied(HttpExchange& exchange, const std::string& message)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("error", "WORKFLOW_DENIED");
    body->set("message", message);
    exchange.sendJson(403, body);
}

void ComfyAnswers::nameConflict(HttpExchange& exchange, const std::string& name)
{
    text(exchange, 409, "A file and a folder cannot have the same name: " + name +
                            " is a folder, or one of its folders is a file; choose another name");
}

bool ComfyAnswers::acceptName(HttpExchange& exchange, const std::string& name)
{
    switch (UserDataName::check(name)) {
    case UserDataName::Verdict::Valid:
        return true;
    case UserDataName::Verdict::OutsideRoot:
        empty(exchange, 403);
        return false;
    case UserDataName::Verdict::Invalid:
        text(exchange, 400, "Invalid filename: use a relative path without empty, '.' or '..' parts, "
                            "backslashes or control characters");
        return false;
    }
    return false;
}

void ComfyAnswers::refuse(HttpExchange& exchange, std::exception_ptr error)
{
    try {
        std::rethrow_exception(error);
    } catch (const WorkflowDenied& e) {
        workflowDenied(exchange, e.what());
    } catch (const InvalidContent& e) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
        body->set("error", std::string(e.what()));
        exchange.sendJson(400, body);
    } catch (const QuotaExceeded& e) {
        Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        body->set("error", std::string(e.what()));
        body->set("limit", e.limit());
        exchange.sendJson(413, body);
    }
}

} // namespace comfygate::userdata

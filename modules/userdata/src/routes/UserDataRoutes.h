#pragma once

#include "WorkflowLibrary.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Object.h>

#include <cstddef>
#include <functional>

namespace comfygate {
class HttpExchange;
}

namespace comfygate::userdata {

/// ComfyUI's userdata API answered from the gateway's store, with ComfyUI's shapes and status
/// codes: `GET /userdata` (dir, recurse, full_info, split), `GET /v2/userdata` (path), and
/// `GET/POST/DELETE /userdata/{file}` and `POST /userdata/{file}/move/{dest}`, also with
/// literal slashes in the file name; each with its `/api` twin.
class UserDataRoutes
{
public:
    UserDataRoutes(WorkflowLibrary& library, std::size_t bodyLimit) : _library(library), _bodyLimit(bodyLimit) {}

    void registerAll(RouteRegistry& routes);

    /// FileInfo as ComfyUI writes it (`path`, `size`, `modified`, `created` in seconds), plus
    /// where a workflow comes from.
    static Poco::JSON::Object::Ptr fileInfo(const VisibleFile& file, const std::string& relativeTo = {});

private:
    void list(HttpExchange& exchange);
    void listV2(HttpExchange& exchange);
    void read(HttpExchange& exchange);
    void write(HttpExchange& exchange);
    void remove(HttpExchange& exchange);
    void move(HttpExchange& exchange, const std::string& file, const std::string& destination);

    WorkflowLibrary& _library;
    std::size_t _bodyLimit;
};

} // namespace comfygate::userdata

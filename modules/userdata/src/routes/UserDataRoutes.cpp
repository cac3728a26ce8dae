#include "UserDataRoutes.h"

#include "ComfyAnswers.h"
#include "UserDataRequestPath.h"
#include "comfygate/HttpExchange.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <set>

namespace comfygate::userdata {
namespace {

bool flag(HttpExchange& exchange, const std::string& name)
{
    return Poco::toLower(exchange.query(name).value_or("false")) == "true";
}

/// ComfyUI: `overwrite` is true unless it is exactly "false".
bool overwriteRequested(HttpExchange& exchange)
{
    return exchange.query("overwrite").value_or("true") != "false";
}

std::string relativeTo(const std::string& path, const std::string& directory)
{
    return directory.empty() ? path : path.substr(directory.size() + 1);
}

std::string contentTypeFor(const std::string& path)
{
    const auto dot = path.rfind('.');
    const std::string extension = dot == std::string::npos ? "" : Poco::toLower(path.substr(dot + 1));
    if (extension == "json")
        return "application/json";
    if (extension == "css")
        return "text/css";
    if (extension == "js")
        return "text/javascript";
    if (extension == "txt" || extension == "md")
        return "text/plain; charset=utf-8";
    if (extension == "png")
        return "image/png";
    if (extension == "webp")
        return "image/webp";
    if (extension == "jpg" || extension == "jpeg")
        return "image/jpeg";
    return "application/octet-stream";
}

} // namespace

Poco::JSON::Object::Ptr UserDataRoutes::fileInfo(const VisibleFile& file, const std::string& directory)
{
    Poco::JSON::Object::Ptr info = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    info->set("path", relativeTo(file.info.path, directory));
    info->set("size", static_cast<Poco::Int64>(file.info.size));
    info->set("modified", static_cast<double>(file.info.modifiedMs) / 1000.0);
    info->set("created", static_cast<double>(file.info.createdMs) / 1000.0);
    if (WorkflowLibrary::isWorkflow(file.info.path)) {
        info->set("source", file.global ? "global" : "user");
        if (file.overridesGlobal)
            info->set("overrides_global", true);
    }
    return info;
}

void UserDataRoutes::registerAll(RouteRegistry& routes)
{
    // Writes are checked in the library, so a refusal can carry MSS-Login's WORKFLOW_DENIED.
    struct Entry
    {
        const char* method;
        const char* pattern;
        const char* description;
        Handler handler;
    };
    const std::vector<Entry> table{
        {"GET", "/userdata", "list your user data files (dir, recurse, full_info, split)",
         [this](HttpExchange& e) { list(e); }},
        {"GET", "/v2/userdata", "list your user data (path)", [this](HttpExchange& e) { listV2(e); }},
        {"GET", "/userdata/{path...}", "read one of your user data files (or a global workflow)",
         [this](HttpExchange& e) { read(e); }},
        {"POST", "/userdata/{path...}",
         "write one of your user data files (overwrite, full_info), or move one (<file>/move/<dest>)",
         [this](HttpExchange& e) { write(e); }},
        {"DELETE", "/userdata/{path...}", "delete one of your user data files",
         [this](HttpExchange& e) { remove(e); }},
    };
    for (const auto& entry : table) {
        auto route = RouteSpec::make(entry.method, entry.pattern, Access::Permission, entry.description, entry.handler,
                                     "can_access_api");
        route.apiTwin = true;
        route.bodyLimit = _bodyLimit;
        routes.add(route);
    }
}

void UserDataRoutes::list(HttpExchange& exchange)
{
    const std::string dir = exchange.query("dir").value_or("");
    if (dir.empty())
        return ComfyAnswers::text(exchange, 400, "Directory not provided");
    const std::string directory = UserDataName::trimmed(dir);
    if (UserDataName::check(directory) != UserDataName::Verdict::Valid)
        return ComfyAnswers::text(exchange, 403, "Invalid directory");
    // One read serves both questions: a directory exists when some file lies below it.
    const auto files = _library.list(exchange.principal(), directory, true);
    if (files.empty())
        return ComfyAnswers::text(exchange, 404, "Directory not found");
    const bool recurse = flag(exchange, "recurse");
    const bool fullInfo = flag(exchange, "full_info");
    const bool split = flag(exchange, "split");
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& file : files) {
        const std::string relative = relativeTo(file.info.path, directory);
        if (!recurse && relative.find('/') != std::string::npos)
            continue;
        if (fullInfo) {
            out->add(fileInfo(file, directory));
        } else if (split) {
            Poco::JSON::Array::Ptr parts = new Poco::JSON::Array;
            parts->add(relative);
            std::string::size_type start = 0;
            while (start <= relative.size()) {
                const auto slash = relative.find('/', start);
                const auto end = slash == std::string::npos ? relative.size() : slash;
                parts->add(relative.substr(start, end - start));
                start = end + 1;
            }
            out->add(parts);
        } else {
            out->add(relative);
        }
    }
    exchange.sendJson(200, out);
}

void UserDataRoutes::listV2(HttpExchange& exchange)
{
    const std::string requested = UserDataName::trimmed(exchange.query("path").value_or(""));
    if (UserDataName::check(requested, true) != UserDataName::Verdict::Valid)
        return ComfyAnswers::text(exchange, 403, "Invalid path");
    const Principal& principal = exchange.principal();
    const auto files = _library.list(principal, requested, true);
    if (files.empty()) {
        if (requested.empty())
            return exchange.sendJson(200, Poco::JSON::Array::Ptr(new Poco::JSON::Array));
        if (_library.info(principal, requested))
            return ComfyAnswers::text(exchange, 400, "Path is not a directory");
        return ComfyAnswers::text(exchange, 404, "Path not found");
    }
    // The store keeps files only; the directories are the prefixes of their paths.
    std::set<std::string> directories;
    for (const auto& file : files) {
        for (auto slash = file.info.path.find('/'); slash != std::string::npos;
             slash = file.info.path.find('/', slash + 1)) {
            const std::string directory = file.info.path.substr(0, slash);
            if (UserDataName::isBelow(directory, requested))
                directories.insert(directory);
        }
    }
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& directory : directories) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("name", UserDataName::baseName(directory));
        item->set("path", directory);
        item->set("type", "directory");
        out->add(item);
    }
    for (const auto& file : files) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("name", UserDataName::baseName(file.info.path));
        item->set("path", file.info.path);
        item->set("type", "file");
        item->set("size", static_cast<Poco::Int64>(file.info.size));
        item->set("modified", static_cast<double>(file.info.modifiedMs) / 1000.0);
        if (WorkflowLibrary::isWorkflow(file.info.path))
            item->set("source", file.global ? "global" : "user");
        out->add(item);
    }
    exchange.sendJson(200, out);
}

void UserDataRoutes::read(HttpExchange& exchange)
{
    const auto path = UserDataRequestPath::parse(exchange.request().getURI(), false);
    if (path.file.empty())
        return ComfyAnswers::text(exchange, 400, "File not provided");
    if (!ComfyAnswers::acceptName(exchange, path.file))
        return;
    auto loaded = _library.load(exchange.principal(), path.file);
    if (!loaded)
        return ComfyAnswers::empty(exchange, 404);
    exchange.sendText(200, contentTypeFor(path.file), loaded->content);
}

void UserDataRoutes::write(HttpExchange& exchange)
{
    const auto path = UserDataRequestPath::parse(exchange.request().getURI(), true);
    if (path.file.empty())
        return ComfyAnswers::text(exchange, 400, "File not provided");
    if (!ComfyAnswers::acceptName(exchange, path.file))
        return;
    if (path.destination)
        return move(exchange, path.file, *path.destination);
    ComfyAnswers::guarded(exchange, [&] {
        const auto result =
            _library.save(exchange.principal(), path.file, exchange.body(), overwriteRequested(exchange));
        if (result == UserFileStore::WriteResult::AlreadyExists)
            return ComfyAnswers::text(exchange, 409, "File already exists");
        if (result == UserFileStore::WriteResult::NameConflict)
            return ComfyAnswers::nameConflict(exchange, path.file);
        if (!flag(exchange, "full_info"))
            return exchange.sendJson(200, path.file);
        exchange.sendJson(200, fileInfo(*_library.info(exchange.principal(), path.file)));
    });
}

void UserDataRoutes::remove(HttpExchange& exchange)
{
    const auto path = UserDataRequestPath::parse(exchange.request().getURI(), false);
    if (path.file.empty())
        return ComfyAnswers::text(exchange, 400, "File not provided");
    if (!ComfyAnswers::acceptName(exchange, path.file))
        return;
    ComfyAnswers::guarded(exchange, [&] {
        if (!_library.remove(exchange.principal(), path.file))
            return ComfyAnswers::empty(exchange, 404);
        exchange.sendText(204, "application/octet-stream", "");
    });
}

void UserDataRoutes::move(HttpExchange& exchange, const std::string& file, const std::string& destination)
{
    if (!ComfyAnswers::acceptName(exchange, destination))
        return;
    ComfyAnswers::guarded(exchange, [&] {
        switch (_library.move(exchange.principal(), file, destination, overwriteRequested(exchange))) {
        case UserFileStore::MoveResult::SourceMissing:
            return ComfyAnswers::empty(exchange, 404);
        case UserFileStore::MoveResult::DestinationExists:
            return ComfyAnswers::text(exchange, 409, "File already exists");
        case UserFileStore::MoveResult::NameConflict:
            return ComfyAnswers::nameConflict(exchange, destination);
        case UserFileStore::MoveResult::Moved:
            break;
        }
        if (!flag(exchange, "full_info"))
            return exchange.sendJson(200, destination);
        exchange.sendJson(200, fileInfo(*_library.info(exchange.principal(), destination)));
    });
}

} // namespace comfygate::userdata

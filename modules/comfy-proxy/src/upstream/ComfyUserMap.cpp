#include "ComfyUserMap.h"

#include "comfygate/HttpError.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <sstream>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {

std::string ComfyUserMap::comfyUserFor(const Principal& principal)
{
    std::lock_guard lock(_mutex);
    if (const auto cached = _cache.find(principal.userId); cached != _cache.end())
        return cached->second;
    std::vector<std::string> ids;
    {
        Poco::Data::Session session = _database.session();
        session << _database.translate("SELECT comfy_user_id FROM comfy_users WHERE user_id = ?"),
            bind(principal.userId), into(ids), now;
    }
    std::string id = ids.empty() ? std::string() : ids.front();
    if (id.empty()) {
        const std::string name = "cg-" + principal.userId;
        id = lookUpstreamByName(name);
        if (id.empty())
            id = createUpstream(name);
        const Poco::Int64 created =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        _database.write([&](Poco::Data::Session& session) {
            session << _database.translate("INSERT INTO comfy_users (user_id, comfy_user_id, created_at) "
                                           "VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING"),
                bind(principal.userId), bind(id), bind(created), now;
        });
        // Another instance may have won the insert: use what the table holds.
        ids.clear();
        Poco::Data::Session session = _database.session();
        session << _database.translate("SELECT comfy_user_id FROM comfy_users WHERE user_id = ?"),
            bind(principal.userId), into(ids), now;
        if (!ids.empty())
            id = ids.front();
    }
    _cache[principal.userId] = id;
    return id;
}

std::string ComfyUserMap::lookUpstreamByName(const std::string& name)
{
    const auto answer = _upstream.fetch("GET", "/users");
    if (answer.status != 200)
        return {};
    try {
        const auto body = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
        const auto users = body->getObject("users");
        if (!users)
            return {};
        for (const auto& [id, value] : *users) {
            if (value.isString() && value.convert<std::string>() == name)
                return id;
        }
    } catch (...) {
    }
    return {};
}

std::string ComfyUserMap::createUpstream(const std::string& name)
{
    Poco::JSON::Object request;
    request.set("username", name);
    std::ostringstream body;
    request.stringify(body);
    const auto answer = _upstream.fetch("POST", "/users", body.str());
    if (answer.status == 200) {
        try {
            // The answer is a bare JSON string; Poco's parser wants a container around it.
            const auto wrapped = Poco::JSON::Parser().parse("[" + answer.body + "]").extract<Poco::JSON::Array::Ptr>();
            const auto id = wrapped->size() == 1 ? wrapped->get(0) : Poco::Dynamic::Var();
            if (id.isString() && !id.convert<std::string>().empty())
                return id.convert<std::string>();
        } catch (...) {
        }
    }
    throw HttpError(502, "ComfyUI did not create a user for " + name + " (status " + std::to_string(answer.status) +
                             "): is it running with --multi-user?");
}

} // namespace comfygate::comfyproxy

#include "OutputFiles.h"

#include "comfygate/HttpError.h"

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <tuple>
#include <vector>

using namespace Poco::Data::Keywords;

namespace comfygate::comfyproxy {
namespace {

/// A prompt ComfyUI no longer has in its history (evicted after 10,000 items, or a restart)
/// is given up on after this long, so it is not asked about on every /view.
constexpr std::int64_t forgottenAfterSeconds = 24 * 3600;

const char* const insertFileSql = "INSERT INTO comfy_prompt_files (type, subfolder, filename, user_id, prompt_id)"
                                  " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

std::int64_t unixNow()
{
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Every {filename, subfolder, type} listed in a history item's outputs (images, gifs, video,
/// audio and whatever custom nodes report in the same shape).
std::vector<FileRef> filesOf(const Poco::JSON::Object::Ptr& outputs)
{
    std::vector<FileRef> files;
    if (!outputs)
        return files;
    for (const auto& [node, uiVar] : *outputs) {
        if (uiVar.type() != typeid(Poco::JSON::Object::Ptr))
            continue;
        for (const auto& [kind, listVar] : *uiVar.extract<Poco::JSON::Object::Ptr>()) {
            if (listVar.type() != typeid(Poco::JSON::Array::Ptr))
                continue;
            for (const auto& itemVar : *listVar.extract<Poco::JSON::Array::Ptr>()) {
                if (itemVar.type() != typeid(Poco::JSON::Object::Ptr))
                    continue;
                const auto item = itemVar.extract<Poco::JSON::Object::Ptr>();
                if (!item->has("filename"))
                    continue;
                try {
                    files.push_back(FileRef::fromView(item->getValue<std::string>("filename"),
                                                      item->optValue<std::string>("type", "output"),
                                                      item->optValue<std::string>("subfolder", "")));
                } catch (const FileRef::Invalid&) {
                    // a name the gateway would never serve anyway
                } catch (const Poco::Exception&) {
                }
            }
        }
    }
    return files;
}

} // namespace

bool OutputFiles::mayRead(const Principal& user, const FileRef& file)
{
    if (_scope.seesEveryone(user))
        return true;
    if (inOwnFolder(user, file))
        return true;
    if (file.type == "input" || user.userId.empty())
        return false;
    if (recorded(user.userId, file))
        return true;
    scanPrompts(user.userId);
    return recorded(user.userId, file);
}

bool OutputFiles::recorded(const std::string& userId, const FileRef& file)
{
    int count = 0;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT COUNT(*) FROM comfy_prompt_files"
                                   " WHERE type = ? AND subfolder = ? AND filename = ? AND user_id = ?"),
        bind(file.type), bind(file.subfolder), bind(file.filename), bind(userId), into(count), now;
    return count > 0;
}

void OutputFiles::record(const std::string& userId, const std::string& promptId, const FileRef& file)
{
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(insertFileSql), bind(file.type), bind(file.subfolder), bind(file.filename),
            bind(userId), bind(promptId), now;
    });
}

UpstreamHost* OutputFiles::recordedHostOf(const FileRef& file)
{
    const auto rows = _database.select(
        "SELECT p.upstream FROM comfy_prompt_files f JOIN comfy_prompts p ON p.prompt_id = f.prompt_id"
        " WHERE f.type = ? AND f.subfolder = ? AND f.filename = ? LIMIT 1",
        {file.type, file.subfolder, file.filename});
    return rows.empty() ? nullptr : &_hosts.hostFor(rows.front()[0].convert<std::string>());
}

UpstreamHost* OutputFiles::hostOf(const std::string& userId, const FileRef& file)
{
    if (auto* host = recordedHostOf(file))
        return host;
    if (userId.empty())
        return nullptr;
    scanPrompts(userId);
    return recordedHostOf(file);
}

void OutputFiles::scanPrompts(const std::string& userId)
{
    std::lock_guard lock(_scanMutex);
    std::vector<std::string> ids;
    std::vector<Poco::Int64> created;
    std::vector<std::string> upstreams;
    {
        Poco::Data::Session session = _database.session();
        session << _database.translate(
            "SELECT p.prompt_id, p.created_at, p.upstream FROM comfy_prompts p WHERE p.user_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM comfy_scanned_prompts s WHERE s.prompt_id = p.prompt_id)"),
            bind(userId), into(ids), into(created), into(upstreams), now;
    }
    const std::int64_t nowSeconds = unixNow();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        UpstreamHost& host = _hosts.hostFor(upstreams[i]);
        if (_hosts.several() && !host.usable())
            continue; // asked again when it is back
        UpstreamClient::Answer answer;
        try {
            answer = host.client().fetch("GET", "/history/" + ids[i]);
        } catch (const HttpError&) {
            if (!_hosts.several())
                throw;
            continue;
        }
        if (answer.status != 200)
            continue;
        Poco::JSON::Object::Ptr entry;
        try {
            entry = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>()->getObject(ids[i]);
        } catch (...) {
            continue;
        }
        // Only a finished prompt has its final outputs; a queued or running one is asked again later.
        const bool finished = entry && entry->getObject("status") && entry->getObject("status")->has("status_str");
        const bool forgotten = !entry && nowSeconds - created[i] > forgottenAfterSeconds;
        if (!finished && !forgotten)
            continue;
        const auto files = finished ? filesOf(entry->getObject("outputs")) : std::vector<FileRef>{};
        _database.write([&](Poco::Data::Session& session) {
            for (const auto& file : files) {
                session << _database.translate(insertFileSql), bind(file.type), bind(file.subfolder),
                    bind(file.filename), bind(userId), bind(ids[i]), now;
            }
            session << _database.translate("INSERT INTO comfy_scanned_prompts (prompt_id, scanned_at) VALUES (?, ?)"
                                           " ON CONFLICT DO NOTHING"),
                bind(ids[i]), bind(static_cast<Poco::Int64>(nowSeconds)), now;
        });
    }
}

} // namespace comfygate::comfyproxy

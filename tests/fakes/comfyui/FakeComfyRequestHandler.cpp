#include "FakeComfyRequestHandler.h"

#include "FakeComfyUI.h"
#include "JobList.h"
#include "PosixPath.h"
#include "PromptValidator.h"
#include "PythonFormat.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::vector<std::string> splitPath(const std::string& path)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        parts.push_back(path.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return parts;
}

bool matchPattern(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params)
{
    const auto want = splitPath(pattern);
    const auto have = splitPath(path);
    const bool takesRest = pattern.size() > 4 && pattern.compare(pattern.size() - 4, 4, "...}") == 0;
    if (takesRest ? have.size() < want.size() : want.size() != have.size())
        return false;
    std::map<std::string, std::string> found;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i].size() > 5 && want[i].compare(want[i].size() - 4, 4, "...}") == 0) {
            // aiohttp's {name:.*}: the rest of the path, slashes included.
            std::string tail, decoded;
            for (std::size_t j = i; j < have.size(); ++j)
                tail += (j == i ? "" : "/") + have[j];
            if (tail.empty())
                return false;
            Poco::URI::decode(tail, decoded);
            found[want[i].substr(1, want[i].size() - 5)] = decoded;
            params = std::move(found);
            return true;
        }
        if (want[i].size() > 2 && want[i].front() == '{') {
            if (have[i].empty()) return false;
            std::string decoded;
            Poco::URI::decode(have[i], decoded);
            found[want[i].substr(1, want[i].size() - 2)] = decoded;
        } else if (want[i] != have[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string contentTypeFor(const std::string& filename)
{
    std::string extension = fs::path(filename).extension().string();
    extension = Poco::toLower(extension);
    static const std::map<std::string, std::string> types = {
        {".png", "image/png"},       {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},     {".webp", "image/webp"},
        {".gif", "image/gif"},       {".bmp", "image/bmp"},   {".svg", "image/svg+xml"},   {".mp4", "video/mp4"},
        {".webm", "video/webm"},     {".mov", "video/quicktime"}, {".wav", "audio/x-wav"}, {".mp3", "audio/mpeg"},
        {".flac", "audio/flac"},     {".ogg", "audio/ogg"},   {".json", "application/json"}, {".txt", "text/plain"},
        {".latent", "application/octet-stream"}};
    auto it = types.find(extension);
    return it == types.end() ? "application/octet-stream" : it->second;
}

/// folder_paths.annotated_filepath: a " [output]" / " [input]" / " [temp]" suffix picks the type.
std::pair<std::string, std::string> annotated(const std::string& name)
{
    for (const std::string& type : {std::string("output"), std::string("input"), std::string("temp")}) {
        const std::string suffix = "[" + type + "]";
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            const std::size_t cut = std::min(name.size(), suffix.size() + 1);
            return {name.substr(0, name.size() - cut), type};
        }
    }
    return {name, ""};
}

bool parsePythonInt(const std::string& text, long long& value)
{
    std::string digits;
    const auto first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) return false;
    const auto last = text.find_last_not_of(" \t\n\r\f\v");
    for (char c : text.substr(first, last - first + 1))
        if (c != '_') digits += c;
    char* end = nullptr;
    errno = 0;
    value = std::strtoll(digits.c_str(), &end, 10);
    return !digits.empty() && *end == '\0' && errno == 0;
}

struct BadRequestBody : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

/// Keeps the file parts of a multipart body: field name → (filename, content).
class UploadedFiles : public Poco::Net::PartHandler
{
public:
    struct File
    {
        std::string filename;
        std::string content;
    };
    void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override
    {
        std::string disposition;
        Poco::Net::NameValueCollection params;
        Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition, params);
        File file;
        file.filename = params.get("filename", "");
        Poco::StreamCopier::copyToString(stream, file.content);
        files.emplace(params.get("name", ""), std::move(file));
    }
    std::map<std::string, File> files;
};

} // namespace

bool FakeComfyRequestHandler::Exchange::hasQuery(const std::string& name) const
{
    return std::any_of(query.begin(), query.end(), [&](const auto& entry) { return entry.first == name; });
}

std::string FakeComfyRequestHandler::Exchange::queryValue(const std::string& name, const std::string& fallback) const
{
    for (const auto& [key, value] : query)
        if (key == name) return value;
    return fallback;
}

const std::vector<FakeComfyRequestHandler::RouteSpec>& FakeComfyRequestHandler::routes()
{
    using H = FakeComfyRequestHandler;
    static const std::vector<RouteSpec> table = {
        {"GET", "/ws", false, &H::getWebSocket},
        {"GET", "/embeddings", false, &H::getEmbeddings},
        {"GET", "/models", false, &H::getModelTypes},
        {"GET", "/models/{folder}", false, &H::getModels},
        {"GET", "/extensions", false, &H::getExtensions},
        {"POST", "/upload/image", false, &H::postUploadImage},
        {"POST", "/upload/mask", false, &H::postUploadMask},
        {"GET", "/view", false, &H::getView},
        {"GET", "/system_stats", false, &H::getSystemStats},
        {"GET", "/features", false, &H::getFeatures},
        {"GET", "/prompt", false, &H::getPrompt},
        {"POST", "/prompt", false, &H::postPrompt},
        {"GET", "/object_info", false, &H::getObjectInfo},
        {"GET", "/object_info/{node_class}", false, &H::getObjectInfoClass},
        {"GET", "/api/jobs", false, &H::getJobs},
        {"GET", "/api/jobs/{job_id}", false, &H::getJob},
        {"GET", "/history", false, &H::getHistory},
        {"GET", "/history/{prompt_id}", false, &H::getHistoryItem},
        {"GET", "/queue", false, &H::getQueue},
        {"POST", "/queue", false, &H::postQueue},
        {"POST", "/interrupt", false, &H::postInterrupt},
        {"POST", "/free", false, &H::postFree},
        {"POST", "/history", false, &H::postHistory},
        {"GET", "/users", false, &H::getUsers},
        {"POST", "/users", false, &H::postUsers},
        {"GET", "/userdata", false, &H::getUserdataList},
        {"GET", "/userdata/{file}", false, &H::getUserdataFile},
        {"POST", "/userdata/{file}", false, &H::postUserdataFile},
        {"DELETE", "/userdata/{file}", false, &H::deleteUserdataFile},
        {"POST", "/userdata/{file}/move/{dest}", false, &H::postUserdataMove},
        {"GET", "/v2/userdata", false, &H::getUserdataV2},
        {"GET", "/settings", false, &H::getSettings},
        {"GET", "/settings/{id}", false, &H::getSetting},
        {"POST", "/settings", false, &H::postSettings},
        {"POST", "/settings/{id}", false, &H::postSetting},
        {"GET", "/view_metadata/{folder_name}", false, &H::getViewMetadata},
        {"GET", "/experiment/models", false, &H::getExperimentModels},
        {"GET", "/experiment/models/{folder}", false, &H::getExperimentModelFolder},
        {"GET", "/experiment/models/preview/{folder}/{path_index}/{filename...}", false, &H::getExperimentModelPreview},
        {"GET", "/workflow_templates", false, &H::getWorkflowTemplates},
        {"GET", "/i18n", false, &H::getI18n},
        {"GET", "/global_subgraphs", false, &H::getGlobalSubgraphs},
        {"GET", "/global_subgraphs/{id}", false, &H::getGlobalSubgraph},
        {"GET", "/manager/queue/status", false, &H::getManagerQueueStatus},
        {"POST", "/manager/queue/install", false, &H::postManagerQueueInstall},
        {"GET", "/internal/logs", true, &H::getInternalLogs},
        {"GET", "/internal/logs/raw", true, &H::getInternalLogsRaw},
        {"PATCH", "/internal/logs/subscribe", true, &H::patchInternalLogsSubscribe},
        {"GET", "/internal/folder_paths", true, &H::getInternalFolderPaths},
        {"GET", "/internal/files/{directory_type}", true, &H::getInternalFiles},
    };
    return table;
}

void FakeComfyRequestHandler::handleRequest(HTTPServerRequest& request, HTTPServerResponse& response)
{
    const std::size_t active = ++_server._active;
    std::size_t seen = _server._maxConcurrent;
    while (active > seen && !_server._maxConcurrent.compare_exchange_weak(seen, active)) {
    }
    struct Leave
    {
        std::atomic<std::size_t>& counter;
        ~Leave() { --counter; }
    } leave{_server._active};

    RecordedRequest record;
    record.method = request.getMethod();
    record.uri = request.getURI();
    for (const auto& [name, value] : request) record.headers.emplace_back(name, value);

    Exchange exchange{request, response, {}, {}, {}};
    const std::uint64_t maxBody = _server._maxBodyBytes;
    const bool hasBody = request.getChunkedTransferEncoding() || request.hasContentLength();
    bool tooLarge = false;
    if (hasBody && request.hasContentLength() && static_cast<std::uint64_t>(request.getContentLength64()) > maxBody) {
        tooLarge = true;
        record.bodySize = static_cast<std::uint64_t>(request.getContentLength64());
    } else if (hasBody) {
        std::istream& in = request.stream();
        char buffer[65536];
        while (in) {
            in.read(buffer, sizeof buffer);
            exchange.body.append(buffer, static_cast<std::size_t>(in.gcount()));
            if (exchange.body.size() > maxBody) {
                tooLarge = true;
                break;
            }
        }
        record.bodySize = exchange.body.size();
    }
    record.body = exchange.body.substr(0, 1 << 20);
    if (const std::string& uri = request.getURI(); uri.rfind("/__fake/", 0) == 0) {
        try {
            handleTestHook(exchange, uri.substr(0, uri.find('?')));
        } catch (const std::exception&) {
            if (!response.sent()) sendText(exchange, 500, "500 Internal Server Error");
        }
        return;
    }
    _server.record(std::move(record));

    if (const long long delay = _server._delayMs; delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));

    try {
        if (_server._failing) return sendText(exchange, 500, "500 Internal Server Error");
        if (_server._originGuard && originRejected(request)) return sendEmpty(exchange, 403);
        if (request.getMethod() == "OPTIONS") return sendEmpty(exchange);
        if (tooLarge) {
            response.setKeepAlive(false);
            return sendText(exchange, 413, "Maximum request body size " + std::to_string(maxBody) +
                                               " exceeded, actual body size " + std::to_string(exchange.body.size()));
        }

        if (_server._frontend.serve(request, response)) return;
        const std::string& uri = request.getURI();
        const auto question = uri.find('?');
        const std::string rawPath = uri.substr(0, question);
        if (question != std::string::npos) {
            Poco::URI parsed("/?" + uri.substr(question + 1));
            for (const auto& entry : parsed.getQueryParameters()) exchange.query.push_back(entry);
        }

        std::vector<std::pair<std::string, bool>> candidates{{rawPath, true}};
        if (rawPath.rfind("/api/", 0) == 0) candidates.emplace_back(rawPath.substr(4), false);
        std::vector<std::string> allowed;
        for (const auto& spec : routes()) {
            for (const auto& [path, bare] : candidates) {
                if (spec.internal && !bare) continue;
                std::map<std::string, std::string> params;
                if (!matchPattern(spec.pattern, path, params)) continue;
                const std::string& method = request.getMethod();
                if (method == spec.method || (method == "HEAD" && std::string(spec.method) == "GET")) {
                    exchange.params = std::move(params);
                    (this->*spec.route)(exchange);
                    return;
                }
                allowed.push_back(spec.method);
            }
        }
        if (!allowed.empty()) {
            std::string allow;
            for (const auto& method : allowed) allow += (allow.empty() ? "" : ",") + method;
            response.set("Allow", allow);
            return sendText(exchange, 405, "405: Method Not Allowed");
        }
        sendText(exchange, 404, "404: Not Found");
    } catch (const std::exception& ex) {
        _server.log(std::string("Error handling request: ") + ex.what());
        if (!response.sent()) sendText(exchange, 500, "500 Internal Server Error");
    }
}

bool FakeComfyRequestHandler::originRejected(const HTTPServerRequest& request) const
{
    if (!request.has("Host") || !request.has("Origin")) return false;
    // urlsplit-like: host name lower-cased, brackets of IPv6 literals removed, port if given.
    auto split = [](std::string authority, std::string& name, unsigned& port) {
        const auto at = authority.rfind('@');
        if (at != std::string::npos) authority = authority.substr(at + 1);
        port = 0;
        std::string rest;
        if (!authority.empty() && authority.front() == '[') {
            const auto close = authority.find(']');
            if (close == std::string::npos) return;
            name = authority.substr(1, close - 1);
            rest = authority.substr(close + 1);
        } else {
            const auto colon = authority.find(':');
            name = authority.substr(0, colon);
            if (colon != std::string::npos) rest = authority.substr(colon);
        }
        if (rest.size() > 1 && rest.front() == ':') port = static_cast<unsigned>(std::strtoul(rest.c_str() + 1, nullptr, 10));
        name = Poco::toLower(name);
    };
    std::string hostName, originName;
    unsigned hostPort = 0, originPort = 0;
    split(request.get("Host"), hostName, hostPort);
    std::string origin = request.get("Origin");
    const auto scheme = origin.find("://");
    if (scheme == std::string::npos) return false;
    origin = origin.substr(scheme + 3);
    origin = origin.substr(0, origin.find_first_of("/?#"));
    split(origin, originName, originPort);
    if (hostName.empty() || originName.empty()) return false;
    bool loopback = hostName == "localhost" || (hostName.size() > 10 && hostName.ends_with(".localhost"));
    Poco::Net::IPAddress address;
    if (!loopback && Poco::Net::IPAddress::tryParse(hostName, address)) loopback = address.isLoopback();
    if (!loopback) return false;
    if (hostName != originName) return true;
    return hostPort && originPort && hostPort != originPort;
}

void FakeComfyRequestHandler::handleTestHook(Exchange& exchange, const std::string& path)
{
    const std::string& method = exchange.request.getMethod();
    if (method == "GET" && path == "/__fake/requests") {
        Array::Ptr out = new Array;
        for (const auto& recorded : _server.requests()) {
            Object::Ptr entry = ordered();
            entry->set("method", recorded.method);
            entry->set("uri", recorded.uri);
            Array::Ptr headers = new Array;
            for (const auto& [name, value] : recorded.headers) {
                Array::Ptr pair = new Array;
                pair->add(name);
                pair->add(value);
                headers->add(pair);
            }
            entry->set("headers", headers);
            entry->set("body_size", recorded.bodySize);
            entry->set("body", recorded.body);
            out->add(entry);
        }
        return sendJson(exchange, out);
    }
    if (method == "GET" && path == "/__fake/sockets") {
        Array::Ptr sids = new Array;
        for (const auto& sid : _server.webSocketSids()) sids->add(sid);
        Object::Ptr out = ordered();
        out->set("open", _server.openWebSockets());
        out->set("sids", sids);
        out->set("max_concurrent_requests", _server.maxConcurrentRequests());
        out->set("free_calls", _server.freeCalls());
        return sendJson(exchange, out);
    }
    if (method == "POST" && path == "/__fake/reset") {
        _server.clearRequests();
        _server._queue.clearPending();
        _server._queue.interrupt(std::nullopt);
        _server._queue.clearHistory();
        _server.setDelay(std::chrono::milliseconds(0));
        _server.setFailing(false);
        _server.setOriginGuard(true);
        _server.setExecutionTime(std::chrono::milliseconds(200));
        _server.setPreviewFrames(2);
        _server.setLeakApiKeysInQueue(false);
        _server.setFailingNodeClass("");
        _server.setTextBroadcast(false);
        _server.setCustomBroadcast(false);
        return sendEmpty(exchange);
    }
    if (method == "POST" && path == "/__fake/config") {
        Object::Ptr config = bodyJson(exchange).extract<Object::Ptr>();
        using std::chrono::milliseconds;
        if (config->has("delay_ms")) _server.setDelay(milliseconds(config->getValue<long long>("delay_ms")));
        if (config->has("failing")) _server.setFailing(config->getValue<bool>("failing"));
        if (config->has("origin_guard")) _server.setOriginGuard(config->getValue<bool>("origin_guard"));
        if (config->has("execution_ms")) _server.setExecutionTime(milliseconds(config->getValue<long long>("execution_ms")));
        if (config->has("preview_frames")) _server.setPreviewFrames(config->getValue<int>("preview_frames"));
        if (config->has("leak_api_keys")) _server.setLeakApiKeysInQueue(config->getValue<bool>("leak_api_keys"));
        if (config->has("failing_node_class")) _server.setFailingNodeClass(config->getValue<std::string>("failing_node_class"));
        if (config->has("text_broadcast")) _server.setTextBroadcast(config->getValue<bool>("text_broadcast"));
        if (config->has("custom_broadcast")) _server.setCustomBroadcast(config->getValue<bool>("custom_broadcast"));
        if (config->has("max_body_bytes")) _server.setMaxBodyBytes(config->getValue<Poco::UInt64>("max_body_bytes"));
        return sendEmpty(exchange);
    }
    sendText(exchange, 404, "404: Not Found");
}

void FakeComfyRequestHandler::sendJson(Exchange& exchange, const Var& value, int status)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    const std::string body = out.str();
    exchange.response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    exchange.response.setContentType("application/json; charset=utf-8");
    exchange.response.setContentLength64(body.size());
    exchange.response.send() << body;
}

void FakeComfyRequestHandler::sendText(Exchange& exchange, int status, const std::string& text)
{
    exchange.response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    exchange.response.setContentType("text/plain; charset=utf-8");
    exchange.response.setContentLength64(text.size());
    exchange.response.send() << text;
}

void FakeComfyRequestHandler::sendEmpty(Exchange& exchange, int status)
{
    exchange.response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
    exchange.response.setContentType("application/octet-stream");
    exchange.response.setContentLength64(0);
    exchange.response.send();
}

Var FakeComfyRequestHandler::bodyJson(const Exchange& exchange) const
{
    // Poco's handler cannot hold a top-level scalar ("dark"), so parse the body as a one-element array.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    Array::Ptr wrapped = parser.parse("[" + exchange.body + "\n]").extract<Array::Ptr>();
    if (wrapped->size() != 1) throw Poco::JSON::JSONException("Expecting value");
    return wrapped->get(0);
}

// ---- WebSocket ----

void FakeComfyRequestHandler::getWebSocket(Exchange& exchange)
{
    if (Poco::icompare(exchange.request.get("Upgrade", ""), "websocket") != 0)
        return sendText(exchange, 400, "No WebSocket UPGRADE hdr: " + exchange.request.get("Upgrade", "None") +
                                           "\n Can \"Upgrade\" only to \"WebSocket\".");
    std::string sid = exchange.queryValue("clientId");
    if (sid.empty()) {
        sid = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
        sid.erase(std::remove(sid.begin(), sid.end(), '-'), sid.end());
    }
    std::optional<Poco::Net::WebSocket> upgraded;
    try {
        upgraded.emplace(exchange.request, exchange.response);
    } catch (const Poco::Net::WebSocketException& ex) {
        if (!exchange.response.sent()) sendText(exchange, 400, ex.message());
        return;
    }
    Poco::Net::WebSocket socket = *upgraded;

    Object::Ptr execInfo = ordered();
    execInfo->set("queue_remaining", _server._queue.queueRemaining());
    Object::Ptr status = ordered();
    status->set("exec_info", execInfo);
    Object::Ptr data = ordered();
    data->set("status", status);
    data->set("sid", sid);
    Object first(Poco::JSON_PRESERVE_KEY_ORDER);
    first.set("type", "status");
    first.set("data", data);
    std::vector<std::string> frames;
    std::ostringstream out;
    first.stringify(out);
    frames.push_back(out.str());
    if (const std::string node = _server._queue.executingNodeFor(sid); !node.empty())
        frames.push_back(R"({"type":"executing","data":{"node":")" + node + "\"}}");
    _server._hub.attach(std::move(socket), sid, frames);
}

// ---- read-only globals ----

void FakeComfyRequestHandler::getEmbeddings(Exchange& exchange)
{
    Array::Ptr names = new Array;
    for (const auto& file : _server._models.list("embeddings")) names->add(fs::path(file).replace_extension().string());
    sendJson(exchange, names);
}

void FakeComfyRequestHandler::getModelTypes(Exchange& exchange)
{
    Array::Ptr keys = new Array;
    for (const auto& key : _server._models.keys()) keys->add(key);
    sendJson(exchange, keys);
}

void FakeComfyRequestHandler::getModels(Exchange& exchange)
{
    const auto keys = _server._models.keys();
    const std::string folder = exchange.params["folder"];
    if (std::find(keys.begin(), keys.end(), folder) == keys.end()) return sendEmpty(exchange, 404);
    Array::Ptr files = new Array;
    for (const auto& file : _server._models.list(folder)) files->add(file);
    sendJson(exchange, files);
}

void FakeComfyRequestHandler::getExtensions(Exchange& exchange)
{
    Array::Ptr files = new Array;
    for (const char* path : {"/extensions/core/clipspace.js", "/extensions/core/groupNode.js",
                             "/extensions/core/maskeditor.js", "/extensions/core/uploadImage.js"})
        files->add(std::string(path));
    sendJson(exchange, files);
}

void FakeComfyRequestHandler::getSystemStats(Exchange& exchange)
{
    Array::Ptr argv = new Array;
    for (const auto& arg : {std::string("main.py"), std::string("--listen"), std::string("127.0.0.1"),
                                  std::string("--port"), std::to_string(_server._port), std::string("--multi-user"),
                                  std::string("--base-directory"), _server._rootDir}) {
        if (arg != "--multi-user" || _server._multiUserArgument)
            argv->add(arg);
    }
    Object::Ptr system = ordered();
    system->set("os", "posix");
    system->set("ram_total", Poco::UInt64(68719476736ULL));
    system->set("ram_free", Poco::UInt64(34359738368ULL));
    system->set("comfyui_version", "0.8.0");
    system->set("required_frontend_version", "1.36.13");
    system->set("installed_templates_version", "0.7.65");
    system->set("required_templates_version", "0.7.65");
    system->set("python_version", "3.12.3 (main, Nov  6 2025, 13:44:16) [GCC 13.3.0]");
    system->set("pytorch_version", "2.9.1+cu128");
    system->set("embedded_python", false);
    system->set("argv", argv);
    Object::Ptr device = ordered();
    device->set("name", "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync");
    device->set("type", "cuda");
    device->set("index", 0);
    device->set("vram_total", Poco::UInt64(25386352640ULL));
    device->set("vram_free", Poco::UInt64(24006856704ULL));
    device->set("torch_vram_total", 0);
    device->set("torch_vram_free", 0);
    Array::Ptr devices = new Array;
    devices->add(device);
    Object::Ptr stats = ordered();
    stats->set("system", system);
    stats->set("devices", devices);
    sendJson(exchange, stats);
}

void FakeComfyRequestHandler::getFeatures(Exchange& exchange)
{
    sendJson(exchange, _server.features());
}

void FakeComfyRequestHandler::getObjectInfo(Exchange& exchange)
{
    sendJson(exchange, _server._catalog.objectInfo());
}

void FakeComfyRequestHandler::getObjectInfoClass(Exchange& exchange)
{
    Object::Ptr out = ordered();
    const std::string name = exchange.params["node_class"];
    if (Object::Ptr info = _server._catalog.nodeInfo(name)) out->set(name, info);
    sendJson(exchange, out);
}

// ---- prompt, queue, history ----

void FakeComfyRequestHandler::getPrompt(Exchange& exchange)
{
    Object::Ptr execInfo = ordered();
    execInfo->set("queue_remaining", _server._queue.queueRemaining());
    Object::Ptr out = ordered();
    out->set("exec_info", execInfo);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::postPrompt(Exchange& exchange)
{
    const Var parsed = bodyJson(exchange);
    Object::Ptr body = parsed.type() == typeid(Object::Ptr) ? parsed.extract<Object::Ptr>() : Object::Ptr(ordered());

    Var number;
    if (body->has("number")) {
        const Var given = body->get("number");
        if (given.isString()) {
            char* end = nullptr;
            const std::string text = given.extract<std::string>();
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || *end) throw std::invalid_argument("could not convert string to float");
            number = value;
        } else {
            number = given.convert<double>();
        }
    } else {
        bool front = false;
        if (body->has("front")) {
            const Var flag = body->get("front");
            front = !flag.isEmpty() && (flag.type() == typeid(bool) ? flag.extract<bool>() : flag.convert<double>() != 0);
        }
        number = _server._queue.takeNumber(front);
    }

    if (!body->has("prompt")) {
        Object::Ptr out = ordered();
        out->set("error", PromptValidator::makeError("no_prompt", "No prompt provided", "No prompt provided"));
        out->set("node_errors", ordered());
        return sendJson(exchange, out, 400);
    }
    const Var promptValue = body->get("prompt");
    if (promptValue.type() != typeid(Object::Ptr)) throw std::invalid_argument("prompt is not an object");
    Object::Ptr prompt = promptValue.extract<Object::Ptr>();
    std::string promptId;
    if (body->has("prompt_id")) {
        promptId = PythonFormat::str(body->get("prompt_id"));
    } else {
        promptId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    }
    Array::Ptr targets;
    if (body->has("partial_execution_targets") && body->get("partial_execution_targets").type() == typeid(Array::Ptr))
        targets = body->getArray("partial_execution_targets");

    PromptValidator validator(_server._catalog);
    PromptValidator::Result result = validator.validate(prompt, targets);

    Object::Ptr extraData = ordered();
    if (body->has("extra_data")) {
        Object::Ptr given = body->getObject("extra_data");
        if (!given) throw std::invalid_argument("extra_data is not an object");
        for (const auto& key : given->getNames()) extraData->set(key, given->get(key));
    }
    if (body->has("client_id")) extraData->set("client_id", body->get("client_id"));

    if (!result.valid) {
        std::ostringstream error;
        result.error->stringify(error);
        _server.log("invalid prompt: " + error.str());
        Object::Ptr out = ordered();
        out->set("error", result.error);
        out->set("node_errors", result.nodeErrors);
        return sendJson(exchange, out, 400);
    }

    Object::Ptr sensitive = ordered();
    for (const char* key : {"api_key_comfy_org", "auth_token_comfy_org"}) {
        if (!extraData->has(key)) continue;
        sensitive->set(key, extraData->get(key));
        extraData->remove(key);
    }
    extraData->set("create_time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
    Array::Ptr outputs = new Array;
    for (const auto& output : result.outputs) outputs->add(output);
    _server._queue.put({number, promptId, prompt, extraData, outputs, sensitive});

    Object::Ptr out = ordered();
    out->set("prompt_id", promptId);
    out->set("number", number);
    out->set("node_errors", result.nodeErrors);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getQueue(Exchange& exchange)
{
    sendJson(exchange, _server._queue.queueJson(_server._leakApiKeys));
}

void FakeComfyRequestHandler::postQueue(Exchange& exchange)
{
    const Var parsed = bodyJson(exchange);
    Object::Ptr body = parsed.type() == typeid(Object::Ptr) ? parsed.extract<Object::Ptr>() : Object::Ptr(ordered());
    if (body->has("clear") && body->optValue<bool>("clear", false)) _server._queue.clearPending();
    if (Array::Ptr ids = body->getArray("delete"))
        for (std::size_t i = 0; i < ids->size(); ++i)
            if (ids->get(i).isString()) _server._queue.deletePending(ids->getElement<std::string>(i));
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::postInterrupt(Exchange& exchange)
{
    std::optional<std::string> promptId;
    try {
        const Var parsed = bodyJson(exchange);
        if (parsed.type() == typeid(Object::Ptr)) {
            Object::Ptr body = parsed.extract<Object::Ptr>();
            if (body->has("prompt_id") && !body->get("prompt_id").isEmpty()) {
                const std::string id = PythonFormat::str(body->get("prompt_id"));
                if (!id.empty()) promptId = id;
            }
        }
    } catch (const Poco::Exception&) {
    }
    _server._queue.interrupt(promptId);
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::postFree(Exchange& exchange)
{
    bodyJson(exchange);
    ++_server._freeCalls;
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::getHistory(Exchange& exchange)
{
    std::optional<long long> maxItems;
    long long offset = -1;
    long long value = 0;
    if (exchange.hasQuery("max_items")) {
        if (!parsePythonInt(exchange.queryValue("max_items"), value)) throw std::invalid_argument("max_items");
        maxItems = value;
    }
    if (exchange.hasQuery("offset")) {
        if (!parsePythonInt(exchange.queryValue("offset"), value)) throw std::invalid_argument("offset");
        offset = value;
    }
    sendJson(exchange, _server._queue.historyJson(maxItems, offset));
}

void FakeComfyRequestHandler::getHistoryItem(Exchange& exchange)
{
    sendJson(exchange, _server._queue.historyItemJson(exchange.params["prompt_id"]));
}

void FakeComfyRequestHandler::postHistory(Exchange& exchange)
{
    const Var parsed = bodyJson(exchange);
    Object::Ptr body = parsed.type() == typeid(Object::Ptr) ? parsed.extract<Object::Ptr>() : Object::Ptr(ordered());
    if (body->has("clear") && body->optValue<bool>("clear", false)) _server._queue.clearHistory();
    if (Array::Ptr ids = body->getArray("delete"))
        for (std::size_t i = 0; i < ids->size(); ++i)
            if (ids->get(i).isString()) _server._queue.deleteHistory(ids->getElement<std::string>(i));
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::getJobs(Exchange& exchange)
{
    JobList jobs(_server._queue.snapshot());
    std::map<std::string, std::string> query;
    for (const auto& [key, value] : exchange.query) query.emplace(key, value);
    std::string error;
    Object::Ptr out = jobs.list(query, error);
    if (!out) {
        Object::Ptr body = ordered();
        body->set("error", error);
        return sendJson(exchange, body, 400);
    }
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getJob(Exchange& exchange)
{
    JobList jobs(_server._queue.snapshot());
    Object::Ptr job = jobs.detail(exchange.params["job_id"]);
    if (!job) {
        Object::Ptr body = ordered();
        body->set("error", "Job not found");
        return sendJson(exchange, body, 404);
    }
    sendJson(exchange, job);
}

// ---- uploads and files ----

void FakeComfyRequestHandler::postUploadImage(Exchange& exchange)
{
    upload(exchange, false);
}

void FakeComfyRequestHandler::postUploadMask(Exchange& exchange)
{
    upload(exchange, true);
}

void FakeComfyRequestHandler::upload(Exchange& exchange, bool mask)
{
    std::istringstream body(exchange.body);
    UploadedFiles parts;
    Poco::Net::HTMLForm form;
    form.setFieldLimit(1000);
    form.load(exchange.request, body, parts);

    std::string type = form.has("type") ? form.get("type") : "input";
    std::string baseDir;
    if (type == "input") baseDir = _server.inputDir();
    else if (type == "temp") baseDir = _server.tempDir();
    else if (type == "output") baseDir = _server.outputDir();
    else throw std::invalid_argument("local variable 'type_dir' referenced before assignment");

    auto image = parts.files.find("image");
    if (image == parts.files.end()) {
        if (form.has("image")) throw std::invalid_argument("'str' object has no attribute 'file'");
        return sendEmpty(exchange, 400);
    }
    std::string filename = image->second.filename;
    if (filename.empty()) return sendEmpty(exchange, 400);
    const std::string subfolder = form.get("subfolder", "");
    const std::string folder = PosixPath::normalise(PosixPath::join(baseDir, PosixPath::normalise(subfolder)));
    std::string path = PosixPath::normalise(PosixPath::join(folder, filename));
    if (!PosixPath::inside(baseDir, path)) return sendEmpty(exchange, 400);
    fs::create_directories(folder);

    const std::string overwrite = form.get("overwrite", "");
    bool duplicate = false;
    {
        std::lock_guard lock(_server._mutex);
        if (overwrite != "true" && overwrite != "1") {
            const fs::path original(filename);
            const std::string stem = original.stem().string();
            const std::string extension = original.extension().string();
            for (int i = 1; fs::exists(path); ++i) {
                if (readFile(path) == image->second.content) {
                    duplicate = true;
                    break;
                }
                filename = stem + " (" + std::to_string(i) + ")" + extension;
                path = PosixPath::join(folder, filename);
            }
        }
        if (!duplicate && !mask) {
            std::ofstream(path, std::ios::binary | std::ios::trunc) << image->second.content;
        } else if (!duplicate) {
            Poco::JSON::Parser parser;
            Object::Ptr ref = parser.parse(form.get("original_ref")).extract<Object::Ptr>();
            auto [name, annotatedType] = annotated(ref->getValue<std::string>("filename"));
            bool ok = !name.empty() && name.front() != '/' && name.find("..") == std::string::npos;
            std::string dir;
            const std::string refType = annotatedType.empty() ? ref->optValue<std::string>("type", "output") : annotatedType;
            if (refType == "output") dir = _server.outputDir();
            else if (refType == "input") dir = _server.inputDir();
            else if (refType == "temp") dir = _server.tempDir();
            ok = ok && !dir.empty();
            const std::string refSubfolder = ref->optValue<std::string>("subfolder", "");
            if (ok && !refSubfolder.empty()) {
                const std::string full = PosixPath::normalise(PosixPath::join(dir, refSubfolder));
                ok = PosixPath::inside(dir, full);
                dir = full;
            }
            // Guard failures here are silently ignored upstream: nothing is saved.
            if (ok && fs::is_regular_file(PosixPath::join(dir, name)))
                fs::copy_file(PosixPath::join(dir, name), path, fs::copy_options::overwrite_existing);
        }
    }
    Object::Ptr out = ordered();
    out->set("name", filename);
    out->set("subfolder", subfolder);
    out->set("type", type);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getView(Exchange& exchange)
{
    if (!exchange.hasQuery("filename")) return sendEmpty(exchange, 404);
    auto [filename, annotatedType] = annotated(exchange.queryValue("filename"));
    if (filename.empty()) return sendEmpty(exchange, 400);
    if (filename.front() == '/' || filename.find("..") != std::string::npos) return sendEmpty(exchange, 400);
    const std::string type = annotatedType.empty() ? exchange.queryValue("type", "output") : annotatedType;
    std::string dir;
    if (type == "output") dir = _server.outputDir();
    else if (type == "input") dir = _server.inputDir();
    else if (type == "temp") dir = _server.tempDir();
    else return sendEmpty(exchange, 400);
    if (exchange.hasQuery("subfolder")) {
        const std::string full = PosixPath::join(dir, exchange.queryValue("subfolder"));
        if (!PosixPath::inside(dir, PosixPath::normalise(full))) return sendEmpty(exchange, 403);
        dir = full;
    }
    const auto slash = filename.rfind('/');
    const std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
    const std::string path = PosixPath::join(dir, base);
    std::error_code ec;
    if (base.empty() || !fs::is_regular_file(path, ec)) return sendEmpty(exchange, 404);

    const std::uint64_t size = fs::file_size(path, ec);
    std::ifstream file(path, std::ios::binary);
    exchange.response.setContentType(contentTypeFor(base));
    exchange.response.set("Content-Disposition", "filename=\"" + base + "\"");
    exchange.response.set("Accept-Ranges", "bytes");
    std::uint64_t first = 0, length = size;
    const std::string range = exchange.request.get("Range", "");
    if (range.rfind("bytes=", 0) == 0 && range.find(',') == std::string::npos) {
        const std::string spec = range.substr(6);
        const auto dash = spec.find('-');
        if (dash != std::string::npos) {
            const std::string from = spec.substr(0, dash), to = spec.substr(dash + 1);
            std::uint64_t last = size ? size - 1 : 0;
            if (from.empty() && !to.empty()) {
                const std::uint64_t suffix = std::min<std::uint64_t>(std::stoull(to), size);
                first = size - suffix;
            } else if (!from.empty()) {
                first = std::stoull(from);
                if (!to.empty()) last = std::min<std::uint64_t>(std::stoull(to), last);
            }
            if (first >= size || (!from.empty() && first > last)) {
                exchange.response.set("Content-Range", "bytes */" + std::to_string(size));
                return sendText(exchange, 416, "416: Range Not Satisfiable");
            }
            length = last - first + 1;
            exchange.response.set("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                                       std::to_string(size));
            exchange.response.setStatusAndReason(HTTPResponse::HTTP_PARTIAL_CONTENT);
        }
    }
    exchange.response.setContentLength64(length);
    std::ostream& out = exchange.response.send();
    if (exchange.request.getMethod() == "HEAD") return;
    file.seekg(static_cast<std::streamoff>(first));
    std::vector<char> buffer(65536);
    std::uint64_t remaining = length;
    while (remaining > 0 && file && out) {
        file.read(buffer.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(buffer.size(), remaining)));
        const auto got = static_cast<std::uint64_t>(file.gcount());
        if (got == 0) break;
        out.write(buffer.data(), static_cast<std::streamsize>(got));
        remaining -= got;
    }
}

// ---- users and userdata ----

void FakeComfyRequestHandler::getUsers(Exchange& exchange)
{
    Object::Ptr users = ordered();
    for (const auto& [id, name] : _server.users()) users->set(id, name);
    Object::Ptr out = ordered();
    out->set("storage", "server");
    out->set("users", users);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::postUsers(Exchange& exchange)
{
    Object::Ptr body = bodyJson(exchange).extract<Object::Ptr>();
    std::string name = Poco::trim(body->getValue<std::string>("username"));
    for (const auto& [id, existing] : _server.users()) {
        if (existing != name) continue;
        Object::Ptr out = ordered();
        out->set("error", "Duplicate username.");
        return sendJson(exchange, out, 400);
    }
    if (name.empty() || name.rfind("__", 0) == 0) {
        Object::Ptr out = ordered();
        out->set("error", name.empty() ? "username not provided" : "System User prefix not allowed");
        return sendJson(exchange, out, 400);
    }
    std::string id;
    bool replaced = false;
    for (char c : name) {
        const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        if (keep) id += c;
        else if (!replaced) id += '-';
        replaced = !keep;
    }
    id += "_" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    _server.addUser(id, name);
    sendJson(exchange, id);
}

std::string FakeComfyRequestHandler::userFilePath(const Exchange& exchange, const std::string* file) const
{
    std::string user = "default";
    if (exchange.request.has("comfy-user")) user = exchange.request.get("comfy-user");
    const auto users = _server.users();
    if (user.rfind("__", 0) == 0 || !users.count(user)) throw std::out_of_range("Unknown user: " + user);
    const std::string root = _server.userDir();
    const std::string userRoot = PosixPath::normalise(PosixPath::join(root, user));
    if (!PosixPath::inside(root, userRoot)) return {};
    std::string path = userRoot;
    if (file) {
        std::string name = *file;
        if (name.find('%') != std::string::npos) {
            std::string decoded;
            Poco::URI::decode(name, decoded);
            name = decoded;
        }
        path = PosixPath::normalise(PosixPath::join(userRoot, name));
        if (!PosixPath::inside(userRoot, path)) return {};
    }
    fs::create_directories(fs::path(path).parent_path());
    return path;
}

void FakeComfyRequestHandler::getUserdataList(Exchange& exchange)
{
    if (!exchange.hasQuery("dir") || exchange.queryValue("dir").empty())
        return sendText(exchange, 400, "Directory not provided");
    const std::string dir = exchange.queryValue("dir");
    const std::string path = userFilePath(exchange, &dir);
    if (path.empty()) return sendText(exchange, 403, "Invalid directory");
    if (!fs::exists(path)) return sendText(exchange, 404, "Directory not found");
    const bool recurse = Poco::toLower(exchange.queryValue("recurse")) == "true";
    const bool fullInfo = Poco::toLower(exchange.queryValue("full_info")) == "true";
    const bool split = Poco::toLower(exchange.queryValue("split")) == "true";
    std::vector<fs::path> files;
    std::error_code ec;
    if (recurse) {
        for (const auto& entry : fs::recursive_directory_iterator(path, ec))
            if (entry.is_regular_file()) files.push_back(entry.path());
    } else {
        for (const auto& entry : fs::directory_iterator(path, ec))
            if (entry.is_regular_file()) files.push_back(entry.path());
    }
    Array::Ptr out = new Array;
    for (const auto& file : files) {
        const std::string relative = fs::relative(file, path).generic_string();
        if (fullInfo) {
            Object::Ptr info = ordered();
            info->set("path", relative);
            info->set("size", static_cast<Poco::UInt64>(fs::file_size(file, ec)));
            const auto modified = fs::last_write_time(file, ec);
            const double seconds =
                std::chrono::duration<double>(std::chrono::file_clock::to_sys(modified).time_since_epoch())
                    .count();
            info->set("modified", seconds);
            info->set("created", seconds);
            out->add(info);
        } else if (split) {
            Array::Ptr parts = new Array;
            parts->add(relative);
            for (const auto& part : splitPath(relative)) parts->add(part);
            out->add(parts);
        } else {
            out->add(relative);
        }
    }
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getUserdataFile(Exchange& exchange)
{
    const std::string file = exchange.params["file"];
    const std::string path = userFilePath(exchange, &file);
    if (path.empty()) return sendEmpty(exchange, 403);
    if (!fs::exists(path)) return sendEmpty(exchange, 404);
    const std::string content = readFile(path);
    exchange.response.setContentType(contentTypeFor(path));
    exchange.response.setContentLength64(content.size());
    exchange.response.send() << content;
}

void FakeComfyRequestHandler::postUserdataFile(Exchange& exchange)
{
    const std::string file = exchange.params["file"];
    const std::string path = userFilePath(exchange, &file);
    if (path.empty()) return sendEmpty(exchange, 403);
    const bool overwrite = exchange.queryValue("overwrite", "true") != "false";
    const bool fullInfo = Poco::toLower(exchange.queryValue("full_info", "false")) == "true";
    if (!overwrite && fs::exists(path)) return sendText(exchange, 409, "File already exists");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << exchange.body;
    const std::string userRoot = userFilePath(exchange, nullptr);
    const std::string relative = fs::relative(path, userRoot).generic_string();
    if (!fullInfo) return sendJson(exchange, relative);
    Object::Ptr info = ordered();
    info->set("path", relative);
    info->set("size", static_cast<Poco::UInt64>(exchange.body.size()));
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    info->set("modified", now);
    info->set("created", now);
    sendJson(exchange, info);
}

void FakeComfyRequestHandler::deleteUserdataFile(Exchange& exchange)
{
    const std::string file = exchange.params["file"];
    const std::string path = userFilePath(exchange, &file);
    if (path.empty()) return sendEmpty(exchange, 403);
    if (!fs::exists(path)) return sendEmpty(exchange, 404);
    fs::remove(path);
    exchange.response.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
    exchange.response.send();
}

void FakeComfyRequestHandler::postUserdataMove(Exchange& exchange)
{
    const std::string file = exchange.params["file"];
    const std::string dest = exchange.params["dest"];
    const std::string source = userFilePath(exchange, &file);
    if (source.empty()) return sendEmpty(exchange, 403);
    if (!fs::exists(source)) return sendEmpty(exchange, 404);
    const std::string target = userFilePath(exchange, &dest);
    if (target.empty()) return sendEmpty(exchange, 403);
    if (exchange.queryValue("overwrite", "true") == "false" && fs::exists(target))
        return sendText(exchange, 409, "File already exists");
    fs::rename(source, target);
    const std::string relative = fs::relative(target, userFilePath(exchange, nullptr)).generic_string();
    if (Poco::toLower(exchange.queryValue("full_info", "false")) != "true") return sendJson(exchange, relative);
    std::error_code ec;
    Object::Ptr info = ordered();
    info->set("path", relative);
    info->set("size", static_cast<Poco::UInt64>(fs::file_size(target, ec)));
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    info->set("modified", now);
    info->set("created", now);
    sendJson(exchange, info);
}

void FakeComfyRequestHandler::getUserdataV2(Exchange& exchange)
{
    const std::string root = userFilePath(exchange, nullptr);
    const std::string relative = exchange.queryValue("path");
    std::string target = root;
    if (!relative.empty()) {
        target = PosixPath::normalise(PosixPath::join(root, relative));
        if (!PosixPath::inside(root, target)) return sendText(exchange, 403, "Invalid path");
    }
    if (!fs::exists(target)) {
        if (relative.empty()) return sendJson(exchange, Array::Ptr(new Array));
        return sendText(exchange, 404, "Path not found");
    }
    if (!fs::is_directory(target)) return sendText(exchange, 400, "Path is not a directory");
    std::vector<std::tuple<bool, std::string, fs::path>> entries;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(target, ec))
        entries.emplace_back(!entry.is_directory(), fs::relative(entry.path(), root).generic_string(), entry.path());
    std::sort(entries.begin(), entries.end());
    Array::Ptr out = new Array;
    for (const auto& [isFile, path, full] : entries) {
        Object::Ptr item = ordered();
        item->set("name", full.filename().string());
        item->set("path", path);
        item->set("type", isFile ? "file" : "directory");
        if (isFile) {
            item->set("size", static_cast<Poco::UInt64>(fs::file_size(full, ec)));
            item->set("modified",
                      std::chrono::duration<double>(std::chrono::file_clock::to_sys(fs::last_write_time(full, ec)).time_since_epoch())
                          .count());
        }
        out->add(item);
    }
    sendJson(exchange, out);
}

Object::Ptr FakeComfyRequestHandler::loadSettings(const std::string& path) const
{
    try {
        std::ifstream in(path);
        if (in) {
            Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
            const Var parsed = parser.parse(in);
            if (parsed.type() == typeid(Object::Ptr)) return parsed.extract<Object::Ptr>();
        }
    } catch (const Poco::Exception&) {
    }
    return ordered();
}

void FakeComfyRequestHandler::saveSettings(const std::string& path, const Object::Ptr& settings) const
{
    std::ofstream out(path, std::ios::trunc);
    settings->stringify(out, 4);
}

bool FakeComfyRequestHandler::settingsPath(Exchange& exchange, std::string& path)
{
    const std::string name = "comfy.settings.json";
    try {
        path = userFilePath(exchange, &name);
    } catch (const std::out_of_range&) {
        sendText(exchange, 401, "401: Unauthorized");
        return false;
    }
    return true;
}

void FakeComfyRequestHandler::getSettings(Exchange& exchange)
{
    std::string path;
    if (settingsPath(exchange, path)) sendJson(exchange, loadSettings(path));
}

void FakeComfyRequestHandler::getSetting(Exchange& exchange)
{
    std::string path;
    if (!settingsPath(exchange, path)) return;
    Object::Ptr settings = loadSettings(path);
    const std::string id = exchange.params["id"];
    sendJson(exchange, settings->has(id) ? settings->get(id) : Var());
}

void FakeComfyRequestHandler::postSettings(Exchange& exchange)
{
    std::string path;
    if (!settingsPath(exchange, path)) return;
    Object::Ptr update = bodyJson(exchange).extract<Object::Ptr>();
    Object::Ptr settings = loadSettings(path);
    for (const auto& key : update->getNames()) settings->set(key, update->get(key));
    saveSettings(path, settings);
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::postSetting(Exchange& exchange)
{
    std::string path;
    if (!settingsPath(exchange, path)) return;
    const Var value = bodyJson(exchange);
    Object::Ptr settings = loadSettings(path);
    settings->set(exchange.params["id"], value);
    saveSettings(path, settings);
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::getViewMetadata(Exchange& exchange)
{
    const std::string folder = exchange.params["folder_name"];
    const std::string filename = exchange.queryValue("filename");
    if (!exchange.hasQuery("filename") || !filename.ends_with(".safetensors")) return sendEmpty(exchange, 404);
    const auto files = _server._models.list(folder);
    if (filename.find("..") != std::string::npos || std::find(files.begin(), files.end(), filename) == files.end())
        return sendEmpty(exchange, 404);
    std::ifstream in(_server._models.primaryDirectory(folder) + "/" + filename, std::ios::binary);
    unsigned char sizeBytes[8] = {};
    if (!in.read(reinterpret_cast<char*>(sizeBytes), 8)) return sendEmpty(exchange, 404);
    std::uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i) headerSize = (headerSize << 8) | sizeBytes[i];
    if (headerSize > 1024 * 1024) return sendEmpty(exchange, 404);
    std::string header(headerSize, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(headerSize))) return sendEmpty(exchange, 404);
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        Object::Ptr parsed = parser.parse(header).extract<Object::Ptr>();
        if (!parsed->has("__metadata__")) return sendEmpty(exchange, 404);
        sendJson(exchange, parsed->get("__metadata__"));
    } catch (const Poco::Exception&) {
        sendEmpty(exchange, 404);
    }
}

void FakeComfyRequestHandler::getExperimentModels(Exchange& exchange)
{
    Array::Ptr out = new Array;
    for (const auto& key : _server._models.keys()) {
        if (key == "configs" || key == "custom_nodes") continue;
        Object::Ptr entry = ordered();
        entry->set("name", key);
        Array::Ptr folders = new Array;
        folders->add(_server._models.primaryDirectory(key));
        entry->set("folders", folders);
        out->add(entry);
    }
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getExperimentModelFolder(Exchange& exchange)
{
    const std::string folder = exchange.params["folder"];
    const auto keys = _server._models.keys();
    if (std::find(keys.begin(), keys.end(), folder) == keys.end()) return sendEmpty(exchange, 404);
    Array::Ptr out = new Array;
    std::error_code ec;
    for (const auto& file : _server._models.list(folder)) {
        const std::string full = _server._models.primaryDirectory(folder) + "/" + file;
        Object::Ptr entry = ordered();
        entry->set("name", file);
        entry->set("pathIndex", 0);
        const double modified =
            std::chrono::duration<double>(std::chrono::file_clock::to_sys(fs::last_write_time(full, ec)).time_since_epoch()).count();
        entry->set("modified", modified);
        entry->set("created", modified);
        entry->set("size", static_cast<Poco::UInt64>(fs::file_size(full, ec)));
        out->add(entry);
    }
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getExperimentModelPreview(Exchange& exchange)
{
    // model_manager.py: the first preview image next to the model (converted to webp upstream).
    const std::string folder = exchange.params["folder"];
    const std::string filename = exchange.params["filename"];
    const auto keys = _server._models.keys();
    if (exchange.params["path_index"] != "0" || std::find(keys.begin(), keys.end(), folder) == keys.end() ||
        filename.find("..") != std::string::npos)
        return sendEmpty(exchange, 404);
    const fs::path model = fs::path(_server._models.primaryDirectory(folder)) / filename;
    const fs::path stem = model.parent_path() / model.stem();
    for (const std::string& suffix : {std::string(".webp"), std::string(".preview.png"), std::string(".png")}) {
        const std::string candidate = stem.string() + suffix;
        if (!fs::is_regular_file(candidate))
            continue;
        const std::string bytes = readFile(candidate);
        exchange.response.setContentType("image/webp");
        exchange.response.setContentLength(static_cast<std::streamsize>(bytes.size()));
        exchange.response.send() << bytes;
        return;
    }
    sendEmpty(exchange, 404);
}

// ---- front-end data of node packs ----

void FakeComfyRequestHandler::getWorkflowTemplates(Exchange& exchange)
{
    Array::Ptr names = new Array;
    names->add("upscale_example");
    Object::Ptr out = ordered();
    out->set("comfyui-fake-pack", names);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getI18n(Exchange& exchange)
{
    Object::Ptr node = ordered();
    node->set("display_name", "Fake Upscale");
    Object::Ptr nodeDefs = ordered();
    nodeDefs->set("FakeUpscale", node);
    Object::Ptr english = ordered();
    english->set("nodeDefs", nodeDefs);
    Object::Ptr out = ordered();
    out->set("en", english);
    sendJson(exchange, out);
}

namespace {

const char* const fakeSubgraphId = "fake-pack-upscale";

Object::Ptr subgraphEntry()
{
    Object::Ptr info = ordered();
    info->set("node_pack", "comfyui-fake-pack");
    Object::Ptr entry = ordered();
    entry->set("source", "custom_node");
    entry->set("name", "Upscale");
    entry->set("info", info);
    return entry;
}

} // namespace

void FakeComfyRequestHandler::getGlobalSubgraphs(Exchange& exchange)
{
    Object::Ptr out = ordered();
    out->set(fakeSubgraphId, subgraphEntry());
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getGlobalSubgraph(Exchange& exchange)
{
    if (exchange.params["id"] != fakeSubgraphId)
        return sendJson(exchange, Var());
    Object::Ptr entry = subgraphEntry();
    entry->set("data", "{\"nodes\":[],\"links\":[]}");
    sendJson(exchange, entry);
}

// ---- a custom node's routes (ComfyUI-Manager) ----

void FakeComfyRequestHandler::getManagerQueueStatus(Exchange& exchange)
{
    Object::Ptr out = ordered();
    out->set("total_count", 0);
    out->set("done_count", 0);
    out->set("in_progress_count", 0);
    out->set("is_processing", false);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::postManagerQueueInstall(Exchange& exchange)
{
    bodyJson(exchange);
    sendEmpty(exchange);
}

// ---- internal ----

void FakeComfyRequestHandler::getInternalLogsRaw(Exchange& exchange)
{
    Array::Ptr entries = new Array;
    {
        std::lock_guard lock(_server._mutex);
        for (const auto& [time, line] : _server._log) {
            Object::Ptr entry = ordered();
            entry->set("t", time);
            entry->set("m", line);
            entries->add(entry);
        }
    }
    Object::Ptr size = ordered();
    size->set("cols", 80);
    size->set("rows", 24);
    Object::Ptr out = ordered();
    out->set("entries", entries);
    out->set("size", size);
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::patchInternalLogsSubscribe(Exchange& exchange)
{
    Object::Ptr body = bodyJson(exchange).extract<Object::Ptr>();
    _server.subscribeLogs(body->getValue<std::string>("clientId"), body->optValue<bool>("enabled", false));
    sendEmpty(exchange);
}

void FakeComfyRequestHandler::getInternalLogs(Exchange& exchange)
{
    std::string joined;
    {
        std::lock_guard lock(_server._mutex);
        for (const auto& [time, line] : _server._log) joined += line;
    }
    sendJson(exchange, joined);
}

void FakeComfyRequestHandler::getInternalFolderPaths(Exchange& exchange)
{
    Object::Ptr out = ordered();
    for (const auto& key : _server._models.keys()) {
        Array::Ptr paths = new Array;
        paths->add(_server._models.primaryDirectory(key));
        out->set(key, paths);
    }
    sendJson(exchange, out);
}

void FakeComfyRequestHandler::getInternalFiles(Exchange& exchange)
{
    const std::string type = exchange.params["directory_type"];
    if (type != "output" && type != "input" && type != "temp") {
        Object::Ptr out = ordered();
        out->set("error", "Invalid directory type");
        return sendJson(exchange, out, 400);
    }
    const std::string dir = _server.rootDir() + "/" + type;
    std::vector<std::pair<fs::file_time_type, std::string>> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file()) files.emplace_back(entry.last_write_time(), entry.path().filename().string());
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    Array::Ptr out = new Array;
    for (const auto& [time, name] : files) out->add(name);
    sendJson(exchange, out);
}

} // namespace comfygate::fakes

#include "FakeModelSource.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace comfygate::fakes {

class FakeModelSource::HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory
{
public:
    HandlerFactory(FakeModelSource& owner, Listener listener) : _owner(owner), _listener(listener) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new Handler(_owner, _listener);
    }

private:
    class Handler : public Poco::Net::HTTPRequestHandler
    {
    public:
        Handler(FakeModelSource& owner, Listener listener) : _owner(owner), _listener(listener) {}
        void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
        {
            _owner.dispatch(_listener, request, response);
        }

    private:
        FakeModelSource& _owner;
        Listener _listener;
    };

    FakeModelSource& _owner;
    Listener _listener;
};

FakeModelSource::FakeModelSource(std::string service, std::string storageListener)
    : _service(std::move(service)), _storageListener(std::move(storageListener))
{
}

FakeModelSource::~FakeModelSource()
{
    stop();
}

namespace {

Poco::Net::ServerSocket bindLoopback(const std::string& address, unsigned port)
{
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(port)), true);
    socket.listen(256);
    return socket;
}

Poco::Net::HTTPServerParams* serverParams()
{
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxQueued(256);
    params->setMaxThreads(64);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    return params;
}

} // namespace

void FakeModelSource::start(unsigned apiPort, unsigned storagePort)
{
    if (_apiServer)
        return;
    Poco::Net::ServerSocket api = bindLoopback("127.0.0.1", apiPort);
    Poco::Net::ServerSocket storage;
    try {
        storage = bindLoopback("127.0.0.2", storagePort);
        _storageHost = "127.0.0.2";
    } catch (const Poco::Exception&) {
        // Without 127.0.0.2 the host *name* still differs from the API's 127.0.0.1.
        storage = bindLoopback("127.0.0.1", storagePort);
        _storageHost = "localhost";
    }
    _apiPort = api.address().port();
    _storagePort = storage.address().port();
    _stop.rearm();
    _threads = std::make_unique<Poco::ThreadPool>(2, 128, 60);
    _apiServer = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*this, Listener::Api), *_threads, api,
                                                         serverParams());
    _storageServer = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*this, Listener::Storage), *_threads,
                                                             storage, serverParams());
    _apiServer->start();
    _storageServer->start();
}

void FakeModelSource::stop()
{
    if (!_apiServer)
        return;
    _stop.stop();
    // A Poco server notices stop() only when its 250 ms accept poll returns: stop both at
    // once, and wake the polls with a connection each so that tests do not wait for them.
    std::thread api([this] { _apiServer->stopAll(true); });
    std::thread storage([this] { _storageServer->stopAll(true); });
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (const auto& [address, port] :
         {std::pair{std::string("127.0.0.1"), _apiPort},
          std::pair{_storageHost == "localhost" ? "127.0.0.1" : _storageHost, _storagePort}}) {
        try {
            Poco::Net::StreamSocket wake;
            wake.connect(Poco::Net::SocketAddress(address, static_cast<Poco::UInt16>(port)), Poco::Timespan(0, 100000));
        } catch (const Poco::Exception&) {
        }
    }
    api.join();
    storage.join();
    _threads->joinAll();
    _apiServer.reset();
    _storageServer.reset();
    _threads.reset();
}

std::string FakeModelSource::apiUrl() const
{
    return "http://127.0.0.1:" + std::to_string(_apiPort);
}

std::string FakeModelSource::storageUrl() const
{
    return "http://" + _storageHost + ":" + std::to_string(_storagePort);
}

const FixtureFile& FakeModelSource::addFile(const FileSpec& spec)
{
    auto file = std::make_shared<const FixtureFile>(spec);
    std::lock_guard lock(_filesMutex);
    auto& slot = _files[file->key()];
    slot = std::move(file);
    return *slot;
}

void FakeModelSource::addFile(std::shared_ptr<const FixtureFile> file)
{
    if (!file)
        throw std::invalid_argument("file is null");
    std::lock_guard lock(_filesMutex);
    _files[file->key()] = std::move(file);
}

std::shared_ptr<const FixtureFile> FakeModelSource::file(const std::string& key) const
{
    std::lock_guard lock(_filesMutex);
    const auto found = _files.find(key);
    return found == _files.end() ? nullptr : found->second;
}

std::string FakeModelSource::sha256(const std::string& key) const
{
    return hashes(key).sha256;
}

FileHashes FakeModelSource::hashes(const std::string& key) const
{
    const auto found = file(key);
    if (!found)
        throw std::out_of_range("no fixture file " + key);
    return found->hashes();
}

std::string FakeModelSource::content(const std::string& key) const
{
    const auto found = file(key);
    if (!found)
        throw std::out_of_range("no fixture file " + key);
    return found->contentForTests();
}

void FakeModelSource::reset()
{
    _log.clear();
    _faults.clearAll();
    resetCounters();
}

void FakeModelSource::loadFixture(const Poco::JSON::Object& document)
{
    try {
        if (const auto files = document.getArray("files"))
            for (std::size_t i = 0; i < files->size(); ++i) {
                const auto entry = files->getObject(static_cast<unsigned>(i));
                if (!entry)
                    throw std::invalid_argument("files[] entries must be objects");
                addFile(fileSpecFromJson(*entry));
            }
        if (const auto tokens = document.getObject("tokens"))
            for (const auto& token : tokens->getNames()) {
                const auto entry = tokens->getObject(token);
                if (!entry)
                    throw std::invalid_argument("tokens.<token> must be an object");
                TokenInfo info;
                info.userId = static_cast<int>(intField(*entry, "user"));
                info.username = stringField(*entry, "username", "user" + std::to_string(info.userId));
                info.tier = stringField(*entry, "tier", "free");
                if (const auto early = entry->getArray("earlyAccess"))
                    for (std::size_t i = 0; i < early->size(); ++i)
                        info.earlyAccess.insert(early->getElement<int>(static_cast<unsigned>(i)));
                if (const auto gated = entry->getArray("hfGatedAccess"))
                    for (std::size_t i = 0; i < gated->size(); ++i)
                        info.hfGatedAccess.insert(gated->getElement<std::string>(static_cast<unsigned>(i)));
                _tokens.add(token, info);
            }
        if (const auto section = document.getObject(fixtureSection()))
            loadServiceFixture(*section);
        if (const auto faults = document.getArray("faults"))
            for (std::size_t i = 0; i < faults->size(); ++i) {
                const auto entry = faults->getObject(static_cast<unsigned>(i));
                if (!entry)
                    throw std::invalid_argument("faults[] entries must be objects");
                _faults.set(stringField(*entry, "target"), Fault::fromJson(*entry));
            }
    } catch (const Poco::Exception& error) {
        throw std::invalid_argument(error.displayText());
    }
}

bool FakeModelSource::injectFailure(FakeExchange& exchange, Listener listener, const std::string& route,
                                    const std::string& fileKey)
{
    const auto failure = _faults.takeFailure(_service, route, fileKey);
    if (!failure)
        return false;
    if (failure->retryAfter)
        exchange.setHeader("Retry-After", std::to_string(*failure->retryAfter));
    sendInjectedFailure(exchange, listener, *failure);
    return true;
}

void FakeModelSource::serveReadRoute(FakeExchange& exchange, const std::string& route,
                                     const std::function<void()>& handler, const std::string& methodNotAllowed)
{
    if (exchange.method() != "GET" && exchange.method() != "HEAD") {
        exchange.sendError(405, methodNotAllowed);
        return;
    }
    if (refuseUserAgent(exchange, faults().effective(service(), route, "")))
        return;
    if (injectFailure(exchange, Listener::Api, route))
        return;
    handler();
}

bool FakeModelSource::refuseUserAgent(FakeExchange& exchange, const Fault& fault)
{
    if (!fault.requireUa.value_or(false))
        return false;
    const std::string agent = exchange.userAgent();
    if (!agent.empty() && Poco::toLower(agent).find("python-urllib") == std::string::npos)
        return false;
    exchange.send(403, "text/html; charset=utf-8",
                  "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
                  "<body><h1>Sorry, you have been blocked</h1></body></html>");
    return true;
}

void FakeModelSource::serveFile(FakeExchange& exchange, const FixtureFile& file, const std::string& etag,
                                const Fault& fault)
{
    exchange.setHeader("Accept-Ranges", "bytes");
    exchange.setHeader("ETag", etag);
    ByteRange range;
    if (!fault.ignoreRange.value_or(false)) {
        range = ByteRange::parse(exchange.header("Range"), file.size());
        const std::string ifRange = exchange.header("If-Range");
        if (!ifRange.empty() && ifRange != etag)
            range = ByteRange{};
    }
    const std::string total = std::to_string(file.size());
    switch (range.kind) {
    case ByteRange::Kind::Unsatisfiable:
        exchange.setHeader("Content-Range", "bytes */" + total);
        exchange.send(416, "", "");
        return;
    case ByteRange::Kind::Satisfiable:
        exchange.setHeader("Content-Range",
                           "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" + total);
        exchange.response().setStatusAndReason(Poco::Net::HTTPResponse::HTTP_PARTIAL_CONTENT);
        exchange.sendFileBytes(file, range.first, range.length(), fault);
        return;
    case ByteRange::Kind::None:
        exchange.response().setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
        exchange.sendFileBytes(file, 0, file.size(), fault);
        return;
    }
}

void FakeModelSource::dispatch(Listener listener, Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response)
{
    LogEntry entry;
    entry.service = _service;
    entry.listener = listener == Listener::Api ? "api" : _storageListener;
    entry.method = request.getMethod();
    entry.host = request.get("Host", "");
    entry.range = request.get("Range", "");
    entry.ifRange = request.get("If-Range", "");
    entry.ifNoneMatch = request.get("If-None-Match", "");
    entry.userAgent = request.get("User-Agent", "");
    entry.authorization = request.has("Authorization");
    FakeExchange exchange(request, response, entry, _stop);
    entry.path = exchange.rawPath();
    entry.query = exchange.rawQuery();
    entry.tokenInQuery = exchange.query("token").has_value();

    if (exchange.rawPath().rfind("/__", 0) == 0) {
        try {
            if (!handleControl(exchange))
                exchange.sendError(404, "no such control route");
        } catch (const std::exception& error) {
            if (!exchange.answered())
                exchange.sendError(400, error.what());
        }
        return;
    }
    entry.seq = _log.begin(entry);
    try {
        if (listener == Listener::Api)
            handleApi(exchange);
        else
            handleStorage(exchange);
        if (!exchange.answered())
            exchange.sendError(500, "the fake did not answer");
    } catch (const std::exception& error) {
        if (!exchange.answered())
            exchange.sendError(500, error.what());
    }
    _log.finish(entry);
}

bool FakeModelSource::handleControl(FakeExchange& exchange)
{
    const std::string& path = exchange.rawPath();
    const std::string& method = exchange.method();
    if (path == "/__log" && method == "GET") {
        exchange.send(200, "application/x-ndjson", _log.jsonLines());
    } else if (path == "/__reset" && method == "POST") {
        reset();
        exchange.sendEmpty(204);
    } else if (path == "/__faults" && method == "GET") {
        exchange.sendJson(200, _faults.toJson());
    } else if (path == "/__faults" && method == "POST") {
        const auto json = Poco::JSON::Parser().parse(exchange.readBody()).extract<Poco::JSON::Object::Ptr>();
        if (boolField(*json, "clear_all")) {
            _faults.clearAll();
        } else {
            const std::string target = stringField(*json, "target");
            if (target.empty())
                throw std::invalid_argument("target is required");
            if (boolField(*json, "clear"))
                _faults.clear(target);
            else
                _faults.set(target, Fault::fromJson(*json));
        }
        exchange.sendJson(200, _faults.toJson());
    } else if (path == "/__fixture" && method == "POST") {
        const auto json = Poco::JSON::Parser().parse(exchange.readBody()).extract<Poco::JSON::Object::Ptr>();
        loadFixture(*json);
        exchange.sendEmpty(204);
    } else {
        return false;
    }
    return true;
}

FileSpec fileSpecFromJson(const Poco::JSON::Object& json)
{
    FileSpec spec;
    spec.key = stringField(json, "key");
    spec.name = stringField(json, "name", spec.key);
    spec.size = static_cast<std::uint64_t>(intField(json, "size"));
    const auto content = json.getObject("content");
    const std::string kind = content ? stringField(*content, "kind", "prng") : "prng";
    if (kind == "prng")
        spec.kind = ContentKind::Prng;
    else if (kind == "safetensors")
        spec.kind = ContentKind::Safetensors;
    else if (kind == "bytes")
        spec.kind = ContentKind::Bytes;
    else
        throw std::invalid_argument("unknown content kind: " + kind);
    if (content) {
        spec.seed = static_cast<std::uint64_t>(intField(*content, "seed"));
        spec.bytes = stringField(*content, "bytes");
    }
    return spec;
}

std::string stringField(const Poco::JSON::Object& object, const std::string& key, const std::string& fallback)
{
    if (!object.has(key) || object.isNull(key))
        return fallback;
    const auto value = object.get(key);
    if (!value.isString())
        throw std::invalid_argument(key + " must be a string");
    return value.extract<std::string>();
}

Poco::Int64 intField(const Poco::JSON::Object& object, const std::string& key, Poco::Int64 fallback)
{
    if (!object.has(key) || object.isNull(key))
        return fallback;
    const auto value = object.get(key);
    if (!value.isInteger())
        throw std::invalid_argument(key + " must be an integer");
    return value.convert<Poco::Int64>();
}

bool boolField(const Poco::JSON::Object& object, const std::string& key, bool fallback)
{
    if (!object.has(key) || object.isNull(key))
        return fallback;
    const auto value = object.get(key);
    if (!value.isBoolean())
        throw std::invalid_argument(key + " must be a boolean");
    return value.extract<bool>();
}

} // namespace comfygate::fakes

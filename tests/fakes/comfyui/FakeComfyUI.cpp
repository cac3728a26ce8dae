#include "FakeComfyUI.h"

#include "FakeComfyHandlerFactory.h"
#include "PngImage.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using Poco::JSON::Object;

namespace comfygate::fakes {

FakeComfyUI::FakeComfyUI(std::string rootDir)
    : _rootDir(fs::absolute(rootDir).lexically_normal().string()), _models(_rootDir + "/models"),
      _catalog(_models, _rootDir + "/input"), _hub([this] { return features(); }),
      _queue(_hub, _catalog, _rootDir + "/output", _rootDir + "/temp")
{
    if (_rootDir.size() > 1 && _rootDir.back() == '/') _rootDir.pop_back();
    for (const char* dir : {"input", "output", "temp", "user", "custom_nodes"}) fs::create_directories(_rootDir + "/" + dir);
    _models.createDirectories();
    std::ifstream usersFile(userDir() + "/users.json");
    if (usersFile) {
        try {
            Poco::JSON::Parser parser;
            Object::Ptr stored = parser.parse(usersFile).extract<Object::Ptr>();
            for (const auto& id : stored->getNames()) _users[id] = stored->getValue<std::string>(id);
        } catch (const Poco::Exception&) {
        }
    }
}

FakeComfyUI::~FakeComfyUI()
{
    stop();
}

void FakeComfyUI::start(unsigned port)
{
    if (_server) return;
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
    socket.listen(256);
    // Not inherited by processes the test spawns (the gateway): a copy there would keep the
    // port listening after stop(), and a restart on the same port (SO_REUSEPORT) would share
    // its connections with that copy, which never answers.
    ::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
    _port = socket.address().port();

    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxQueued(1024);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    // aiohttp's keepalive_timeout (75 s), as ComfyUI runs it: the gateway keeps its idle upstream
    // connections 10 s, trusting the server to keep them longer. With 5 s here a streamed upload
    // (which cannot be sent twice) now and then went out on a connection the fake had just
    // closed, and the soak counted a 502.
    params->setKeepAliveTimeout(Poco::Timespan(75, 0));
    // A pool of our own: Poco's default pool has 16 threads, shared with whatever else runs.
    _threads = std::make_unique<Poco::ThreadPool>(2, 256, 60);
    params->setMaxThreads(256);
    _server = std::make_unique<Poco::Net::HTTPServer>(new FakeComfyHandlerFactory(*this), *_threads, socket, params);
    _hub.start();
    _queue.start();
    _server->start();
}

void FakeComfyUI::stop()
{
    if (!_server) return;
    _server->stopAll(true);
    _hub.stop();
    _queue.stop();
    _server.reset();
    _threads->joinAll();
    _threads.reset();
}

std::string FakeComfyUI::url() const
{
    return "http://127.0.0.1:" + std::to_string(_port);
}

Object::Ptr FakeComfyUI::features() const
{
    Object::Ptr manager = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    manager->set("supports_v4", true);
    Object::Ptr extension = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    extension->set("manager", manager);
    Object::Ptr flags = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    flags->set("supports_preview_metadata", true);
    flags->set("max_upload_size", static_cast<Poco::UInt64>(_maxBodyBytes));
    flags->set("extension", extension);
    return flags;
}

std::vector<RecordedRequest> FakeComfyUI::requests() const
{
    std::lock_guard lock(_mutex);
    return _requests;
}

void FakeComfyUI::clearRequests()
{
    std::lock_guard lock(_mutex);
    _requests.clear();
}

void FakeComfyUI::record(RecordedRequest request)
{
    std::lock_guard lock(_mutex);
    _requests.push_back(std::move(request));
}

void FakeComfyUI::log(const std::string& line)
{
    const std::string time = Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
    std::vector<std::string> subscribers;
    {
        std::lock_guard lock(_mutex);
        _log.emplace_back(time, line + "\n");
        if (_log.size() > 1000) _log.erase(_log.begin());
        subscribers = _logSubscribers;
    }
    if (subscribers.empty()) return;
    Object::Ptr entry = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    entry->set("t", time);
    entry->set("m", line + "\n");
    Poco::JSON::Array::Ptr entries = new Poco::JSON::Array;
    entries->add(entry);
    Object::Ptr data = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    data->set("entries", entries);
    data->set("size", Poco::Dynamic::Var());
    for (const auto& sid : subscribers) _hub.sendJson(sid, "logs", data);
}

void FakeComfyUI::subscribeLogs(const std::string& sid, bool enabled)
{
    std::lock_guard lock(_mutex);
    std::erase(_logSubscribers, sid);
    if (enabled) _logSubscribers.push_back(sid);
}

std::map<std::string, std::string> FakeComfyUI::users() const
{
    std::lock_guard lock(_mutex);
    return _users;
}

void FakeComfyUI::addUser(const std::string& id, const std::string& name)
{
    std::lock_guard lock(_mutex);
    _users[id] = name;
    Object stored(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [key, value] : _users) stored.set(key, value);
    std::ofstream out(userDir() + "/users.json", std::ios::trunc);
    stored.stringify(out);
}

void FakeComfyUI::addModel(const std::string& folder, const std::string& relativeName)
{
    const fs::path path = fs::path(_models.primaryDirectory(folder)) / relativeName;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc);
}

void FakeComfyUI::addModel(const std::string& folder, const std::string& relativeName, const std::string& bytes)
{
    const fs::path path = fs::path(_models.primaryDirectory(folder)) / relativeName;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void FakeComfyUI::addInput(const std::string& name, const std::string& bytes)
{
    const fs::path path = fs::path(inputDir()) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void FakeComfyUI::addOutput(const std::string& subfolder, const std::string& name, const std::string& bytes)
{
    const fs::path path = fs::path(outputDir()) / subfolder / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void FakeComfyUI::addLargeOutput(const std::string& name, std::uint64_t bytes)
{
    const fs::path path = fs::path(outputDir()) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc);
    fs::resize_file(path, bytes);
}

std::string FakeComfyUI::pngWithText(unsigned width, unsigned height, const std::map<std::string, std::string>& textChunks)
{
    return PngImage::encode(width, height, textChunks);
}

std::map<std::string, std::string> FakeComfyUI::readPngText(const std::string& png)
{
    return PngImage::readText(png);
}

} // namespace comfygate::fakes

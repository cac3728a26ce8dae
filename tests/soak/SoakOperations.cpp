#include "SoakOperations.h"

#include "FakeComfyUI.h"
#include "SampleWorkflow.h"
#include "SoakRecorder.h"
#include "WebSocketTestClient.h"

#include <Poco/URI.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace comfygate::soak {

using namespace std::chrono_literals;

namespace {

const std::string downloadBase = "/mss-login/api/model-download";
const std::string boundary = "soak-form-boundary-7d1f";

/// How often each operation comes up in 100 slots of the mix: mostly the cheap reads clients
/// repeat, prompts and uploads as a busy studio sends them, and the rare administrative steps.
const std::vector<std::pair<std::string, int>> weights{{"me", 28},    {"read", 28},    {"prompt", 14}, {"upload", 14},
                                                       {"login", 8},  {"download", 4}, {"reload", 4}};

const std::vector<std::string> reads{"/object_info/KSampler", "/queue", "/system_stats", "/history?max_items=8"};

std::string multipartImage(const std::string& fileName, const std::string& content)
{
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + fileName +
           "\"\r\nContent-Type: image/png\r\n\r\n" + content + "\r\n--" + boundary +
           "\r\nContent-Disposition: form-data; name=\"overwrite\"\r\n\r\ntrue\r\n--" + boundary + "--\r\n";
}

std::string encoded(const std::string& value)
{
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", out);
    return out;
}

} // namespace

SoakOperations::SoakOperations(Settings settings) : _settings(std::move(settings)), _client(_settings.port)
{
    for (const auto& [name, weight] : weights)
        for (int i = 0; i < weight; ++i)
            _mix.push_back(name);
    _admin = login(_settings.adminName);
}

SoakOperations::Headers SoakOperations::login(const std::string& name) const
{
    const auto answer = _client.postJson("/login", R"({"username":")" + name + R"(","password":")" +
                                                       _settings.password + "\"}");
    expect(answer, 200, "POST /login as " + name);
    return {{"Authorization", "Bearer " + answer.json()->getValue<std::string>("jwt_token")}};
}

SoakOperations::Worker SoakOperations::worker(int index) const
{
    Worker worker;
    worker.index = index;
    worker.user = _settings.users[static_cast<std::size_t>(index) % _settings.users.size()];
    worker.session = login(worker.user);
    return worker;
}

const std::string& SoakOperations::pick(long long slot) const
{
    // 37 is coprime with the 100 slots: consecutive slots walk the whole mix, interleaved.
    return _mix[static_cast<std::size_t>((slot * 37) % static_cast<long long>(_mix.size()))];
}

void SoakOperations::run(const std::string& operation, Worker& worker)
{
    ++worker.done;
    if (operation == "me")
        me(worker);
    else if (operation == "read")
        read(worker);
    else if (operation == "prompt")
        prompt(worker);
    else if (operation == "upload")
        upload(worker);
    else if (operation == "login")
        loginCycle(worker);
    else if (operation == "download")
        download();
    else if (operation == "reload")
        reload();
    else
        throw SoakFailure("unknown operation " + operation);
}

void SoakOperations::expect(const test::HttpResult& answer, int status, const std::string& what)
{
    if (answer.status != status)
        throw SoakFailure(what + " answered " + std::to_string(answer.status) + " (expected " +
                          std::to_string(status) + "): " + answer.body.substr(0, 300));
}

void SoakOperations::me(const Worker& worker) const
{
    const auto answer = _client.get("/mss-login/api/me", worker.session);
    expect(answer, 200, "GET /mss-login/api/me");
    if (answer.body.find("\"" + worker.user + "\"") == std::string::npos)
        throw SoakFailure("GET /mss-login/api/me does not name " + worker.user + ": " + answer.body.substr(0, 300));
}

void SoakOperations::read(Worker& worker) const
{
    const std::string& uri = reads[static_cast<std::size_t>(worker.done) % reads.size()];
    const auto answer = _client.get(uri, worker.session);
    expect(answer, 200, "GET " + uri);
    answer.json(); // every one of them is a JSON object
}

void SoakOperations::prompt(Worker& worker) const
{
    const std::string clientId = "soak-" + std::to_string(worker.index) + "-" + std::to_string(worker.done);
    test::WebSocketTestClient socket(_settings.port, "/ws?clientId=" + clientId, worker.session);
    const auto greeting = socket.next(10s);
    if (!greeting || greeting->type() != "status")
        throw SoakFailure("the WebSocket " + clientId + " sent no status frame first");
    const std::string graph = test::TestGraph{.positive = "soak " + clientId, .steps = 4}.json();
    const auto answer = _client.postJson("/prompt", "{\"prompt\":" + graph + ",\"client_id\":\"" + clientId + "\"}",
                                         worker.session);
    expect(answer, 200, "POST /prompt");
    const std::string id = answer.json()->getValue<std::string>("prompt_id");
    socket.until(
        [&id](const test::WebSocketFrame& frame) {
            if (frame.type() == "execution_error")
                throw SoakFailure("prompt " + id + " failed: " + frame.payload.substr(0, 300));
            return frame.type() == "execution_success" && frame.payload.find(id) != std::string::npos;
        },
        60s);
    socket.close();
    // As ComfyUI's front end clears its queue panel: the history stays the size a real server
    // keeps rather than growing with every prompt of the run (the gateway reads it whole).
    expect(_client.postJson("/history", "{\"delete\":[\"" + id + "\"]}", worker.session), 200,
           "POST /history delete");
}

void SoakOperations::upload(Worker& worker) const
{
    const std::string name = "soak-" + std::to_string(worker.index) + "-" + std::to_string(worker.done % 50) + ".png";
    const std::string png = fakes::FakeComfyUI::pngWithText(
        8, 8, {{"soak", worker.user + " " + std::to_string(worker.done)}});
    Headers headers = worker.session;
    headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
    const auto stored = _client.request("POST", "/upload/image", multipartImage(name, png), headers);
    expect(stored, 200, "POST /upload/image");
    const auto json = stored.json();
    const auto view = _client.get("/view?filename=" + encoded(json->getValue<std::string>("name")) + "&subfolder=" +
                                      encoded(json->optValue<std::string>("subfolder", "")) + "&type=input",
                                  worker.session);
    expect(view, 200, "GET /view of an upload");
    if (view.body != png)
        throw SoakFailure("GET /view of " + name + " returned other bytes than were uploaded");
}

void SoakOperations::loginCycle(const Worker& worker) const
{
    const Headers fresh = login(worker.user);
    expect(_client.get("/mss-login/api/me", fresh), 200, "GET /mss-login/api/me with a new session");
    expect(_client.get("/logout", fresh), 200, "GET /logout");
    // /me answers everyone; after the logout the session no longer signs anybody in.
    const auto after = _client.get("/mss-login/api/me", fresh);
    expect(after, 200, "GET /mss-login/api/me after /logout");
    if (after.json()->optValue<bool>("authenticated", true))
        throw SoakFailure("the session still signs " + worker.user + " in after /logout");
}

void SoakOperations::download()
{
    const std::size_t n = static_cast<std::size_t>(_downloads++);
    const std::string& file = _settings.files[n % _settings.files.size()];
    const auto answer = _client.postJson(downloadBase + "/download",
                                         R"({"source":"huggingface","repo_id":")" + _settings.hfRepo +
                                             R"(","filename":")" + file + R"(","folder_type":")" +
                                             _settings.downloadFolder + "\"}",
                                         _admin);
    expect(answer, 200, "POST model-download/download");
    std::lock_guard lock(_jobsMutex);
    _jobs.emplace_back(answer.json()->getValue<std::string>("job_id"), file);
}

void SoakOperations::reload() const
{
    expect(_client.request("POST", "/mss-login/api/admin/policies/reload", "", _admin), 200,
           "POST /mss-login/api/admin/policies/reload");
}

std::size_t SoakOperations::downloadsQueued() const
{
    std::lock_guard lock(_jobsMutex);
    return _jobs.size();
}

void SoakOperations::verifyDownloads(SoakRecorder& recorder, int timeoutSeconds)
{
    std::vector<std::pair<std::string, std::string>> jobs;
    {
        std::lock_guard lock(_jobsMutex);
        jobs = _jobs;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    for (const auto& [id, file] : jobs) {
        std::string status;
        std::string error;
        while (true) {
            const auto answer = _client.get(downloadBase + "/jobs/" + id, _admin);
            if (answer.status != 200) {
                error = "GET jobs/" + id + " answered " + std::to_string(answer.status);
                break;
            }
            const auto job = answer.json()->getObject("job");
            status = job->getValue<std::string>("status");
            if (status == "completed" || status == "failed" || status == "cancelled") {
                error = job->optValue<std::string>("error", "");
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                error = "still " + status + " at the end of the wait";
                break;
            }
            std::this_thread::sleep_for(50ms);
        }
        const std::filesystem::path published =
            std::filesystem::path(_settings.modelsDir) / _settings.downloadFolder / file;
        if (status != "completed")
            recorder.failure("download-result", "job " + id + " (" + file + ") " + status + ": " + error);
        else if (!std::filesystem::is_regular_file(published))
            recorder.failure("download-result", "job " + id + " completed but " + published.string() + " is missing");
        else
            recorder.success("download-result", 0);
    }
}

} // namespace comfygate::soak

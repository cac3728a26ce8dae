#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>

#include <map>
#include <string>
#include <vector>

namespace comfygate::fakes {

class FakeComfyUI;

/// Answers one request of the fake: mechanics of §1 (recording, fault switches, origin guard,
/// OPTIONS, body cap, 404/405, `/api` twins) and then the route.
class FakeComfyRequestHandler : public Poco::Net::HTTPRequestHandler
{
public:
    explicit FakeComfyRequestHandler(FakeComfyUI& server) : _server(server) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

    /// Per-request state handed to route functions.
    struct Exchange
    {
        Poco::Net::HTTPServerRequest& request;
        Poco::Net::HTTPServerResponse& response;
        std::string body;
        std::vector<std::pair<std::string, std::string>> query; ///< decoded, in order
        std::map<std::string, std::string> params;              ///< decoded path parameters

        bool hasQuery(const std::string& name) const;
        std::string queryValue(const std::string& name, const std::string& fallback = {}) const;
    };

private:
    using Route = void (FakeComfyRequestHandler::*)(Exchange&);
    struct RouteSpec
    {
        const char* method;
        const char* pattern;
        bool internal; ///< `/internal/*`: no `/api` twin
        Route route;
    };
    static const std::vector<RouteSpec>& routes();
    bool originRejected(const Poco::Net::HTTPServerRequest& request) const;
    /// `/__fake/*` control routes for an out-of-process fake: never recorded, delayed or failed.
    void handleTestHook(Exchange& exchange, const std::string& path);

    void sendJson(Exchange& exchange, const Poco::Dynamic::Var& value, int status = 200);
    void sendText(Exchange& exchange, int status, const std::string& text);
    void sendEmpty(Exchange& exchange, int status = 200);
    /// Parses the body as JSON; throws (→ 500 like aiohttp) when it is not valid.
    Poco::Dynamic::Var bodyJson(const Exchange& exchange) const;

    void getWebSocket(Exchange& exchange);
    void getEmbeddings(Exchange& exchange);
    void getModelTypes(Exchange& exchange);
    void getModels(Exchange& exchange);
    void getExtensions(Exchange& exchange);
    void postUploadImage(Exchange& exchange);
    void postUploadMask(Exchange& exchange);
    void getView(Exchange& exchange);
    void getSystemStats(Exchange& exchange);
    void getFeatures(Exchange& exchange);
    void getPrompt(Exchange& exchange);
    void postPrompt(Exchange& exchange);
    void getObjectInfo(Exchange& exchange);
    void getObjectInfoClass(Exchange& exchange);
    void getJobs(Exchange& exchange);
    void getJob(Exchange& exchange);
    void getHistory(Exchange& exchange);
    void getHistoryItem(Exchange& exchange);
    void getQueue(Exchange& exchange);
    void postQueue(Exchange& exchange);
    void postInterrupt(Exchange& exchange);
    void postFree(Exchange& exchange);
    void postHistory(Exchange& exchange);
    void getUsers(Exchange& exchange);
    void postUsers(Exchange& exchange);
    void getUserdataList(Exchange& exchange);
    void getUserdataFile(Exchange& exchange);
    void postUserdataFile(Exchange& exchange);
    void deleteUserdataFile(Exchange& exchange);
    void postUserdataMove(Exchange& exchange);
    void getUserdataV2(Exchange& exchange);
    void getSettings(Exchange& exchange);
    void getSetting(Exchange& exchange);
    void postSettings(Exchange& exchange);
    void postSetting(Exchange& exchange);
    void getViewMetadata(Exchange& exchange);
    void getExperimentModels(Exchange& exchange);
    void getExperimentModelFolder(Exchange& exchange);
    void getExperimentModelPreview(Exchange& exchange);
    void getWorkflowTemplates(Exchange& exchange);
    void getI18n(Exchange& exchange);
    void getGlobalSubgraphs(Exchange& exchange);
    void getGlobalSubgraph(Exchange& exchange);
    void getManagerQueueStatus(Exchange& exchange);
    void postManagerQueueInstall(Exchange& exchange);
    void getInternalLogs(Exchange& exchange);
    void getInternalLogsRaw(Exchange& exchange);
    void patchInternalLogsSubscribe(Exchange& exchange);
    void getInternalFolderPaths(Exchange& exchange);
    void getInternalFiles(Exchange& exchange);

    /// user/<comfy-user>/<file> like UserManager.get_request_user_filepath; empty when refused.
    /// Throws std::out_of_range for an unknown user (→ 500 like the KeyError upstream).
    std::string userFilePath(const Exchange& exchange, const std::string* file) const;
    void upload(Exchange& exchange, bool mask);
    /// The caller's comfy.settings.json as an object (empty when missing or unreadable).
    Poco::JSON::Object::Ptr loadSettings(const std::string& path) const;
    void saveSettings(const std::string& path, const Poco::JSON::Object::Ptr& settings) const;
    /// userFilePath for settings: an unknown user answers 401 instead of 500.
    bool settingsPath(Exchange& exchange, std::string& path);

    FakeComfyUI& _server;
};

} // namespace comfygate::fakes

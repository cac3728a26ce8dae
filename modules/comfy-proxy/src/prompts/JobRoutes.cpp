#include "JobRoutes.h"

#include "LostPrompts.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <set>

namespace comfygate::comfyproxy {
namespace {

Poco::JSON::Object::Ptr jsonObject(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

void JobRoutes::registerAll(RouteRegistry& routes)
{
    auto list = RouteSpec::make("GET", "/api/jobs", Access::Permission, "your jobs (status, sort, limit, offset)",
                                [this](HttpExchange& e) { this->list(e); }, "can_access_api");
    list.apiTwin = true;
    routes.add(list);
    auto detail = RouteSpec::make("GET", "/api/jobs/{job_id}", Access::Permission, "one of your jobs",
                                  [this](HttpExchange& e) { this->detail(e); }, "can_access_api");
    detail.apiTwin = true;
    routes.add(detail);
}

void JobRoutes::list(HttpExchange& exchange)
{
    const bool everyone = _scope.seesEveryone(exchange.principal());
    if (everyone && !_hosts.several()) {
        _hosts.primary().client().forward(exchange);
        return;
    }
    // Same validation as ComfyUI, applied to the caller's own list.
    std::optional<long long> limit;
    long long offset = 0;
    if (const auto text = exchange.query("limit")) {
        Poco::Int64 value = 0;
        if (!Poco::NumberParser::tryParse64(*text, value) || value <= 0)
            throw HttpError(400, "limit must be a positive integer");
        limit = value;
    }
    if (const auto text = exchange.query("offset")) {
        Poco::Int64 value = 0;
        if (!Poco::NumberParser::tryParse64(*text, value))
            throw HttpError(400, "offset must be an integer");
        offset = std::max<long long>(0, value);
    }
    Poco::URI upstream("/api/jobs");
    for (const auto& [name, value] : exchange.queryParameters()) {
        if (name != "limit" && name != "offset")
            upstream.addQueryParameter(name, value);
    }
    const auto mine = everyone ? std::set<std::string>() : _owners.promptsOf(exchange.principal().userId);
    std::vector<Poco::JSON::Object::Ptr> kept;
    std::set<std::string> present;
    bool answered = false;
    for (UpstreamHost* host : _hosts.reachable()) {
        UpstreamClient::Answer answer;
        try {
            answer = host->client().fetch("GET", upstream.getPathAndQuery());
        } catch (const HttpError& e) {
            if (!_hosts.several())
                throw;
            host->noteError(e.what());
            continue;
        }
        if (answer.status != 200) {
            if (!_hosts.several() || answer.status == 400) { // 400: the query itself is wrong, on every host
                UpstreamClient::relay(exchange, answer);
                return;
            }
            continue;
        }
        answered = true;
        if (auto jobs = jsonObject(answer.body)->getArray("jobs")) {
            for (std::size_t i = 0; i < jobs->size(); ++i) {
                auto job = jobs->getObject(static_cast<unsigned>(i));
                if (job && (everyone || mine.count(job->optValue<std::string>("id", "")))) {
                    present.insert(job->optValue<std::string>("id", ""));
                    kept.push_back(job);
                }
            }
        }
    }
    if (!answered)
        throw HttpError(502, "no ComfyUI host answered GET /api/jobs: comfygate upstreams shows their state",
                        "upstream_unavailable");
    if (_hosts.several()) {
        const auto status = exchange.query("status");
        if (!status || status->find("failed") != std::string::npos) {
            for (const auto& failure : _owners.failures(everyone ? "" : exchange.principal().userId))
                if (!present.count(failure.promptId))
                    kept.push_back(LostPrompts::job(failure));
        }
        const bool ascending = exchange.query("sort_order").value_or("desc") == "asc";
        std::stable_sort(kept.begin(), kept.end(), [ascending](const auto& a, const auto& b) {
            const double left = a->has("create_time") ? a->get("create_time").template convert<double>() : 0;
            const double right = b->has("create_time") ? b->get("create_time").template convert<double>() : 0;
            return ascending ? left < right : left > right;
        });
    }
    Poco::JSON::Array::Ptr owned = new Poco::JSON::Array;
    for (const auto& job : kept)
        owned->add(job);
    const auto total = static_cast<long long>(owned->size());
    Poco::JSON::Array::Ptr page = new Poco::JSON::Array;
    const long long end = limit ? std::min(total, offset + *limit) : total;
    for (long long i = offset; i < end; ++i)
        page->add(owned->get(static_cast<unsigned>(i)));
    Poco::JSON::Object::Ptr pagination = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    pagination->set("offset", offset);
    pagination->set("limit", limit ? Poco::Dynamic::Var(*limit) : Poco::Dynamic::Var());
    pagination->set("total", total);
    pagination->set("has_more", end < total);
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("jobs", page);
    body->set("pagination", pagination);
    exchange.sendJson(200, body);
}

void JobRoutes::detail(HttpExchange& exchange)
{
    const std::string& id = exchange.param("job_id");
    const auto submitter = _owners.submitterOf(id);
    if (!_scope.seesEveryone(exchange.principal())) {
        if (!submitter || submitter->userId != exchange.principal().userId)
            throw HttpError(404, "Job not found");
    }
    UpstreamHost& host = _hosts.hostFor(submitter ? submitter->upstream : "");
    if (_hosts.several() && submitter) {
        // Lost with its host: the gateway's own entry, whether or not the host is back.
        for (const auto& failure : _owners.failures(submitter->userId)) {
            if (failure.promptId != id)
                continue;
            UpstreamClient::Answer answer;
            try {
                if (host.usable())
                    answer = host.client().fetch("GET", exchange.request().getURI());
            } catch (const HttpError&) {
            }
            if (answer.status != 200)
                return exchange.sendJson(200, LostPrompts::job(failure));
        }
    }
    const auto answer = host.client().fetch("GET", exchange.request().getURI());
    if (answer.status != 200) {
        UpstreamClient::relay(exchange, answer);
        return;
    }
    auto job = jsonObject(answer.body);
    if (auto workflow = job->getObject("workflow"))
        UserScope::scrubApiKeys(workflow->getObject("extra_data"));
    exchange.sendJson(200, job);
}

} // namespace comfygate::comfyproxy

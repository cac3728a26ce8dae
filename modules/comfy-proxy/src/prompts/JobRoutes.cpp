#include "JobRoutes.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"
#include "comfygate/Route.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/URI.h>

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
    if (_scope.seesEveryone(exchange.principal())) {
        _upstream.forward(exchange);
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
    const auto answer = _upstream.fetch("GET", upstream.getPathAndQuery());
    if (answer.status != 200) {
        UpstreamClient::relay(exchange, answer);
        return;
    }
    const auto all = jsonObject(answer.body);
    const auto mine = _owners.promptsOf(exchange.principal().userId);
    Poco::JSON::Array::Ptr owned = new Poco::JSON::Array;
    if (auto jobs = all->getArray("jobs")) {
        for (std::size_t i = 0; i < jobs->size(); ++i) {
            auto job = jobs->getObject(static_cast<unsigned>(i));
            if (job && mine.count(job->optValue<std::string>("id", "")))
                owned->add(job);
        }
    }
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
    if (!_scope.seesEveryone(exchange.principal())) {
        const auto owner = _owners.ownerOf(exchange.param("job_id"));
        if (!owner || *owner != exchange.principal().userId)
            throw HttpError(404, "Job not found");
    }
    const auto answer = _upstream.fetch("GET", exchange.request().getURI());
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

#include "CatalogDownloadRoutes.h"

#include "CatalogRoutes.h"
#include "comfygate/HttpError.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace comfygate::civitaicatalog {

namespace {

constexpr std::size_t maxBatch = 1000;
constexpr int defaultStreamSeconds = 60;
constexpr int maxStreamSeconds = 3600;

std::string jsonText(const Poco::Dynamic::Var& value)
{
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

/// The batch body: `["a.safetensors", ...]` or `{"files": [...]}`.
std::vector<std::string> batchFiles(const std::string& body)
{
    Poco::JSON::Array::Ptr list;
    try {
        const auto parsed = Poco::JSON::Parser().parse(body);
        if (parsed.type() == typeid(Poco::JSON::Array::Ptr))
            list = parsed.extract<Poco::JSON::Array::Ptr>();
        else if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            list = parsed.extract<Poco::JSON::Object::Ptr>()->getArray("files");
    } catch (const Poco::Exception&) {
    }
    if (!list)
        throw HttpError(400, "the body must be a JSON list of file names (or {\"files\": [...]})", "invalid_request");
    if (list->size() > maxBatch)
        throw HttpError(400, "at most " + std::to_string(maxBatch) + " files per batch", "invalid_request");
    std::vector<std::string> files;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto item = list->get(static_cast<unsigned>(i));
        if (!item.isString() || item.extract<std::string>().empty())
            throw HttpError(400, "item " + std::to_string(i) + " of the list is not a file name", "invalid_request");
        files.push_back(item.extract<std::string>());
    }
    return files;
}

} // namespace

void CatalogDownloadRoutes::registerAll(RouteRegistry& routes)
{
    routes.add(RouteSpec::make(
        "POST", "/api/admin/models/download/{filename}", Access::Permission,
        "download a catalog entry's file through the model-download queue",
        [this](HttpExchange& exchange) { download(exchange); }, CatalogRoutes::managePermission));
    routes.add(RouteSpec::make(
        "POST", "/api/admin/models/download-batch", Access::Permission,
        "download several catalog entries (body: a JSON list of file names)",
        [this](HttpExchange& exchange) { downloadBatch(exchange); }, CatalogRoutes::managePermission));
    routes.add(RouteSpec::make(
        "GET", "/api/admin/models/status", Access::Permission,
        "Server-Sent Events, once per second: the catalog's downloads (?once=1, ?seconds=N)",
        [this](HttpExchange& exchange) { status(exchange); }, CatalogRoutes::readPermission));
}

Poco::JSON::Object::Ptr CatalogDownloadRoutes::queueAudited(HttpExchange& exchange, const std::string& file)
{
    auto answer = _downloads.queue(file, exchange.principal(), exchange.client().toString());
    if (answer->getValue<std::string>("status") == "queued")
        _audit.record(
            {exchange.principal().username, "catalog.download", file, exchange.client().toString(), jsonText(answer)});
    return answer;
}

void CatalogDownloadRoutes::download(HttpExchange& exchange)
{
    exchange.sendJson(200, queueAudited(exchange, exchange.param("filename")));
}

void CatalogDownloadRoutes::downloadBatch(HttpExchange& exchange)
{
    Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
    // One refusal does not stop the others: each file gets its own answer.
    for (const auto& file : batchFiles(exchange.body())) {
        try {
            results->add(queueAudited(exchange, file));
        } catch (const HttpError& error) {
            Poco::JSON::Object::Ptr refused = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            refused->set("file", file);
            refused->set("status", "refused");
            refused->set("code", error.status());
            refused->set("error", std::string(error.what()));
            results->add(refused);
        }
    }
    Poco::JSON::Object::Ptr answer = new Poco::JSON::Object;
    answer->set("results", results);
    exchange.sendJson(200, answer);
}

void CatalogDownloadRoutes::status(HttpExchange& exchange)
{
    const bool once = exchange.query("once").value_or("") == "1";
    int seconds = defaultStreamSeconds;
    if (const auto asked = exchange.query("seconds")) {
        if (!Poco::NumberParser::tryParse(*asked, seconds) || seconds < 1 || seconds > maxStreamSeconds)
            throw HttpError(400, "seconds must be 1 to " + std::to_string(maxStreamSeconds), "invalid_request");
    }
    auto& response = exchange.response();
    response.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response.setContentType("text/event-stream");
    response.set("Cache-Control", "no-cache");
    response.set("X-Accel-Buffering", "no"); // nginx would otherwise hold events back
    response.setChunkedTransferEncoding(true);
    std::ostream& out = response.send();
    if (exchange.request().getMethod() == "HEAD")
        return;
    // A bounded lifetime: the handler holds a server thread; EventSource reconnects by itself.
    for (int sent = 1;; ++sent) {
        Poco::JSON::Object::Ptr event = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        event->set("downloads", _downloads.statuses());
        event->set("timestamp", static_cast<double>(Poco::Timestamp().epochMicroseconds()) / 1e6);
        out << "data: " << jsonText(event) << "\n\n";
        out.flush();
        if (!out || once || sent >= seconds)
            return; // a failed write: the client went away
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

} // namespace comfygate::civitaicatalog

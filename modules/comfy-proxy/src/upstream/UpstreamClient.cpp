#include "UpstreamClient.h"

#include "ClientBody.h"

#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/CountingStream.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace comfygate::comfyproxy {
namespace {

const std::set<std::string> droppedRequestHeaders{
    // hop by hop (RFC 9110 7.6.1)
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
    "content-length",
    // the gateway has already read (or answered) the client's Expect and sends the body at once
    "expect",
    // the client's credentials are the gateway's business, never ComfyUI's
    "authorization", "proxy-authorization", "cookie", "x-api-key", "x-session-id",
    // ComfyUI's origin guard answers 403 when Origin's host differs from its own
    "origin",
    // identity and routing headers a client must not set for itself
    "comfy-user", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded",
    "x-swarm-user_id", "x-user-id", "x-request-id"};

const std::set<std::string> droppedResponseHeaders{"connection", "keep-alive", "transfer-encoding",
                                                   "content-length", "set-cookie", "server", "date", "trailer",
                                                   "upgrade", "proxy-authenticate"};

/// Copies at most `limit` bytes; false when the source had more.
bool copyLimited(std::istream& in, std::ostream& out, std::size_t limit)
{
    char buffer[65536];
    std::size_t total = 0;
    while (in) {
        in.read(buffer, sizeof buffer);
        const auto got = static_cast<std::size_t>(in.gcount());
        total += got;
        if (total > limit)
            return false;
        out.write(buffer, static_cast<std::streamsize>(got));
    }
    return true;
}

/// Bodies are moved in blocks this large: a few syscalls per megabyte instead of 256.
constexpr std::size_t blockSize = 1 << 20;

/// Reads a body of `length` bytes whole, in blocks. A failure here is a 502, never a Poco
/// exception: the request has been answered, so fetch() must not send it again.
std::string readKnownLength(UpstreamSession& session, std::uint64_t length)
{
    std::string body(static_cast<std::size_t>(length), '\0');
    std::size_t got = 0;
    try {
        while (got < body.size()) {
            const std::size_t n = session.readBody(&body[got], body.size() - got);
            if (n == 0)
                break;
            got += n;
        }
    } catch (const Poco::Exception&) {
    }
    if (got < body.size())
        throw HttpError(502, "ComfyUI closed the connection in the middle of an answer", "upstream_unavailable");
    return body;
}

} // namespace

UpstreamClient::UpstreamClient(Settings settings) : _settings(std::move(settings)), _base(_settings.url)
{
    if (_base.getScheme() != "http" || _base.getHost().empty())
        throw std::invalid_argument("configuration key " + _settings.urlKey + ": '" + _settings.url +
                                    "' must be an http:// URL of the ComfyUI server");
}

bool UpstreamClient::isDropped(const std::string& lowerName) { return droppedRequestHeaders.count(lowerName) != 0; }

std::unique_ptr<UpstreamSession> UpstreamClient::acquire()
{
    {
        std::lock_guard lock(_mutex);
        if (!_idle.empty()) {
            auto session = std::move(_idle.back());
            _idle.pop_back();
            return session;
        }
    }
    auto session = std::make_unique<UpstreamSession>(_base.getHost(), _base.getPort());
    session->setKeepAlive(true);
    // Shorter than aiohttp's keep-alive, so Poco reconnects before ComfyUI closes on us.
    session->setKeepAliveTimeout(Poco::Timespan(10, 0));
    session->setTimeout(Poco::Timespan(_settings.timeoutSeconds, 0));
    return session;
}

void UpstreamClient::release(std::unique_ptr<UpstreamSession> session)
{
    std::lock_guard lock(_mutex);
    if (_idle.size() < _settings.maxIdleConnections)
        _idle.push_back(std::move(session));
}

void UpstreamClient::unreachable(const std::string& reason) const
{
    throw HttpError(502, "ComfyUI is not reachable at " + _settings.url + " (" + reason +
                             "): check that it runs and that " + _settings.urlKey + " points at it",
                    "upstream_unavailable");
}

UpstreamRequest UpstreamClient::requestFor(HttpExchange& exchange, const std::string& pathAndQuery,
                                           const std::map<std::string, std::string>& extraHeaders) const
{
    Poco::Net::HTTPServerRequest& in = exchange.request();
    UpstreamRequest out(in.getMethod(), pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : in) {
        if (!isDropped(Poco::toLower(name)))
            out.add(name, value);
    }
    for (const auto& [name, value] : extraHeaders)
        out.set(name, value);
    out.set("X-Forwarded-For", exchange.client().toString());
    out.setHost(_base.getHost(), _base.getPort());
    out.setKeepAlive(true);
    return out;
}

void UpstreamClient::forward(HttpExchange& exchange, const std::map<std::string, std::string>& extraHeaders)
{
    forward(exchange, exchange.request().getURI(), extraHeaders);
}

void UpstreamClient::forward(HttpExchange& exchange, const std::string& pathAndQuery,
                             const std::map<std::string, std::string>& extraHeaders)
{
    Poco::Net::HTTPServerRequest& in = exchange.request();
    UpstreamRequest out = requestFor(exchange, pathAndQuery, extraHeaders);
    const bool hasBody = in.hasContentLength() ? in.getContentLength64() > 0 : in.getChunkedTransferEncoding();
    if (in.hasContentLength())
        out.setContentLength64(in.getContentLength64());
    else if (hasBody)
        out.setChunkedTransferEncoding(true);
    std::function<void(std::ostream&)> writeBody;
    if (hasBody) {
        writeBody = [&](std::ostream& upload) {
            if (!copyLimited(in.stream(), upload, _settings.maxUploadBytes))
                throw HttpError(413, "the upload exceeds comfy.max_upload_mb");
        };
    }
    Stream stream = open(out, writeBody);
    relay(exchange, stream);
}

UpstreamClient::Stream UpstreamClient::open(Poco::Net::HTTPRequest& request,
                                            const std::function<void(std::ostream&)>& writeBody)
{
    Stream stream;
    stream.session = acquire();
    try {
        std::ostream& upload = stream.session->sendRequest(request);
        if (writeBody)
            writeBody(upload);
        stream.body = &stream.session->receiveResponse(stream.answer);
        return stream;
    } catch (const HttpError&) {
        throw;
    } catch (const Poco::Exception& e) {
        if (writeBody)
            unreachable(e.displayText());
    }
    // A keep-alive connection ComfyUI had already closed: one fresh try for bodiless requests.
    stream.session = acquire();
    stream.session->reset();
    stream.answer = Poco::Net::HTTPResponse();
    try {
        stream.session->sendRequest(request);
        stream.body = &stream.session->receiveResponse(stream.answer);
    } catch (const Poco::Exception& again) {
        unreachable(again.displayText());
    }
    return stream;
}

void UpstreamClient::relay(HttpExchange& exchange, Stream& stream, const std::string& alreadyRead)
{
    const Poco::Net::HTTPResponse& answer = stream.answer;
    Poco::Net::HTTPServerResponse& response = exchange.response();
    response.setStatusAndReason(answer.getStatus(), answer.getReason());
    for (const auto& [name, value] : answer) {
        if (!droppedResponseHeaders.count(Poco::toLower(name)))
            response.add(name, value);
    }
    const auto status = answer.getStatus();
    const bool bodiless = status < 200 || status == Poco::Net::HTTPResponse::HTTP_NO_CONTENT ||
                          status == Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED;
    if (answer.hasContentLength())
        response.setContentLength64(answer.getContentLength64());
    else if (!bodiless) // a chunked 304 would leave a stray "0" chunk on the client's connection
        response.setChunkedTransferEncoding(true);
    std::ostream& client = response.send();
    if (exchange.request().getMethod() != "HEAD" && !bodiless) {
        client.write(alreadyRead.data(), static_cast<std::streamsize>(alreadyRead.size()));
        if (answer.hasContentLength()) {
            const auto length = static_cast<std::uint64_t>(answer.getContentLength64());
            if (!copyKnownLength(exchange, stream, client, length - std::min<std::uint64_t>(length, alreadyRead.size())))
                return;
        } else {
            Poco::StreamCopier::copyStream64(*stream.body, client, 65536);
        }
    }
    if (answer.getKeepAlive() && client)
        release(std::move(stream.session));
}

bool UpstreamClient::copyKnownLength(HttpExchange& exchange, Stream& stream, std::ostream& client,
                                     std::uint64_t remaining)
{
    std::vector<char> block(static_cast<std::size_t>(std::min<std::uint64_t>(blockSize, remaining)));
    // What the body stream already read ahead (a handler looked at the first bytes) goes first.
    while (remaining > 0 && stream.body->rdbuf()->in_avail() > 0) {
        const auto n = stream.body->readsome(block.data(), static_cast<std::streamsize>(block.size()));
        client.write(block.data(), n);
        remaining -= static_cast<std::uint64_t>(n);
    }
    if (!client)
        return false;
    ClientBody body(exchange, client);
    while (remaining > 0) {
        std::size_t n = 0;
        try {
            n = stream.session->readBody(block.data(),
                                         static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), remaining)));
        } catch (const Poco::Exception&) {
        }
        if (n == 0)
            return false; // ComfyUI went away: the client's answer is cut short, as it would be
        remaining -= n;
        if (!body.write(block.data(), n))
            return false; // the client went away
    }
    return true;
}

Poco::Dynamic::Var UpstreamClient::fetchJson(HttpExchange& exchange)
{
    const auto answer = fetch("GET", exchange.request().getURI());
    if (answer.status != 200) {
        relay(exchange, answer);
        return {};
    }
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true)); // keep ComfyUI's key order
        return parser.parse(answer.body);
    } catch (...) {
        throw HttpError(502, "ComfyUI answered " + exchange.request().getURI() + " with something that is not JSON");
    }
}

void UpstreamClient::relay(HttpExchange& exchange, const Answer& answer)
{
    exchange.sendText(answer.status, answer.contentType.empty() ? "application/json" : answer.contentType, answer.body);
}

UpstreamClient::Answer UpstreamClient::fetch(const std::string& method, const std::string& pathAndQuery,
                                             const std::string& body,
                                             const std::map<std::string, std::string>& extraHeaders)
{
    UpstreamRequest out(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : extraHeaders)
        out.set(name, value);
    out.setHost(_base.getHost(), _base.getPort());
    out.setKeepAlive(true);
    if (!body.empty() || method == "POST") {
        out.setContentType("application/json");
        out.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto session = acquire();
        if (attempt > 0)
            session->reset();
        try {
            session->sendRequest(out) << body;
            Poco::Net::HTTPResponse response;
            Answer answer;
            std::istream& received = session->receiveResponse(response);
            const auto status = response.getStatus();
            // Poco's stream knows that these have no body whatever their Content-Length says.
            const bool bodiless = method == "HEAD" || status < 200 || status == Poco::Net::HTTPResponse::HTTP_NO_CONTENT ||
                                  status == Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED;
            if (!bodiless && response.hasContentLength())
                answer.body = readKnownLength(*session, static_cast<std::uint64_t>(response.getContentLength64()));
            else
                Poco::StreamCopier::copyToString(received, answer.body);
            answer.status = static_cast<int>(response.getStatus());
            answer.contentType = response.getContentType();
            if (response.getKeepAlive())
                release(std::move(session));
            return answer;
        } catch (const Poco::Exception& e) {
            if (attempt == 1)
                unreachable(e.displayText());
        }
    }
    unreachable("no answer");
}

} // namespace comfygate::comfyproxy

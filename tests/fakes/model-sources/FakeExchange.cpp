#include "FakeExchange.h"

#include "FixtureFile.h"

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

namespace comfygate::fakes {

void StopSignal::stop()
{
    std::lock_guard lock(_mutex);
    _stopping = true;
    _wake.notify_all();
}

void StopSignal::rearm()
{
    std::lock_guard lock(_mutex);
    _stopping = false;
}

bool StopSignal::sleepFor(std::chrono::milliseconds duration)
{
    std::unique_lock lock(_mutex);
    return !_wake.wait_for(lock, duration, [this] { return _stopping; });
}

namespace {

std::string decode(const std::string& text, bool plusIsSpace)
{
    std::string plain = text;
    if (plusIsSpace)
        std::replace(plain.begin(), plain.end(), '+', ' ');
    std::string decoded;
    Poco::URI::decode(plain, decoded);
    return decoded;
}

} // namespace

FakeExchange::FakeExchange(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                           LogEntry& entry, StopSignal& stop)
    : _request(request), _response(response), _entry(entry), _stop(stop)
{
    const std::string& uri = request.getURI();
    const auto question = uri.find('?');
    _rawPath = uri.substr(0, question);
    if (question != std::string::npos)
        _rawQuery = uri.substr(question + 1);
    std::istringstream path(_rawPath);
    for (std::string segment; std::getline(path, segment, '/');)
        if (!segment.empty())
            _segments.push_back(decode(segment, false));
    std::istringstream query(_rawQuery);
    for (std::string pair; std::getline(query, pair, '&');) {
        if (pair.empty())
            continue;
        const auto equals = pair.find('=');
        _query.emplace_back(decode(pair.substr(0, equals), true),
                            equals == std::string::npos ? std::string() : decode(pair.substr(equals + 1), true));
    }
    _response.set("Server", "fake-model-sources");
}

std::optional<std::string> FakeExchange::query(const std::string& name) const
{
    for (const auto& [key, value] : _query)
        if (key == name)
            return value;
    return std::nullopt;
}

std::string FakeExchange::header(const std::string& name) const
{
    return _request.get(name, "");
}

std::string FakeExchange::bearerToken() const
{
    const std::string value = header("Authorization");
    const std::string prefix = "Bearer ";
    if (value.size() <= prefix.size() || Poco::icompare(value.substr(0, prefix.size()), prefix) != 0)
        return {};
    return value.substr(prefix.size());
}

std::string FakeExchange::readBody()
{
    std::string body;
    Poco::StreamCopier::copyToString(_request.stream(), body);
    return body;
}

void FakeExchange::record(int status)
{
    _entry.status = status;
    if (_response.has("Location"))
        _entry.location = _response.get("Location");
}

void FakeExchange::send(int status, const std::string& contentType, const std::string& body)
{
    _response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    if (!contentType.empty())
        _response.setContentType(contentType);
    _response.setContentLength64(body.size());
    record(status);
    std::ostream& out = _response.send();
    if (!isHead()) {
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        out.flush();
        if (out.good())
            _entry.bytesSent = body.size();
    }
}

void FakeExchange::sendJson(int status, const Poco::JSON::Object::Ptr& json)
{
    std::ostringstream text;
    json->stringify(text);
    send(status, "application/json; charset=utf-8", text.str());
}

void FakeExchange::sendJson(int status, const Poco::Dynamic::Var& json)
{
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(json, text);
    send(status, "application/json; charset=utf-8", text.str());
}

void FakeExchange::sendError(int status, const std::string& message)
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
    json->set("error", message);
    sendJson(status, json);
}

void FakeExchange::redirect(int status, const std::string& location, const std::string& body)
{
    _response.set("Location", location);
    send(status, body.empty() ? "" : "text/plain; charset=utf-8", body);
}

void FakeExchange::sendEmpty(int status)
{
    _response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    _response.setContentLength(0);
    record(status);
    _response.send().flush();
}

void FakeExchange::sendFileBytes(const FixtureFile& file, std::uint64_t first, std::uint64_t length, const Fault& fault)
{
    const std::uint64_t declared = fault.badContentLength.value_or(length);
    // truncate_after and stall_after are file offsets: a response that starts before the
    // offset breaks there, a resumed one that starts at or after it goes through
    // (offset 0 breaks every response that starts at 0).
    std::uint64_t limit = length;
    auto breaksHere = [&](const std::optional<std::uint64_t>& offset) {
        return offset && (*offset > first || *offset == 0) && *offset >= first && *offset < first + length;
    };
    if (breaksHere(fault.truncateAfter))
        limit = *fault.truncateAfter - first;
    const bool stallHere = breaksHere(fault.stallAfter);
    const std::uint64_t stallAt = stallHere ? *fault.stallAfter - first : 0;
    // A response that lies about its length cannot leave the connection reusable.
    if (fault.badContentLength || limit < length)
        _response.setKeepAlive(false);
    _response.setContentLength64(declared);
    record(_response.getStatus());
    std::ostream& out = _response.send();
    if (isHead())
        return;

    auto& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(_request).socket();
    const std::uint64_t throttle = fault.throttleBps.value_or(0);
    const std::size_t chunkSize =
        throttle ? static_cast<std::size_t>(std::clamp<std::uint64_t>(throttle / 20, 1, 65536)) : 65536;
    std::vector<char> chunk(chunkSize);
    const auto started = std::chrono::steady_clock::now();
    bool stalled = !stallHere;
    std::uint64_t sent = 0;
    try {
        while (sent < limit) {
            if (!stalled && sent >= stallAt) {
                stalled = true;
                out.flush();
                if (!_stop.sleepFor(std::chrono::milliseconds(fault.stallMs.value_or(0))))
                    break;
            }
            std::uint64_t want = std::min<std::uint64_t>(chunkSize, limit - sent);
            if (!stalled)
                want = std::min(want, stallAt - sent);
            const std::size_t n = static_cast<std::size_t>(want);
            file.read(first + sent, chunk.data(), n);
            if (fault.corruptAt && *fault.corruptAt >= first + sent && *fault.corruptAt < first + sent + n)
                chunk[static_cast<std::size_t>(*fault.corruptAt - first - sent)] ^= static_cast<char>(0xFF);
            if (sent < declared) {
                const std::size_t inDeclared = static_cast<std::size_t>(std::min<std::uint64_t>(n, declared - sent));
                out.write(chunk.data(), static_cast<std::streamsize>(inDeclared));
                if (inDeclared < n) {
                    // Beyond the declared length: bypass the length-capped stream.
                    out.flush();
                    if (!out.good())
                        break;
                    _entry.bytesSent = sent + inDeclared;
                    socket.sendBytes(chunk.data() + inDeclared, static_cast<int>(n - inDeclared));
                }
            } else {
                socket.sendBytes(chunk.data(), static_cast<int>(n));
            }
            if (!out.good())
                break;
            sent += n;
            _entry.bytesSent = sent;
            if (throttle) {
                out.flush();
                const auto due = started + std::chrono::microseconds(sent * 1000000 / throttle);
                const auto wait =
                    std::chrono::duration_cast<std::chrono::milliseconds>(due - std::chrono::steady_clock::now());
                if (wait.count() > 0 && !_stop.sleepFor(wait))
                    break;
            }
        }
        out.flush();
        if (sent < declared || fault.badContentLength)
            socket.shutdown();
    } catch (const Poco::Exception&) {
        // The client went away: what was sent is recorded.
    }
}

} // namespace comfygate::fakes

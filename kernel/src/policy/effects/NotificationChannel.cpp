#include "NotificationChannel.h"

#include "OutboundAddressGuard.h"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Logger.h>
#include <Poco/URI.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>
#include <stdexcept>

namespace comfygate {

namespace {

Poco::JSON::Object::Ptr parseFields(const std::string& json)
{
    const auto value = Poco::JSON::Parser().parse(json);
    if (value.type() == typeid(Poco::JSON::Object::Ptr))
        return value.extract<Poco::JSON::Object::Ptr>();
    return new Poco::JSON::Object;
}

// A field as header text: strings as they are, lists joined with commas, numbers printed.
std::string headerText(const Poco::Dynamic::Var& value)
{
    if (value.type() == typeid(Poco::JSON::Array::Ptr)) {
        std::string text;
        for (const auto& item : *value.extract<Poco::JSON::Array::Ptr>())
            text += (text.empty() ? "" : ",") + item.convert<std::string>();
        return text;
    }
    std::string text = value.convert<std::string>();
    for (char& c : text) {
        if (c == '\r' || c == '\n')
            c = ' ';
    }
    return text;
}

} // namespace

NotificationChannel::NotificationChannel(NotificationChannelSettings settings) : _settings(std::move(settings))
{
    if (_settings.type != "log")
        _host = Poco::URI(_settings.url).getHost();
}

std::string NotificationChannel::signature(const std::string& secret, const std::string& timestamp,
                                           const std::string& body)
{
    const std::string signed_ = timestamp + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              reinterpret_cast<const unsigned char*>(signed_.data()), signed_.size(), mac, &size))
        throw std::runtime_error("HMAC-SHA256 failed");
    return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(mac, mac + size));
}

HttpClientRequest NotificationChannel::request(const std::string& body, std::chrono::milliseconds timeout) const
{
    HttpClientRequest request;
    request.method = "POST";
    request.url = _settings.url;
    request.body = body;
    request.connectTimeout = timeout;
    request.totalTimeout = timeout;
    request.followRedirects = false;
    request.maxBytes = 64 * 1024;
    request.allowAddress = outboundAddressGuard(_host);
    return request;
}

void NotificationChannel::send(HttpClient& client, const Notification& notification, std::int64_t sentAt,
                               std::chrono::milliseconds timeout) const
{
    if (_settings.type == "log") {
        Poco::Logger::get("policy").notice("notification on channel '%s': %s %s", _settings.name,
                                           notification.message, notification.fieldsJson);
        return;
    }
    if (_settings.type == "ntfy")
        sendNtfy(client, notification, timeout);
    else
        sendWebhook(client, notification, sentAt, timeout);
}

void NotificationChannel::sendWebhook(HttpClient& client, const Notification& notification, std::int64_t sentAt,
                                      std::chrono::milliseconds timeout) const
{
    Poco::JSON::Object payload(Poco::JSON_PRESERVE_KEY_ORDER);
    payload.set("id", notification.id);
    payload.set("channel", notification.channel);
    payload.set("message", notification.message);
    payload.set("fields", parseFields(notification.fieldsJson));
    payload.set("sent_at", sentAt);
    std::ostringstream body;
    Poco::JSON::Stringifier::condense(payload, body);

    HttpClientRequest request = this->request(body.str(), timeout);
    request.headers.emplace_back("Content-Type", "application/json");
    if (!_settings.secret.empty()) {
        const std::string timestamp = std::to_string(sentAt);
        request.headers.emplace_back("X-Comfygate-Timestamp", timestamp);
        request.headers.emplace_back("X-Comfygate-Signature",
                                     "sha256=" + signature(_settings.secret, timestamp, request.body));
    }
    const auto response = client.perform(request);
    if (response.status < 200 || response.status > 299)
        throw std::runtime_error("webhook answered HTTP " + std::to_string(response.status));
}

void NotificationChannel::sendNtfy(HttpClient& client, const Notification& notification,
                                   std::chrono::milliseconds timeout) const
{
    HttpClientRequest request = this->request(notification.message, timeout);
    request.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    const auto fields = parseFields(notification.fieldsJson);
    for (const auto& [field, header] : {std::pair{"title", "Title"}, {"tags", "Tags"}, {"priority", "Priority"}}) {
        if (fields->has(field) && !fields->get(field).isEmpty())
            request.headers.emplace_back(header, headerText(fields->get(field)));
    }
    if (!_settings.token.empty())
        request.authorization = "Bearer " + _settings.token;
    const auto response = client.perform(request);
    if (response.status < 200 || response.status > 299)
        throw std::runtime_error("ntfy answered HTTP " + std::to_string(response.status));
}

} // namespace comfygate

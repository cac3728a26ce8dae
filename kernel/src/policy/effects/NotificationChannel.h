#pragma once

#include "PolicyEffectsSettings.h"

#include "comfygate/HttpClient.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace comfygate {

/// One queued notification as the outbox hands it to a channel.
struct Notification
{
    std::int64_t id = 0;
    std::string channel;
    std::string message;
    std::string fieldsJson = "{}";
};

/// Delivers notifications to one configured channel, by its type:
///  - webhook: POST of JSON `{id, channel, message, fields, sent_at}`; with a secret, signed:
///    `X-Comfygate-Timestamp: <sent_at>` and
///    `X-Comfygate-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`;
///  - ntfy: POST of the message as the body, `Title`, `Tags` and `Priority` from the fields
///    title, tags (a string or a list) and priority when present, `Authorization: Bearer
///    <token>` when a token is set;
///  - log: a line on the "policy" logger.
/// Only the configured URL is contacted: redirects are not followed, and a loopback address
/// is refused unless the configured host is loopback.
class NotificationChannel
{
public:
    explicit NotificationChannel(NotificationChannelSettings settings);

    /// Sends; throws (HttpClientError, std::runtime_error for a non-2xx answer) on failure.
    void send(HttpClient& client, const Notification& notification, std::int64_t sentAt,
              std::chrono::milliseconds timeout) const;

    /// The hex HMAC-SHA256 of `timestamp + "." + body` under `secret` (what receivers check).
    static std::string signature(const std::string& secret, const std::string& timestamp, const std::string& body);

    const NotificationChannelSettings& settings() const { return _settings; }

private:
    HttpClientRequest request(const std::string& body, std::chrono::milliseconds timeout) const;
    void sendWebhook(HttpClient& client, const Notification& notification, std::int64_t sentAt,
                     std::chrono::milliseconds timeout) const;
    void sendNtfy(HttpClient& client, const Notification& notification, std::chrono::milliseconds timeout) const;

    NotificationChannelSettings _settings;
    std::string _host;
};

} // namespace comfygate

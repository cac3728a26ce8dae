#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace comfygate {

/// A refusal of a policy effect that the script should see as a Lua error: an unknown
/// channel, a value over its size cap, a host outside the allow-list. The message says what
/// to do ("policy.notify: no channel 'ops'; configure policy.channels.ops.url").
class PolicyEffectError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/// The refusals the live and the simulated effects share, worded once so that a script's
/// test sees the same message as the server.
struct PolicyRefusals
{
    static PolicyEffectError kvValueTooLarge(std::size_t bytes, std::size_t limit)
    {
        return PolicyEffectError("policy.kv.set: the value is " + std::to_string(bytes) +
                                 " bytes as JSON; the limit is " + std::to_string(limit) +
                                 " (policy.kv.max_value_bytes)");
    }
    static PolicyEffectError kvTooManyKeys(const std::string& user, std::size_t limit)
    {
        return PolicyEffectError("policy.kv.set: user '" + user + "' already has " + std::to_string(limit) +
                                 " keys (policy.kv.max_keys_per_user); delete one with policy.kv.delete first");
    }
    static PolicyEffectError unknownChannel(const std::string& channel)
    {
        return PolicyEffectError("policy.notify: no channel '" + channel + "'; configure policy.channels." +
                                 channel + ".url (and .type)");
    }
};

/// Everything a policy script reaches beyond its own lua_State through the `policy` table:
/// the clock, counters, small per-user values, notifications, outbound HTTP and NSFW tags.
///
/// The server's engine uses the live effects (database, notification outbox, kernel HTTP
/// client, comfy-proxy's tag store). `comfygate policy test`, `policy check` and the dry-run
/// route use simulated effects: everything in memory, nothing leaves the process, the clock
/// can be set by a test.
///
/// Implementations are thread-safe: every worker thread's lua_State calls the same object.
/// Arguments arrive validated by the Lua bindings (names, sizes, TTL ranges); an
/// implementation throws PolicyEffectError for what only it can know (unknown channel, host
/// not allowed, per-user key count reached) and may throw other exceptions for failures
/// (a database error), which the bindings also turn into Lua errors.
class PolicyEffects
{
public:
    virtual ~PolicyEffects() = default;

    /// UTC seconds since the epoch (`policy.now()`; `policy.localtime(tz)` starts from it).
    virtual std::int64_t now() = 0;

    /// Adds `by` to the counter (name, key) and returns the new value, atomically. A counter
    /// that does not exist or has expired starts from 0 and expires `ttlSeconds` after this
    /// call; a live counter keeps its expiry.
    virtual std::int64_t counterIncrement(const std::string& name, const std::string& key,
                                          std::int64_t by, std::int64_t ttlSeconds) = 0;
    /// The counter's value; 0 when it does not exist or has expired.
    virtual std::int64_t counterGet(const std::string& name, const std::string& key) = 0;
    virtual void counterReset(const std::string& name, const std::string& key) = 0;

    /// A small per-user value, stored as JSON text; nullopt when absent.
    virtual std::optional<std::string> kvGet(const std::string& user, const std::string& key) = 0;
    virtual void kvSet(const std::string& user, const std::string& key, const std::string& json) = 0;
    virtual void kvDelete(const std::string& user, const std::string& key) = 0;

    /// Queues a notification for the channel `policy.channels.<channel>.*`; returns at once.
    /// `fieldsJson` is a JSON object text.
    virtual void notify(const std::string& channel, const std::string& message,
                        const std::string& fieldsJson) = 0;

    struct HttpCall
    {
        std::string method = "GET";
        std::string url;
        std::map<std::string, std::string> headers;
        std::string body;
    };
    struct HttpAnswer
    {
        int status = 0;
        std::string contentType;
        std::string body;
    };
    /// One outbound request to an allow-listed host, with the configured timeout and size cap
    /// (only from the asynchronous `event` hook).
    virtual HttpAnswer http(const HttpCall& call) = 0;

    /// Tags a ComfyUI output file (filename, subfolder, type) with NSFW tags
    /// (only from the `event` hook).
    virtual void tag(const std::string& filename, const std::string& subfolder,
                     const std::string& type, const std::vector<std::string>& tags) = 0;
};

} // namespace comfygate

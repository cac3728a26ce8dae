#include "AuditSearchRoute.h"

#include "Router.h"
#include "comfygate/HttpError.h"
#include "comfygate/HttpExchange.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

#include <regex>

namespace comfygate {
namespace {

std::string textParameter(const HttpExchange& exchange, const std::string& name, std::size_t maxLength)
{
    const std::string value = exchange.query(name).value_or("");
    if (value.size() > maxLength)
        throw HttpError::invalidParameter(name, "at most " + std::to_string(maxLength) + " characters");
    return value;
}

/// ISO 8601 UTC seconds of `since` / `until`: a date, or a date and time (minutes, seconds,
/// fraction optional) with an optional zone; no zone means UTC. Poco's DateTimeParser skips
/// what it does not understand, so the shape is checked here first.
Poco::Int64 timeParameter(const HttpExchange& exchange, const std::string& name, bool endOfDay)
{
    const std::string value = exchange.query(name).value_or("");
    if (value.empty())
        return 0;
    static const std::regex shape(
        R"(^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))?)?$)");
    std::smatch part;
    const auto number = [&part](int index) { return part[index].matched ? std::stoi(part[index]) : 0; };
    if (std::regex_match(value, part, shape)) {
        const int year = number(1), month = number(2), day = number(3), hour = number(4), minute = number(5),
                  second = number(6);
        if (Poco::DateTime::isValid(year, month, day, hour, minute, second) && number(9) < 24 && number(10) < 60) {
            Poco::Int64 seconds = Poco::DateTime(year, month, day, hour, minute, second).timestamp().epochTime();
            const Poco::Int64 zone = (number(9) * 3600 + number(10) * 60) * (part[8] == "-" ? -1 : 1);
            seconds -= zone;
            if (endOfDay && !part[4].matched)
                seconds += 86399; // a date as `until` includes that whole day
            return seconds;
        }
    }
    throw HttpError::invalidParameter(name,
                       "'" + value + "' is not a time; use ISO 8601 like 2026-12-07T20:00:00Z or a date 2026-12-07");
}

Poco::Int64 positiveParameter(const HttpExchange& exchange, const std::string& name, Poco::Int64 fallback)
{
    const auto value = exchange.query(name);
    if (!value || value->empty())
        return fallback;
    Poco::Int64 number = 0;
    if (!Poco::NumberParser::tryParse64(*value, number) || number <= 0)
        throw HttpError::invalidParameter(name, "'" + *value + "' is not a positive whole number");
    return number;
}

Poco::Dynamic::Var detailOf(const std::string& text)
{
    if (text.empty())
        return Poco::Dynamic::Var();
    try {
        return Poco::JSON::Parser().parse(text);
    } catch (const Poco::Exception&) {
        return text;
    }
}

std::string isoTime(Poco::Int64 seconds)
{
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(static_cast<std::time_t>(seconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

} // namespace

void AuditSearchRoute::registerOn(Router& router)
{
    auto route = RouteSpec::make(
        "GET", "/mss-login/api/admin/audit", Access::Permission,
        "the audit log, newest first: actor, action (prefix), target, since/until (ISO 8601), limit, before (paging)",
        [audit = &_audit](HttpExchange& exchange) { answer(*audit, exchange); }, "can_view_audit");
    route.apiTwin = true;
    router.add(route, "kernel");
}

AuditFilter AuditSearchRoute::filterOf(const HttpExchange& exchange)
{
    AuditFilter filter;
    filter.actor = textParameter(exchange, "actor", 200);
    filter.actionPrefix = textParameter(exchange, "action", 100);
    filter.target = textParameter(exchange, "target", 500);
    filter.since = timeParameter(exchange, "since", false);
    filter.until = timeParameter(exchange, "until", true);
    if (filter.since != 0 && filter.until != 0 && filter.since > filter.until)
        throw HttpError::invalidParameter("until", "is before since");
    filter.before = positiveParameter(exchange, "before", 0);
    const Poco::Int64 limit = positiveParameter(exchange, "limit", defaultLimit);
    if (limit > static_cast<Poco::Int64>(maxLimit))
        throw HttpError::invalidParameter("limit", "at most " + std::to_string(maxLimit) + " entries per page");
    filter.limit = static_cast<std::size_t>(limit);
    return filter;
}

void AuditSearchRoute::answer(const DatabaseAudit& audit, HttpExchange& exchange)
{
    AuditFilter filter = filterOf(exchange);
    // One row more than asked tells whether another page exists without a COUNT.
    const std::size_t pageSize = filter.limit;
    filter.limit = pageSize + 1;
    auto entries = audit.search(filter);
    const bool more = entries.size() > pageSize;
    if (more)
        entries.resize(pageSize);

    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& entry : entries) {
        Poco::JSON::Object::Ptr item = new Poco::JSON::Object;
        item->set("id", entry.id);
        item->set("at", isoTime(entry.at));
        item->set("actor", entry.record.actor);
        item->set("action", entry.record.action);
        item->set("target", entry.record.target);
        item->set("client", entry.record.client);
        item->set("detail", detailOf(entry.record.detailJson));
        list->add(item);
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("entries", list);
    body->set("next", more ? Poco::Dynamic::Var(std::to_string(entries.back().id)) : Poco::Dynamic::Var());
    exchange.response().set("Cache-Control", "no-store");
    exchange.sendJson(200, body);
}

} // namespace comfygate

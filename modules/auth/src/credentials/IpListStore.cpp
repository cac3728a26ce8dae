#include "IpListStore.h"

#include <comfygate/Utf8.h>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace comfygate::auth {

namespace {

constexpr std::size_t maximumEntryLength = 64;
constexpr std::size_t maximumReasonBytes = 500;

// Strict parsing: inet_pton takes only dotted-decimal IPv4 (Poco's parser goes through
// inet_aton, which reads "010.0.0.1" as octal, "10.1" as 10.0.0.1 and ignores anything after a
// space) and, unlike Poco's, accepts the all-zero IPv6 address "::".
std::optional<Poco::Net::IPAddress> parseAddress(const std::string& text)
{
    if (text.find(':') != std::string::npos) {
        in6_addr address{};
        if (inet_pton(AF_INET6, text.c_str(), &address) != 1)
            return std::nullopt;
        return Poco::Net::IPAddress(&address, sizeof(address));
    }
    in_addr address{};
    if (inet_pton(AF_INET, text.c_str(), &address) != 1)
        return std::nullopt;
    return Poco::Net::IPAddress(&address, sizeof(address));
}

Poco::Net::IPAddress unmapped(const Poco::Net::IPAddress& address)
{
    if (address.family() == Poco::Net::IPAddress::IPv6 && address.isIPv4Mapped()) {
        const auto* bytes = static_cast<const unsigned char*>(address.addr());
        return Poco::Net::IPAddress(bytes + 12, 4);
    }
    return address;
}

void checkReason(const std::string& entry, const std::string& reason)
{
    if (reason.size() > maximumReasonBytes || !isUtf8(reason))
        throw std::invalid_argument("blacklist entry '" + entry
                                    + "': the reason must be UTF-8 of at most 500 bytes");
}

} // namespace

IpListStore::Block IpListStore::Block::parse(const std::string& text)
{
    const std::size_t slash = text.find('/');
    const std::optional<Poco::Net::IPAddress> parsed = parseAddress(text.substr(0, slash));
    if (!parsed)
        throw std::invalid_argument("not an IP address");
    const Poco::Net::IPAddress& address = *parsed;
    const Poco::Net::IPAddress plain = unmapped(address);
    const bool mapped = plain.family() != address.family();
    const unsigned written = address.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
    unsigned prefix = written;
    const bool digitsOnly = text.find_first_not_of("0123456789", slash + 1) == std::string::npos;
    if (slash != std::string::npos
        && (!digitsOnly || !Poco::NumberParser::tryParseUnsigned(text.substr(slash + 1), prefix)
            || prefix > written))
        throw std::invalid_argument("bad prefix length");
    // ::ffff:10.0.0.0/104 means 10.0.0.0/8.
    if (mapped)
        prefix = prefix >= 96 ? prefix - 96 : 0;
    const Poco::Net::IPAddress mask(prefix, plain.family());
    return Block{plain & mask, mask};
}

bool IpListStore::Block::contains(const Poco::Net::IPAddress& candidate) const
{
    const Poco::Net::IPAddress address = unmapped(candidate);
    if (address.family() != network.family())
        return false;
    // Byte by byte: Poco's operator& throws when the IPv6 scope ids differ (a link-local peer).
    const auto* bytes = static_cast<const unsigned char*>(address.addr());
    const auto* maskBytes = static_cast<const unsigned char*>(mask.addr());
    const auto* networkBytes = static_cast<const unsigned char*>(network.addr());
    for (poco_socklen_t i = 0; i < network.length(); ++i) {
        if ((bytes[i] & maskBytes[i]) != networkBytes[i])
            return false;
    }
    return true;
}

bool IpListStore::Snapshot::whitelisted(const Poco::Net::IPAddress& address) const
{
    return std::any_of(whitelist.begin(), whitelist.end(),
                       [&](const Block& block) { return block.contains(address); });
}

std::string IpListStore::checkedEntry(const std::string& list, const std::string& entry)
{
    const std::string text = Poco::trim(entry);
    try {
        if (text.empty() || text.size() > maximumEntryLength)
            throw std::invalid_argument("empty or too long");
        Block::parse(text);
    } catch (const std::invalid_argument&) {
        throw std::invalid_argument(list + " entry '" + entry
                                    + "' is not an IP address or CIDR block");
    }
    return text;
}

IpListStore::IpListStore(Database& database, std::int64_t refreshSeconds)
    : _database(database), _refreshSeconds(refreshSeconds)
{
}

std::vector<std::string> IpListStore::whitelist()
{
    std::vector<std::string> entries;
    Poco::Data::Session session = _database.session();
    session << "SELECT entry FROM ip_whitelist ORDER BY entry", into(entries), now;
    return entries;
}

std::vector<BlacklistEntry> IpListStore::blacklist(std::int64_t now)
{
    std::vector<std::string> entries, reasons;
    std::vector<int> permanent;
    std::vector<Poco::Int64> expires;
    Poco::Data::Session session = _database.session();
    session << _database.translate("SELECT entry, permanent, expires_at, reason FROM ip_blacklist"
                                   " WHERE permanent = 1 OR expires_at > ? ORDER BY entry"),
        into(entries), into(permanent), into(expires), into(reasons),
        bind(static_cast<Poco::Int64>(now)), Poco::Data::Keywords::now;
    std::vector<BlacklistEntry> list;
    for (std::size_t i = 0; i < entries.size(); ++i)
        list.push_back({entries[i], permanent[i] != 0, permanent[i] != 0 ? 0 : expires[i],
                        reasons[i]});
    return list;
}

void IpListStore::replace(const std::vector<std::string>& whitelist,
                          const std::vector<BlacklistEntry>& blacklist, std::int64_t now)
{
    std::map<std::string, bool> white;
    for (const std::string& entry : whitelist)
        white[checkedEntry("whitelist", entry)] = true;
    std::map<std::string, BlacklistEntry> black;
    for (const BlacklistEntry& entry : blacklist) {
        const std::string text = checkedEntry("blacklist", entry.ip);
        if (!entry.permanent && entry.expiresAt <= now)
            throw std::invalid_argument("blacklist entry '" + entry.ip
                                        + "' expires before now: make it permanent or give a"
                                          " later expiry");
        checkReason(entry.ip, entry.reason);
        BlacklistEntry& merged = black[text];
        merged.ip = text;
        merged.permanent = merged.permanent || entry.permanent;
        merged.expiresAt = merged.permanent ? 0 : std::max(merged.expiresAt, entry.expiresAt);
        merged.reason = entry.reason;
    }

    const Poco::Int64 at = now;
    _database.write([&](Poco::Data::Session& session) {
        session << "DELETE FROM ip_whitelist", Poco::Data::Keywords::now;
        session << "DELETE FROM ip_blacklist", Poco::Data::Keywords::now;
        for (const auto& [text, unused] : white)
            session << _database.translate(
                "INSERT INTO ip_whitelist (entry, created_at) VALUES (?, ?)"),
                bind(text), bind(at), Poco::Data::Keywords::now;
        for (const auto& [text, entry] : black)
            session << _database.translate(
                "INSERT INTO ip_blacklist (entry, permanent, expires_at, reason, created_at)"
                " VALUES (?, ?, ?, ?, ?)"),
                bind(text), bind(entry.permanent ? 1 : 0),
                bind(static_cast<Poco::Int64>(entry.expiresAt)), bind(entry.reason), bind(at),
                Poco::Data::Keywords::now;
    });
    invalidate();
}

void IpListStore::addToBlacklist(const std::string& ip, std::int64_t expiresAt,
                                 const std::string& reason)
{
    const std::string text = checkedEntry("blacklist", ip);
    checkReason(ip, reason);
    const int permanent = expiresAt == 0 ? 1 : 0;
    _database.write([&](Poco::Data::Session& session) {
        session << _database.translate(
            "INSERT INTO ip_blacklist (entry, permanent, expires_at, reason, created_at)"
            " VALUES (?, ?, ?, ?, {{now}}) ON CONFLICT (entry) DO UPDATE SET"
            " permanent = CASE WHEN ip_blacklist.permanent = 1 OR excluded.permanent = 1"
            "  THEN 1 ELSE 0 END,"
            " expires_at = CASE WHEN ip_blacklist.permanent = 1 OR excluded.permanent = 1 THEN 0"
            "  WHEN excluded.expires_at > ip_blacklist.expires_at THEN excluded.expires_at"
            "  ELSE ip_blacklist.expires_at END,"
            " reason = excluded.reason"),
            bind(text), bind(permanent), bind(static_cast<Poco::Int64>(permanent ? 0 : expiresAt)),
            bind(reason), now;
    });
    invalidate();
}

bool IpListStore::removeFromBlacklist(const std::string& ip)
{
    const std::string text = Poco::trim(ip);
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate("DELETE FROM ip_blacklist WHERE entry = ?"), bind(text);
        deleted = remove.execute();
    });
    invalidate();
    return deleted == 1;
}

std::size_t IpListStore::purgeExpired(std::int64_t now)
{
    std::size_t deleted = 0;
    _database.write([&](Poco::Data::Session& session) {
        Poco::Data::Statement remove(session);
        remove << _database.translate(
            "DELETE FROM ip_blacklist WHERE permanent = 0 AND expires_at <= ?"),
            bind(static_cast<Poco::Int64>(now));
        deleted = remove.execute();
    });
    invalidate();
    return deleted;
}

void IpListStore::invalidate()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _snapshot.reset();
    ++_generation;
}

std::shared_ptr<const IpListStore::Snapshot> IpListStore::load(std::int64_t now)
{
    std::vector<std::string> whiteEntries, blackEntries, reasons;
    std::vector<int> permanent;
    std::vector<Poco::Int64> expires;
    {
        Poco::Data::Session session = _database.session();
        session << "SELECT entry FROM ip_whitelist", into(whiteEntries), Poco::Data::Keywords::now;
        session << "SELECT entry, permanent, expires_at, reason FROM ip_blacklist",
            into(blackEntries), into(permanent), into(expires), into(reasons),
            Poco::Data::Keywords::now;
    }
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->loadedAt = now;
    // Rows were validated when written; one edited by hand that no longer parses is skipped
    // rather than taking every request down.
    for (const std::string& entry : whiteEntries) {
        try {
            snapshot->whitelist.push_back(Block::parse(entry));
        } catch (const std::invalid_argument&) {
        }
    }
    for (std::size_t i = 0; i < blackEntries.size(); ++i) {
        try {
            snapshot->blacklist.emplace_back(
                Block::parse(blackEntries[i]),
                BlacklistEntry{blackEntries[i], permanent[i] != 0, expires[i], reasons[i]});
        } catch (const std::invalid_argument&) {
        }
    }
    return snapshot;
}

std::shared_ptr<const IpListStore::Snapshot> IpListStore::snapshot(std::int64_t now)
{
    std::uint64_t generation = 0;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_snapshot && now >= _snapshot->loadedAt && now < _snapshot->loadedAt + _refreshSeconds)
            return _snapshot;
        generation = _generation;
    }
    std::shared_ptr<const Snapshot> fresh = load(now);
    std::lock_guard<std::mutex> lock(_mutex);
    // A write during the load made it stale already: keep it for this call only.
    if (generation == _generation)
        _snapshot = fresh;
    return fresh;
}

bool IpListStore::isWhitelisted(const Poco::Net::IPAddress& address, std::int64_t now)
{
    return snapshot(now)->whitelisted(address);
}

bool IpListStore::hasWhitelist(std::int64_t now)
{
    return !snapshot(now)->whitelist.empty();
}

bool IpListStore::isBlacklisted(const Poco::Net::IPAddress& address, std::int64_t now)
{
    const std::shared_ptr<const Snapshot> lists = snapshot(now);
    if (lists->whitelisted(address))
        return false;
    for (const auto& [range, entry] : lists->blacklist) {
        if ((entry.permanent || entry.expiresAt > now) && range.contains(address))
            return true;
    }
    return false;
}

bool IpListStore::isBlacklisted(const std::string& address, std::int64_t now)
{
    const std::optional<Poco::Net::IPAddress> parsed = parseAddress(address);
    return parsed && isBlacklisted(*parsed, now);
}

} // namespace comfygate::auth

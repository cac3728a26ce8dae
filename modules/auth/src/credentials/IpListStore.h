#pragma once

#include "AuthRecords.h"
#include "comfygate/Database.h"

#include <Poco/Net/IPAddress.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace comfygate::auth {

/// The admin's IP whitelist and blacklist (tables ip_whitelist, ip_blacklist): addresses or
/// CIDR blocks, IPv4 and IPv6; an IPv4-mapped IPv6 address (::ffff:10.0.0.1) matches as the
/// IPv4 address it carries, as with the kernel's IpRange (which the module SDK does not
/// offer; the matching here follows the same rules). The per-request checks read an in-memory
/// snapshot, replaced on every write through this object, dropped when another instance
/// announces a change (invalidate()) and reloaded from the database at least every
/// `refreshSeconds` (which also catches an announcement lost while the database was away).
/// Thread safe.
class IpListStore
{
public:
    using BlacklistEntry = auth::BlacklistEntry;

    static constexpr std::int64_t defaultRefreshSeconds = 5;

    explicit IpListStore(Database& database, std::int64_t refreshSeconds = defaultRefreshSeconds);

    std::vector<std::string> whitelist();
    /// Permanent entries and those not expired at `now`.
    std::vector<BlacklistEntry> blacklist(std::int64_t now);

    /// Replaces both lists in one transaction. Every entry must parse as an address or CIDR
    /// (surrounding spaces are ignored; duplicates are merged), a non-permanent blacklist
    /// entry must expire after `now`, and a reason is at most 500 bytes of UTF-8. Throws
    /// std::invalid_argument naming the first bad entry; nothing is changed then.
    void replace(const std::vector<std::string>& whitelist,
                 const std::vector<BlacklistEntry>& blacklist, std::int64_t now);

    /// Adds or extends a blacklist entry; `expiresAt` 0 = permanent. A permanent entry stays
    /// permanent and a later expiry is kept. Throws std::invalid_argument like replace().
    void addToBlacklist(const std::string& ip, std::int64_t expiresAt, const std::string& reason);
    /// @return false when the entry was not listed.
    bool removeFromBlacklist(const std::string& ip);
    /// Deletes expired entries. @return the number deleted.
    std::size_t purgeExpired(std::int64_t now);

    /// True when an active blacklist entry covers the address (IPv4-mapped IPv6 addresses
    /// match as IPv4) and no whitelist entry does. An unparsable address is not blacklisted.
    bool isBlacklisted(const std::string& address, std::int64_t now);
    bool isBlacklisted(const Poco::Net::IPAddress& address, std::int64_t now);
    /// True when a whitelist entry covers the address.
    bool isWhitelisted(const Poco::Net::IPAddress& address, std::int64_t now);
    /// True when the whitelist has entries (MSS-Login then admits no other address; the
    /// caller decides whether to enforce that).
    bool hasWhitelist(std::int64_t now);

    /// Forgets the lists read so far: the next check reads them again (another instance on the
    /// same database changed them).
    void invalidate();

private:
    /// An address block: `network` already masked.
    struct Block
    {
        Poco::Net::IPAddress network;
        Poco::Net::IPAddress mask;

        /// Throws std::invalid_argument for anything but an address or address/prefix.
        static Block parse(const std::string& text);
        bool contains(const Poco::Net::IPAddress& address) const;
    };

    struct Snapshot
    {
        std::int64_t loadedAt = 0;
        std::vector<Block> whitelist;
        std::vector<std::pair<Block, BlacklistEntry>> blacklist;

        bool whitelisted(const Poco::Net::IPAddress& address) const;
    };

    static std::string checkedEntry(const std::string& list, const std::string& entry);

    std::shared_ptr<const Snapshot> snapshot(std::int64_t now);
    std::shared_ptr<const Snapshot> load(std::int64_t now);

    Database& _database;
    const std::int64_t _refreshSeconds;
    std::mutex _mutex;
    std::shared_ptr<const Snapshot> _snapshot;
    std::uint64_t _generation = 0; ///< bumped by every write, so a load racing one is not kept
};

} // namespace comfygate::auth

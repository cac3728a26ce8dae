#include "SqlDialect.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace comfygate {

namespace {

// "comfygat" as a 64-bit number: one key shared by every comfygate instance on the database.
constexpr const char* migrationLockKey = "7165065819060658548";

} // namespace

SqlDialect::SqlDialect(Database::Backend backend) :
    _backend(backend)
{
}

std::string SqlDialect::translate(const std::string& sql) const
{
    const bool numberPlaceholders = _backend == Database::Backend::PostgreSQL;
    std::string out;
    out.reserve(sql.size() + 32);
    int placeholder = 0;

    const std::size_t size = sql.size();
    std::size_t i = 0;
    while (i < size) {
        const char c = sql[i];
        const char next = i + 1 < size ? sql[i + 1] : '\0';
        std::size_t end = std::string::npos;
        if (c == '\'' || c == '"') {
            end = sql.find(c, i + 1);
            end = end == std::string::npos ? size : end + 1;
        } else if (c == '-' && next == '-') {
            end = sql.find('\n', i);
            end = end == std::string::npos ? size : end;
        } else if (c == '/' && next == '*') {
            end = sql.find("*/", i + 2);
            end = end == std::string::npos ? size : end + 2;
        }
        if (end != std::string::npos) {
            out.append(sql, i, end - i);
            i = end;
        } else if (c == '{' && next == '{') {
            const std::size_t close = sql.find("}}", i + 2);
            if (close == std::string::npos)
                throw std::invalid_argument("unterminated SQL token at: " + sql.substr(i, 20));
            out += token(sql.substr(i + 2, close - i - 2));
            i = close + 2;
        } else if (c == '?' && numberPlaceholders) {
            out += '$';
            out += std::to_string(++placeholder);
            ++i;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

std::string SqlDialect::token(const std::string& name) const
{
    const bool sqlite = _backend == Database::Backend::SQLite;
    if (name == "id")
        return sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
    if (name == "blob")
        return sqlite ? "BLOB" : "BYTEA";
    if (name == "bigint")
        return sqlite ? "INTEGER" : "BIGINT";
    if (name == "now")
        return sqlite ? "CAST(strftime('%s','now') AS INTEGER)"
                      : "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)";
    if (name == "skip_locked")
        return sqlite ? "" : "FOR UPDATE SKIP LOCKED";
    const std::string lockPrefix = "xact_lock:";
    if (name.rfind(lockPrefix, 0) == 0) {
        const std::string lock = name.substr(lockPrefix.size());
        const bool plain = !lock.empty() && std::all_of(lock.begin(), lock.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
        });
        if (!plain)
            throw std::invalid_argument("SQL token {{" + name + "}}: a lock name is letters, digits, _ and .");
        return sqlite ? "SELECT 1" : "SELECT 1 FROM pg_advisory_xact_lock(hashtext('" + lock + "'))";
    }
    throw std::invalid_argument("unknown SQL token {{" + name
                                + "}} (known: {{id}}, {{blob}}, {{bigint}}, {{now}}, {{skip_locked}}, "
                                  "{{xact_lock:NAME}})");
}

std::string SqlDialect::migrationLock() const
{
    if (_backend == Database::Backend::SQLite)
        return {};
    return std::string("SELECT 1 FROM pg_advisory_xact_lock(") + migrationLockKey + ")";
}

} // namespace comfygate

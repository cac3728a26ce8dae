#pragma once
// Helpers shared by the auth store suites: a migrated database in a temp dir, SHA-256 of
// test tokens, and "does this throw E".

#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "TempDir.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <memory>
#include <string>

namespace comfygate::test {

inline std::unique_ptr<PooledDatabase> openDatabase(DatabaseSettings settings)
{
    auto db = std::make_unique<PooledDatabase>(settings);
    db->open();
    db->migrate("auth", moduleMigrations());
    return db;
}

inline DatabaseSettings sqliteSettings(const TempDir& dir)
{
    DatabaseSettings settings;
    settings.sqlitePath = dir.file("auth.db");
    settings.maxSessions = 6; // room for the concurrency tests' threads
    return settings;
}

inline std::string sha256(const std::string& text)
{
    Poco::SHA2Engine engine;
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

template <class E, class F>
bool throws(F action)
{
    try {
        action();
    } catch (const E&) {
        return true;
    }
    return false;
}

} // namespace comfygate::test

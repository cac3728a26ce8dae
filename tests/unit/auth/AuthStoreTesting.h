#pragma once
// Helpers shared by the auth store suites: a migrated database in a temp dir, SHA-256 of
// test tokens, and "does this throw E".

#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "TempDir.h"

#include <cppunit/TestFixture.h>

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

/// A fresh, migrated SQLite database in its own temp dir for every test.
class SqliteStoreFixture : public CppUnit::TestFixture
{
public:
    void setUp() override
    {
        _dir = std::make_unique<TempDir>();
        _db = openDatabase(sqliteSettings(*_dir));
    }

    void tearDown() override
    {
        _db.reset();
        _dir.reset();
    }

protected:
    std::unique_ptr<TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
};

} // namespace comfygate::test

// The grant rows behind model isolation: user, role and group grants, globs, expiry,
// duplicates and validation, on a migrated SQLite database.
#include "ModelGrantStore.h"
#include "ModuleMigrations.h"
#include "PooledDatabase.h"
#include "TempDir.h"

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <stdexcept>

using comfygate::DatabaseSettings;
using comfygate::PooledDatabase;
using comfygate::Principal;
using comfygate::comfyproxy::ModelGrantStore;
using comfygate::services::GrantSubject;
using comfygate::services::ModelGrant;

namespace {

Principal person(const std::string& id, const std::string& role, std::vector<std::string> groups = {})
{
    Principal principal;
    principal.authenticated = true;
    principal.userId = id;
    principal.username = id;
    principal.role = role;
    principal.groups = std::move(groups);
    return principal;
}

ModelGrant grantOf(GrantSubject kind, const std::string& subject, const std::string& folder, const std::string& item,
                   std::int64_t expiresAt = 0)
{
    ModelGrant grant;
    grant.kind = kind;
    grant.subject = subject;
    grant.folder = folder;
    grant.itemName = item;
    grant.grantedByUserId = "owner-id";
    grant.grantedByRole = "owner";
    grant.expiresAt = expiresAt;
    return grant;
}

} // namespace

class ModelGrantStoreTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(ModelGrantStoreTest);
    CPPUNIT_TEST(userGrantCoversExactlyTheItem);
    CPPUNIT_TEST(roleAndGroupGrantsReachTheirMembers);
    CPPUNIT_TEST(globCoversSubfoldersAndWholeFolders);
    CPPUNIT_TEST(expiredGrantsStopCounting);
    CPPUNIT_TEST(duplicateIsRefusedAndRevokeRemoves);
    CPPUNIT_TEST(traversalAndBadValuesAreRefused);
    CPPUNIT_TEST(listKeepsTheRecordedFields);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _dir = std::make_unique<comfygate::test::TempDir>();
        DatabaseSettings settings;
        settings.sqlitePath = _dir->file("grants.db");
        _db = std::make_unique<PooledDatabase>(settings);
        _db->open();
        _db->migrate("comfy-proxy", comfygate::moduleMigrations());
        _store = std::make_unique<ModelGrantStore>(*_db, [this] { return _now; });
    }

    void tearDown() override
    {
        _store.reset();
        _db.reset();
        _dir.reset();
    }

    void userGrantCoversExactlyTheItem()
    {
        CPPUNIT_ASSERT(_store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", "sd15.safetensors")));
        CPPUNIT_ASSERT(_store->isAllowed(person("u1", "user"), "checkpoints", "sd15.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u1", "user"), "checkpoints", "sdxl.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u1", "user"), "loras", "sd15.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u2", "user"), "checkpoints", "sd15.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("", "user"), "checkpoints", "sd15.safetensors"));
    }

    void roleAndGroupGrantsReachTheirMembers()
    {
        _store->grant(grantOf(GrantSubject::Group, "power", "loras", "style.safetensors"));
        _store->grant(grantOf(GrantSubject::Group, "artists", "vae", "ft.safetensors"));
        CPPUNIT_ASSERT(_store->isAllowed(person("p1", "power"), "loras", "style.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u1", "user"), "loras", "style.safetensors"));
        CPPUNIT_ASSERT(_store->isAllowed(person("u1", "user", {"user", "artists"}), "vae", "ft.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u2", "user", {"user"}), "vae", "ft.safetensors"));
        // A user id that happens to equal a group name is not a member of the group.
        CPPUNIT_ASSERT(!_store->isAllowed(person("artists", "user"), "vae", "ft.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), _store->activeFor(person("u1", "power", {"power", "artists"})).size());
    }

    void globCoversSubfoldersAndWholeFolders()
    {
        _store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", "sdxl/*"));
        _store->grant(grantOf(GrantSubject::User, "u1", "loras", "*"));
        _store->grant(grantOf(GrantSubject::User, "u1", "vae", "*-fp16.safetensors"));
        const auto u1 = person("u1", "user");
        CPPUNIT_ASSERT(_store->isAllowed(u1, "checkpoints", "sdxl/base.safetensors"));
        CPPUNIT_ASSERT(_store->isAllowed(u1, "checkpoints", "sdxl/deep/refiner.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(u1, "checkpoints", "sd15.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(u1, "checkpoints", "other/sdxl/base.safetensors"));
        CPPUNIT_ASSERT(_store->isAllowed(u1, "loras", "anything/at/all.pt"));
        CPPUNIT_ASSERT(_store->isAllowed(u1, "vae", "kl-fp16.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(u1, "vae", "kl-fp32.safetensors"));
    }

    void expiredGrantsStopCounting()
    {
        _store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", "trial.safetensors", _now + 60));
        CPPUNIT_ASSERT(_store->isAllowed(person("u1", "user"), "checkpoints", "trial.safetensors"));
        _now += 60;
        CPPUNIT_ASSERT(!_store->isAllowed(person("u1", "user"), "checkpoints", "trial.safetensors"));
        CPPUNIT_ASSERT(_store->activeFor(person("u1", "user")).empty());
        // Still listed, so an admin sees what ran out.
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _store->list(GrantSubject::User, "u1").size());
    }

    void duplicateIsRefusedAndRevokeRemoves()
    {
        CPPUNIT_ASSERT(_store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", "a.safetensors")));
        CPPUNIT_ASSERT(!_store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", "a.safetensors")));
        // The same item for a group is another grant.
        CPPUNIT_ASSERT(_store->grant(grantOf(GrantSubject::Group, "u1", "checkpoints", "a.safetensors")));
        CPPUNIT_ASSERT(_store->revoke(GrantSubject::User, "u1", "checkpoints", "a.safetensors"));
        CPPUNIT_ASSERT(!_store->revoke(GrantSubject::User, "u1", "checkpoints", "a.safetensors"));
        CPPUNIT_ASSERT(!_store->isAllowed(person("u1", "user"), "checkpoints", "a.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), _store->list(GrantSubject::Group, "u1").size());
    }

    void traversalAndBadValuesAreRefused()
    {
        const std::vector<std::string> items{
            "../secret.safetensors", "a/../../b", "/etc/passwd", "a\\b", "a//b", "./a", "a/", "", "a\nb"};
        for (const auto& item : items) {
            CPPUNIT_ASSERT_THROW_MESSAGE(item, _store->grant(grantOf(GrantSubject::User, "u1", "checkpoints", item)),
                                         std::invalid_argument);
        }
        for (const std::string folder : std::vector<std::string>{"..", "", "check/points", "a b"})
            CPPUNIT_ASSERT_THROW(_store->grant(grantOf(GrantSubject::User, "u1", folder, "a")), std::invalid_argument);
        auto badBackend = grantOf(GrantSubject::User, "u1", "checkpoints", "a");
        badBackend.sourceBackend = "ftp";
        CPPUNIT_ASSERT_THROW(_store->grant(badBackend), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(_store->grant(grantOf(GrantSubject::User, "", "checkpoints", "a")), std::invalid_argument);
        CPPUNIT_ASSERT(_store->list(GrantSubject::User, "u1").empty());
    }

    void listKeepsTheRecordedFields()
    {
        auto grant = grantOf(GrantSubject::User, "u1", "loras", "b.safetensors", _now + 3600);
        grant.sourceBackend = "s3";
        _store->grant(grant);
        _now += 5;
        _store->grant(grantOf(GrantSubject::User, "u1", "loras", "a.safetensors"));
        const auto grants = _store->list(GrantSubject::User, "u1");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), grants.size());
        CPPUNIT_ASSERT_EQUAL(std::string("b.safetensors"), grants[0].itemName); // oldest first
        CPPUNIT_ASSERT_EQUAL(std::string("s3"), grants[0].sourceBackend);
        CPPUNIT_ASSERT_EQUAL(std::string("owner-id"), grants[0].grantedByUserId);
        CPPUNIT_ASSERT_EQUAL(std::string("owner"), grants[0].grantedByRole);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1700000000), grants[0].createdAt);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1700000000 + 3600), grants[0].expiresAt);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(0), grants[1].expiresAt);
    }

private:
    std::int64_t _now = 1700000000;
    std::unique_ptr<comfygate::test::TempDir> _dir;
    std::unique_ptr<PooledDatabase> _db;
    std::unique_ptr<ModelGrantStore> _store;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModelGrantStoreTest);

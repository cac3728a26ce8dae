// The civitai-catalog module in the real binary on SQLite, over real HTTP against the fake
// CivitAI (CatalogChecks.h), plus what needs its own server: CivitAI unreachable.
#include "CatalogChecks.h"

#include <Poco/Net/ServerSocket.h>

using namespace comfygate::test::catalog;

class CatalogServerTest : public CatalogChecks
{
    CPPUNIT_TEST_SUITE(CatalogServerTest);
    CATALOG_CORE_CHECKS();
    CPPUNIT_TEST(unreachableCivitaiIsBadGateway);
    CPPUNIT_TEST(restartKeepsCatalogAndRewritesExports);
    CPPUNIT_TEST_SUITE_END();

public:
    void unreachableCivitaiIsBadGateway()
    {
        // A port that was just free and is closed again: connection refused.
        unsigned closedPort = 0;
        {
            Poco::Net::ServerSocket probe(0);
            closedPort = probe.address().port();
        }
        _server.reset();
        _server = makeServer("http://127.0.0.1:" + std::to_string(closedPort));
        _server->addUser("chief", "admin");
        _server->start();
        _admin = _server->login("chief");
        auto answer = post("/api/admin/civitai/add/" + std::to_string(Versions::checkpoint), _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 502, answer.status);
        CPPUNIT_ASSERT_EQUAL(0, exportFile("models")->getValue<int>("version"));
    }

    void restartKeepsCatalogAndRewritesExports()
    {
        add(Versions::checkpoint);
        std::filesystem::remove(catalogDir() + "/models.json");
        _server->restart();
        _admin = _server->login("chief");
        auto models = exportFile("models");
        CPPUNIT_ASSERT_EQUAL(1, models->getValue<int>("version"));
        CPPUNIT_ASSERT(findEntry(models, "checkpoints", "juggernaut_v9.safetensors"));
        CPPUNIT_ASSERT_EQUAL(std::string("already_exists"),
                             add(Versions::checkpoint)->getValue<std::string>("status"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogServerTest);

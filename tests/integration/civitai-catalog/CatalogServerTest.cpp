// The civitai-catalog module in the real binary on SQLite, over real HTTP against the fake
// CivitAI (CatalogChecks.h), plus what needs its own server: CivitAI unreachable.
#include "CatalogChecks.h"

#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <thread>

using namespace comfygate::test::catalog;

class CatalogServerTest : public CatalogChecks
{
    CPPUNIT_TEST_SUITE(CatalogServerTest);
    CATALOG_CORE_CHECKS();
    CPPUNIT_TEST(unreachableCivitaiIsBadGateway);
    CPPUNIT_TEST(restartKeepsCatalogAndRewritesExports);
    CPPUNIT_TEST(killDuringChangesLeavesWholeExports);
    CPPUNIT_TEST(cliImportsStudioCatalogOnce);
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
        CPPUNIT_ASSERT_EQUAL(std::string("already_exists"), add(Versions::checkpoint)->getValue<std::string>("status"));
    }

    void killDuringChangesLeavesWholeExports()
    {
        // Changes in flight on their own connections when the server is killed: afterwards every
        // export is a whole document, no temp file is left, and each change that was answered
        // is in the catalog, under the version the restarted server serves.
        std::vector<std::thread> writers;
        std::atomic<int> answered{0};
        const int versions[] = {Versions::checkpoint, Versions::lora, Versions::flux};
        for (int version : versions) {
            writers.emplace_back([this, version, &answered] {
                try {
                    comfygate::test::HttpTestClient client(_server->process().port());
                    const auto answer =
                        client.request("POST", "/api/admin/civitai/add/" + std::to_string(version), "", _admin);
                    if (answer.status == 200)
                        ++answered;
                } catch (const std::exception&) {
                    // killed before it answered: the change may or may not have committed
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        _server->crashAndRestart();
        for (auto& writer : writers)
            writer.join();
        _admin = _server->login("chief");
        for (Poco::DirectoryIterator it(catalogDir()), end; it != end; ++it)
            CPPUNIT_ASSERT_MESSAGE(it.name(), it.name().front() != '.');
        auto models = exportFile("models"); // parses: never half-written
        const auto served = _server->client().get("/api/admin/models/catalog/models.json", _admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(served.body, 200, served.status);
        CPPUNIT_ASSERT_EQUAL(models->getValue<int>("version"), served.json()->getValue<int>("version"));
        CPPUNIT_ASSERT(models->getValue<int>("version") >= answered.load());
        // Every version can still be added or is already there: nothing half-recorded.
        for (int version : versions) {
            const std::string status = add(version)->getValue<std::string>("status");
            CPPUNIT_ASSERT_MESSAGE(status, status == "added" || status == "already_exists");
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), countEntries(exportFile("models")));
    }

    static std::size_t countEntries(const Poco::JSON::Object::Ptr& document)
    {
        std::size_t count = 0;
        const auto categories = document->getArray("categories");
        for (std::size_t i = 0; i < categories->size(); ++i)
            count += categories->getObject(static_cast<unsigned>(i))->getArray("models")->size();
        return count;
    }

    void cliImportsStudioCatalogOnce()
    {
        add(Versions::checkpoint);
        const std::string file = _server->process().temp().path() + "/models.json";
        writeFile(file, R"({"version": 41, "date": "2025-05-01 10:00", "categories": [
            {"id": "checkpoints", "name": "Checkpoints", "models": [
                {"name": "Juggernaut v9", "file": "juggernaut_v9.safetensors", "dest": "checkpoints",
                 "source": "civitai", "size_gb": 6.6, "civitai_version_id": 1001, "civitai_file_id": 11},
                {"name": "DreamShaper 8", "file": "dreamshaper_8.safetensors", "dest": "checkpoints",
                 "source": "civitai", "size_gb": 2.1, "civitai_version_id": 128713, "civitai_model_id": 4384,
                 "hash": "ABCDEF0123", "trigger_words": []},
                {"name": "no source", "file": "mystery.safetensors", "dest": "checkpoints"}]},
            {"id": "text_encoders", "name": "Text encoders", "models": [
                {"name": "T5 XXL fp8", "file": "t5xxl_fp8_e4m3fn.safetensors", "dest": "text_encoders",
                 "source": "huggingface", "hf_repo": "comfyanonymous/flux_text_encoders",
                 "hf_file": "t5xxl_fp8_e4m3fn.safetensors", "size_gb": 4.9}]}]})");
        std::string out, err;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->process().runCommand({"catalog", "import", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("imported dreamshaper_8.safetensors (models / checkpoints)") !=
                                        std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("imported t5xxl_fp8_e4m3fn.safetensors") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("skipped  juggernaut_v9.safetensors: already in the catalog") !=
                                        std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("skipped  mystery.safetensors: neither civitai_version_id nor hf_repo") !=
                                        std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find("2 imported, 2 skipped") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(out, out.find(" I comfygate") == std::string::npos); // results, not log lines

        auto models = exportFile("models");
        CPPUNIT_ASSERT_EQUAL(2, models->getValue<int>("version")); // one change for the whole import
        auto imported = findEntry(models, "checkpoints", "dreamshaper_8.safetensors");
        CPPUNIT_ASSERT(imported);
        CPPUNIT_ASSERT_EQUAL(std::string("DreamShaper 8"), imported->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("available"), imported->getValue<std::string>("state"));
        CPPUNIT_ASSERT(findEntry(models, "text_encoders", "t5xxl_fp8_e4m3fn.safetensors"));
        auto map = civitaiMap()->getObject("by_version");
        CPPUNIT_ASSERT(map->has("128713"));

        out.clear();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, _server->process().runCommand({"catalog", "import", file}, out, err));
        CPPUNIT_ASSERT_MESSAGE(out, out.find("0 imported, 4 skipped") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(2, exportFile("models")->getValue<int>("version"));

        const std::string odd = _server->process().temp().path() + "/catalog-backup.json";
        writeFile(odd, "{}");
        CPPUNIT_ASSERT_EQUAL(2, _server->process().runCommand({"catalog", "import", odd}, out, err));
        CPPUNIT_ASSERT_EQUAL(1, _server->process().runCommand({"catalog", "import", odd, "--as", "llm"}, out, err));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogServerTest);

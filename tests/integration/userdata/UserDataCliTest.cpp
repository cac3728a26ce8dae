// `comfygate userdata import|export` as an operator runs it: the real binary with the auth,
// comfy-proxy and userdata modules. A ComfyUI user folder (nested workflows, settings, a broken
// and an oversized workflow, symlinks in and out of it) is imported for a user, then the server
// shows it over ComfyUI's userdata and settings API; an export gives the same bytes back.
#include "HttpTestClient.h"
#include "ServerProcess.h"
#include "TempDir.h"
#include "TestPaths.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <sys/stat.h>

using comfygate::test::HttpTestClient;
using comfygate::test::ServerProcess;
using comfygate::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Headers = std::map<std::string, std::string>;

const std::string password = "long-enough-password-42";

struct Run
{
    int status = -1;
    std::string out;
    std::string err;
};

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// Every regular file below `root`, relative, '/'-separated, with its bytes.
std::map<std::string, std::string> tree(const fs::path& root)
{
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (fs::is_regular_file(entry.symlink_status())) // symlinks are not files of the tree
            files[fs::relative(entry.path(), root).generic_string()] = readFile(entry.path());
    }
    return files;
}

const std::string workflowA = R"({"last_node_id":1,"nodes":[{"id":1,"type":"KSampler"}],"links":[],"version":0.4})";
const std::string workflowB = "{\n  \"nodes\": [],\n  \"extra\": {\"ds\": {\"scale\": 1.5}}\n}\n";
const std::string settings = R"({"Comfy.TestSetting":"imported","Comfy.Locale":"en"})";

} // namespace

class UserDataCliTest : public CppUnit::TestFixture
{
    CPPUNIT_TEST_SUITE(UserDataCliTest);
    CPPUNIT_TEST(importsAUsersFolderAndServesIt);
    CPPUNIT_TEST(exportGivesTheSameBytesBack);
    CPPUNIT_TEST(globalImportIsSeenByEveryUser);
    CPPUNIT_TEST(badUsageExitsTwoAndSaysWhatToDo);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _server =
            std::make_unique<ServerProcess>(Headers{{"modules.dir", COMFYGATE_MODULE_DIR},
                                                    {"modules.enabled", "auth,comfy-proxy,userdata"},
                                                    {"comfy.url", "http://127.0.0.1:9"}, // nothing here reaches ComfyUI
                                                    {"userdata.max_file_mb", "1"}},
                                            Headers{{"SECRET_KEY", "userdata-cli-test-secret-0123456789abcdef"}});
        for (const char* name : {"alice", "bob"}) {
            const Run added = command({"user", "add", name, "--role", "user", "--password-stdin"}, password + "\n");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(added.err, 0, added.status);
        }
        buildComfyFolder();
    }

    void tearDown() override { _server.reset(); }

    void importsAUsersFolderAndServesIt()
    {
        const Run run = command({"userdata", "import", "--from", _folder, "--user", "alice"});
        // Refused files make the exit status 1; everything acceptable is imported anyway.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 1, run.status);
        for (const char* line : {"imported workflows/a.json (", "imported workflows/nested/deep/b.json (",
                                 "imported comfy.settings.json (", "imported comfy.templates.json (",
                                 "imported user.css (", "imported notes/todo.txt (", "imported inside-link.json (",
                                 "skipped workflows/broken.json: Invalid JSON in workflows/broken.json: ",
                                 "skipped workflows/huge.json: too large: 1.5 MiB, the limit is 1 MiB",
                                 "skipped escape.json: a symlink that leaves the folder", "skipped .hidden: hidden",
                                 "skipped .git/: hidden", "imported 7 files (", "for alice, skipped 2, refused 3"})
            CPPUNIT_ASSERT_MESSAGE(std::string(line) + " in:\n" + run.out, contains(run.out, line));
        CPPUNIT_ASSERT_MESSAGE(run.err, contains(run.err, "3 files were refused"));
        CPPUNIT_ASSERT_MESSAGE(run.out, !contains(run.out, "secret-outside"));

        // Again: the files are kept unless --overwrite.
        const Run again = command({"userdata", "import", "--from", _folder, "--user", "alice"});
        CPPUNIT_ASSERT_MESSAGE(again.out,
                               contains(again.out, "skipped workflows/a.json: exists (--overwrite replaces it)"));
        _temp.write("comfy/workflows/a.json", R"({"nodes":[],"changed":true})");
        const Run overwrite = command({"userdata", "import", "--from", _folder, "--user", "alice", "--overwrite"});
        CPPUNIT_ASSERT_MESSAGE(overwrite.out, contains(overwrite.out, "imported workflows/a.json ("));

        _server->start();
        HttpTestClient client(_server->port());
        const Headers alice = login(client, "alice");
        auto listing = client.get("/api/userdata?dir=workflows&recurse=true", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listing.body, 200, listing.status);
        std::set<std::string> names;
        auto array = Poco::JSON::Parser().parse(listing.body).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i)
            names.insert(array->getElement<std::string>(i));
        CPPUNIT_ASSERT_MESSAGE(listing.body, (std::set<std::string>{"a.json", "nested/deep/b.json"}) == names);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"nodes":[],"changed":true})"),
                             client.get("/api/userdata/workflows%2Fa.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(workflowB, client.get("/api/userdata/workflows%2Fnested%2Fdeep%2Fb.json", alice).body);
        auto stored = client.get("/api/settings", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stored.body, 200, stored.status);
        CPPUNIT_ASSERT_EQUAL(std::string("imported"), stored.json()->getValue<std::string>("Comfy.TestSetting"));
        CPPUNIT_ASSERT_EQUAL(200, client.get("/api/userdata/user.css", alice).status);

        // bob has none of it.
        const Headers bob = login(client, "bob");
        auto bobs = client.get("/api/userdata?dir=workflows&recurse=true", bob);
        CPPUNIT_ASSERT_MESSAGE(bobs.body, !contains(bobs.body, "a.json"));
        CPPUNIT_ASSERT_EQUAL(404, client.get("/api/userdata/workflows%2Fa.json", bob).status);
        CPPUNIT_ASSERT_MESSAGE(client.get("/api/settings", bob).body,
                               !contains(client.get("/api/settings", bob).body, "Comfy.TestSetting"));
    }

    void exportGivesTheSameBytesBack()
    {
        CPPUNIT_ASSERT_EQUAL(1, command({"userdata", "import", "--from", _folder, "--user", "alice"}).status);
        const std::string to = _temp.path() + "/exported/alice";
        const Run run = command({"userdata", "export", "--to", to, "--user", "alice"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 0, run.status);
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "wrote workflows/nested/deep/b.json ("));
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "exported 7 files ("));

        std::map<std::string, std::string> expected = tree(_folder);
        for (const char* left : {"workflows/broken.json", "workflows/huge.json", ".hidden", ".git/config"})
            expected.erase(left);
        expected["inside-link.json"] = workflowA; // a symlink inside the folder is read as its file
        const auto exported = tree(to);
        CPPUNIT_ASSERT_EQUAL(expected.size(), exported.size());
        for (const auto& [name, bytes] : expected) {
            const auto found = exported.find(name);
            CPPUNIT_ASSERT_MESSAGE(name + " was not exported", found != exported.end());
            CPPUNIT_ASSERT_MESSAGE(name + " differs", found->second == bytes);
            struct stat info
            {
            };
            CPPUNIT_ASSERT_EQUAL(0, ::stat((to + "/" + name).c_str(), &info));
            CPPUNIT_ASSERT_EQUAL(0644, static_cast<int>(info.st_mode & 0777));
        }
        // No temporary files are left behind.
        for (const auto& entry : fs::recursive_directory_iterator(to))
            CPPUNIT_ASSERT_MESSAGE(entry.path().string(), !contains(entry.path().string(), ".tmp-"));

        // Exporting again replaces the files in place; a path that is a file is refused.
        CPPUNIT_ASSERT_EQUAL(0, command({"userdata", "export", "--to", to, "--user", "alice"}).status);
        const std::string file = _temp.write("a-file", "x");
        const Run refused = command({"userdata", "export", "--to", file, "--user", "alice"});
        CPPUNIT_ASSERT_EQUAL(1, refused.status);
        CPPUNIT_ASSERT_MESSAGE(refused.err, contains(refused.err, "exists and is not a directory"));
    }

    void globalImportIsSeenByEveryUser()
    {
        const Run run = command({"userdata", "import", "--from", _folder, "--global"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(run.out + run.err, 1, run.status); // broken.json and huge.json
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "imported workflows/a.json ("));
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "skipped comfy.settings.json: not a workflow"));
        CPPUNIT_ASSERT_MESSAGE(run.out, contains(run.out, "for the global workflows"));

        const std::string to = _temp.path() + "/exported/global";
        const Run exported = command({"userdata", "export", "--to", to, "--global"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(exported.out + exported.err, 0, exported.status);
        CPPUNIT_ASSERT_EQUAL(workflowB, readFile(to + "/workflows/nested/deep/b.json"));
        CPPUNIT_ASSERT(!fs::exists(to + "/comfy.settings.json"));

        _server->start();
        HttpTestClient client(_server->port());
        for (const char* user : {"alice", "bob"}) {
            const Headers headers = login(client, user);
            auto listing = client.get("/api/userdata?dir=workflows&recurse=true", headers);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listing.body, 200, listing.status);
            CPPUNIT_ASSERT_MESSAGE(listing.body, contains(listing.body, "\"a.json\""));
            CPPUNIT_ASSERT_MESSAGE(listing.body, contains(listing.body, "\"nested/deep/b.json\""));
            CPPUNIT_ASSERT_EQUAL(workflowA, client.get("/api/userdata/workflows%2Fa.json", headers).body);
            CPPUNIT_ASSERT_MESSAGE(client.get("/api/settings", headers).body,
                                   !contains(client.get("/api/settings", headers).body, "Comfy.TestSetting"));
        }
    }

    void badUsageExitsTwoAndSaysWhatToDo()
    {
        const auto usage = [&](const std::vector<std::string>& words, const std::string& message) {
            const Run run = command(words);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(run.err, 2, run.status);
            CPPUNIT_ASSERT_MESSAGE(run.err, contains(run.err, message));
            CPPUNIT_ASSERT_MESSAGE(run.err, contains(run.err, "comfygate userdata import --from DIR"));
        };
        usage({"userdata"}, "say import or export");
        usage({"userdata", "frobnicate"}, "unknown action frobnicate");
        usage({"userdata", "import", "--user", "alice"}, "import needs --from DIR");
        usage({"userdata", "import", "--from", _folder}, "--user NAME or --global");
        usage({"userdata", "import", "--from", _folder, "--user", "alice", "--global"}, "--user NAME or --global");
        usage({"userdata", "import", "--from"}, "--from needs a value");
        usage({"userdata", "import", "--from", _folder, "--user", "alice", "--force"}, "unknown option --force");
        usage({"userdata", "export", "--user", "alice"}, "export needs --to DIR");

        const Run unknown = command({"userdata", "import", "--from", _folder, "--user", "nobody"});
        CPPUNIT_ASSERT_EQUAL(1, unknown.status);
        CPPUNIT_ASSERT_MESSAGE(unknown.err, contains(unknown.err, "no user named nobody"));
        const Run missing = command({"userdata", "import", "--from", _temp.path() + "/nowhere", "--user", "alice"});
        CPPUNIT_ASSERT_EQUAL(1, missing.status);
        CPPUNIT_ASSERT_MESSAGE(missing.err, contains(missing.err, "is not a directory"));
        const Run help = command({"userdata", "--help"});
        CPPUNIT_ASSERT_MESSAGE(help.out + help.err, contains(help.out + help.err, "--overwrite"));
    }

private:
    Run command(const std::vector<std::string>& words, const std::string& input = {})
    {
        Run run;
        run.status = _server->runCommand(words, run.out, run.err, input);
        return run;
    }

    static Headers login(const HttpTestClient& client, const std::string& name)
    {
        auto result = client.postJson("/login", "{\"username\":\"" + name + "\",\"password\":\"" + password + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(result.body, 200, result.status);
        return Headers{{"Authorization", "Bearer " + result.json()->getValue<std::string>("jwt_token")}};
    }

    /// A ComfyUI `user/default/` folder as ComfyUI and its front end leave it.
    void buildComfyFolder()
    {
        _folder = _temp.path() + "/comfy";
        _temp.write("comfy/workflows/a.json", workflowA);
        _temp.write("comfy/workflows/nested/deep/b.json", workflowB);
        _temp.write("comfy/workflows/broken.json", "{\"nodes\": [");
        _temp.write("comfy/workflows/huge.json", "{\"blob\":\"" + std::string(1536 * 1024, 'x') + "\"}");
        _temp.write("comfy/comfy.settings.json", settings);
        _temp.write("comfy/comfy.templates.json", "[]");
        _temp.write("comfy/user.css", "body { background: #123; }\n");
        _temp.write("comfy/notes/todo.txt", "remember the fox\n");
        _temp.write("comfy/.hidden", "not imported");
        _temp.write("comfy/.git/config", "[core]\n");
        const std::string outside = _temp.write("outside/secret-outside.json", R"({"secret":true})");
        fs::create_symlink(outside, _folder + "/escape.json");
        fs::create_symlink("workflows/a.json", _folder + "/inside-link.json");
    }

    TempDir _temp;
    std::string _folder;
    std::unique_ptr<ServerProcess> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(UserDataCliTest);

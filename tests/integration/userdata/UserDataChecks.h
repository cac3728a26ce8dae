#pragma once
// The userdata module's core checks over real HTTP (modules/userdata/README.md): ComfyUI's
// userdata, v2 userdata, settings and users routes with ComfyUI's exact shapes, hostile names,
// limits, isolation between users, the guest's refusals, persistence across a restart, and
// that ComfyUI never hears of any of it. UserDataRoutesTest runs them on SQLite,
// UserDataPostgresTest on PostgreSQL; the suites differ only in backendSettings().
#include "UserDataSupport.h"

#include <functional>
#include <string>
#include <thread>

namespace comfygate::test::userdata {

inline const std::string sampleWorkflowText = R"({"nodes":[],"links":[],"version":0.4,"extra":{"owner":"alice"}})";

class UserDataChecks : public UserDataGatewayTest
{
protected:
    // ------------------------------------------------------------------ GET /userdata listings

    void listingShapes()
    {
        for (const std::string prefix : {"", "/api"}) {
            save(alice, "workflows/a.json", R"({"a":1})");
            save(alice, "workflows/sub/b.json", R"({"b":22})");
            save(alice, "notes/c.txt", "ccc");

            // Default: direct files only, relative to dir.
            auto flat = _client->get(prefix + "/userdata?dir=workflows", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(flat.body, 200, flat.status);
            CPPUNIT_ASSERT_EQUAL(std::string("a.json"), joined(sortedStrings(jsonArray(flat))));

            auto deep = _client->get(prefix + "/userdata?dir=workflows&recurse=true", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(deep.body, 200, deep.status);
            CPPUNIT_ASSERT_EQUAL(std::string("a.json,sub/b.json"), joined(sortedStrings(jsonArray(deep))));

            // split=true: [[path, part, ...]]
            auto split = jsonArray(_client->get(prefix + "/userdata?dir=workflows&recurse=true&split=true", alice));
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), split->size());
            std::set<std::string> rows;
            for (unsigned i = 0; i < split->size(); ++i)
                rows.insert(stringify(split->get(i)));
            CPPUNIT_ASSERT_MESSAGE(joined({rows.begin(), rows.end()}), rows.count(R"(["a.json","a.json"])") == 1);
            CPPUNIT_ASSERT_MESSAGE(joined({rows.begin(), rows.end()}),
                                   rows.count(R"(["sub/b.json","sub","b.json"])") == 1);

            // full_info=true: [{path,size,modified,created}] in seconds, plus source below workflows.
            auto full = _client->get(prefix + "/userdata?dir=workflows&recurse=true&full_info=true", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(full.body, 200, full.status);
            auto infos = jsonArray(full);
            CPPUNIT_ASSERT_EQUAL(std::size_t(2), infos->size());
            for (unsigned i = 0; i < infos->size(); ++i) {
                auto info = infos->getObject(i);
                const auto path = info->getValue<std::string>("path");
                CPPUNIT_ASSERT_MESSAGE(path, path == "a.json" || path == "sub/b.json");
                CPPUNIT_ASSERT_EQUAL_MESSAGE(path, path == "a.json" ? 7 : 8, info->getValue<int>("size"));
                CPPUNIT_ASSERT_MESSAGE(full.body, looksLikeSeconds(info->get("modified")));
                CPPUNIT_ASSERT_MESSAGE(full.body, looksLikeSeconds(info->get("created")));
                CPPUNIT_ASSERT_EQUAL_MESSAGE(full.body, std::string("user"), info->getValue<std::string>("source"));
                CPPUNIT_ASSERT_MESSAGE(full.body, !info->optValue<bool>("overrides_global", false));
            }

            // Other directories list the same way.
            CPPUNIT_ASSERT_EQUAL(std::string("c.txt"),
                                 joined(sortedStrings(jsonArray(_client->get(prefix + "/userdata?dir=notes", alice)))));

            // ComfyUI's errors, as text.
            auto noDir = _client->get(prefix + "/userdata", alice);
            CPPUNIT_ASSERT_EQUAL(400, noDir.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Directory not provided"), noDir.body);
            auto missing = _client->get(prefix + "/userdata?dir=nothing-here", alice);
            CPPUNIT_ASSERT_EQUAL(404, missing.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Directory not found"), missing.body);
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/userdata?dir=workflows").status);
        }
        assertComfyAskedNothing();
    }

    void v2Listing()
    {
        // No file at all: the root is missing → [].
        auto empty = _client->get("/api/v2/userdata", bob);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(empty.body, 200, empty.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), jsonArray(empty)->size());

        save(alice, "workflows/a.json", R"({"a":1})");
        save(alice, "workflows/sub/b.json", R"({"b":22})");
        for (const std::string prefix : {"", "/api"}) {
            auto listed = _client->get(prefix + "/v2/userdata?path=workflows", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
            auto entries = jsonArray(listed);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, std::size_t(3), entries->size());
            // Directories first, then by path; paths relative to the user's root.
            auto dir = entries->getObject(0);
            CPPUNIT_ASSERT_EQUAL(std::string("sub"), dir->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(std::string("workflows/sub"), dir->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(std::string("directory"), dir->getValue<std::string>("type"));
            CPPUNIT_ASSERT(!dir->has("size"));
            auto a = entries->getObject(1);
            CPPUNIT_ASSERT_EQUAL(std::string("a.json"), a->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(std::string("workflows/a.json"), a->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(std::string("file"), a->getValue<std::string>("type"));
            CPPUNIT_ASSERT_EQUAL(7, a->getValue<int>("size"));
            CPPUNIT_ASSERT_MESSAGE(listed.body, looksLikeSeconds(a->get("modified")));
            auto b = entries->getObject(2);
            CPPUNIT_ASSERT_EQUAL(std::string("b.json"), b->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(std::string("workflows/sub/b.json"), b->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(8, b->getValue<int>("size"));

            // The whole root when no path is given.
            auto root = jsonArray(_client->get(prefix + "/v2/userdata", alice));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(root), std::size_t(4), root->size()); // workflows, workflows/sub, 2 files
            CPPUNIT_ASSERT_EQUAL(std::string("workflows"), root->getObject(0)->getValue<std::string>("path"));

            auto missing = _client->get(prefix + "/v2/userdata?path=nothing-here", alice);
            CPPUNIT_ASSERT_EQUAL(404, missing.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Path not found"), missing.body);
            auto file = _client->get(prefix + "/v2/userdata?path=workflows%2Fa.json", alice);
            CPPUNIT_ASSERT_EQUAL(400, file.status);
            CPPUNIT_ASSERT_EQUAL(std::string("Path is not a directory"), file.body);
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/v2/userdata").status);
        }
        assertComfyAskedNothing();
    }

    // ------------------------------------------------------------------ one file

    void fileReadWriteDelete()
    {
        for (const std::string prefix : {"", "/api"}) {
            const std::string uri = prefix + "/userdata/workflows%2Ffox.json";
            auto saved = post(alice, uri, sampleWorkflowText);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
            CPPUNIT_ASSERT_EQUAL(std::string("\"workflows/fox.json\""), saved.body); // a JSON string

            auto read = _client->get(uri, alice);
            CPPUNIT_ASSERT_EQUAL(200, read.status);
            CPPUNIT_ASSERT_EQUAL(sampleWorkflowText, read.body);
            CPPUNIT_ASSERT_MESSAGE(read.header("Content-Type"),
                                   read.header("Content-Type").find("application/json") != std::string::npos);

            // overwrite=false on an existing file: 409 text, content unchanged.
            auto refused = post(alice, uri + "?overwrite=false", R"({"other":true})");
            CPPUNIT_ASSERT_EQUAL(409, refused.status);
            CPPUNIT_ASSERT_EQUAL(std::string("File already exists"), refused.body);
            CPPUNIT_ASSERT_EQUAL(sampleWorkflowText, _client->get(uri, alice).body);

            // Any other overwrite value (and none) overwrites; full_info answers the FileInfo.
            auto replaced = post(alice, uri + "?overwrite=0&full_info=true", R"({"v":2})");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(replaced.body, 200, replaced.status);
            auto info = jsonObject(replaced);
            CPPUNIT_ASSERT_EQUAL(std::string("workflows/fox.json"), info->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(7, info->getValue<int>("size"));
            CPPUNIT_ASSERT_MESSAGE(replaced.body, looksLikeSeconds(info->get("modified")));
            CPPUNIT_ASSERT_MESSAGE(replaced.body, looksLikeSeconds(info->get("created")));
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"v":2})"), _client->get(uri, alice).body);

            // A text file keeps its bytes and its type.
            save(alice, "notes/readme.txt", "hello\r\nworld\n");
            auto text = _client->get(prefix + "/userdata/notes%2Freadme.txt", alice);
            CPPUNIT_ASSERT_EQUAL(std::string("hello\r\nworld\n"), text.body);
            CPPUNIT_ASSERT_MESSAGE(text.header("Content-Type"),
                                   text.header("Content-Type").find("text/plain") != std::string::npos);

            auto deleted = del(alice, uri);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(deleted.body, 204, deleted.status);
            CPPUNIT_ASSERT_EQUAL(std::string(), deleted.body);
            auto gone = _client->get(uri, alice);
            CPPUNIT_ASSERT_EQUAL(404, gone.status);
            CPPUNIT_ASSERT_EQUAL(404, del(alice, uri).status);
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/userdata/notes%2Freadme.txt").status);
            CPPUNIT_ASSERT_EQUAL(401, post({}, uri, "{}").status);
            CPPUNIT_ASSERT_EQUAL(401, del({}, prefix + "/userdata/notes%2Freadme.txt").status);
            del(alice, prefix + "/userdata/notes%2Freadme.txt");
        }
        assertComfyAskedNothing();
    }

    void moveFiles()
    {
        for (const std::string prefix : {"", "/api"}) {
            save(alice, "workflows/from.json", R"({"from":1})");
            auto moved = post(alice, prefix + "/userdata/workflows%2Ffrom.json/move/workflows%2Fto.json", "");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(moved.body, 200, moved.status);
            CPPUNIT_ASSERT_EQUAL(std::string("\"workflows/to.json\""), moved.body);
            CPPUNIT_ASSERT_EQUAL(404, _client->get(prefix + "/userdata/workflows%2Ffrom.json", alice).status);
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"from":1})"),
                                 _client->get(prefix + "/userdata/workflows%2Fto.json", alice).body);

            // Onto an existing file: 409 with overwrite=false (nothing moved), else replaced.
            save(alice, "workflows/other.json", R"({"other":1})");
            auto refused = post(alice, prefix + "/userdata/workflows%2Fother.json/move/workflows%2Fto.json?overwrite=false", "");
            CPPUNIT_ASSERT_EQUAL(409, refused.status);
            CPPUNIT_ASSERT_EQUAL(std::string("File already exists"), refused.body);
            CPPUNIT_ASSERT_EQUAL(200, _client->get(prefix + "/userdata/workflows%2Fother.json", alice).status);
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"from":1})"),
                                 _client->get(prefix + "/userdata/workflows%2Fto.json", alice).body);
            auto replaced = post(alice, prefix + "/userdata/workflows%2Fother.json/move/workflows%2Fto.json?full_info=true", "");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(replaced.body, 200, replaced.status);
            CPPUNIT_ASSERT_EQUAL(std::string("workflows/to.json"), jsonObject(replaced)->getValue<std::string>("path"));
            CPPUNIT_ASSERT_EQUAL(11, jsonObject(replaced)->getValue<int>("size"));
            CPPUNIT_ASSERT_EQUAL(std::string(R"({"other":1})"),
                                 _client->get(prefix + "/userdata/workflows%2Fto.json", alice).body);

            // Into another folder, and a missing source.
            CPPUNIT_ASSERT_EQUAL(200, post(alice, prefix + "/userdata/workflows%2Fto.json/move/archive%2Fold.json", "").status);
            CPPUNIT_ASSERT_EQUAL(std::string("old.json"),
                                 joined(sortedStrings(jsonArray(_client->get(prefix + "/userdata?dir=archive", alice)))));
            CPPUNIT_ASSERT_EQUAL(404, post(alice, prefix + "/userdata/workflows%2Fnone.json/move/workflows%2Fx.json", "").status);
            CPPUNIT_ASSERT_EQUAL(404, _client->get(prefix + "/userdata/workflows%2Fx.json", alice).status);
            CPPUNIT_ASSERT_EQUAL(204, del(alice, prefix + "/userdata/archive%2Fold.json").status);
        }
        assertComfyAskedNothing();
    }

    void literalSlashesAreTheSameFile()
    {
        auto saved = post(alice, "/api/userdata/workflows/deep/lit.json", R"({"lit":1})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"workflows/deep/lit.json\""), saved.body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"lit":1})"),
                             _client->get("/userdata/workflows%2Fdeep%2Flit.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"lit":1})"), _client->get("/userdata/workflows/deep/lit.json", alice).body);
        // Mixed forms, overwrite through the other form.
        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/workflows%2Fdeep/lit.json", R"({"lit":2})").status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"lit":2})"), _client->get("/api/userdata/workflows/deep/lit.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/deep/lit.json"), joined(allFiles(alice)));

        // A move with literal slashes on both sides.
        auto moved = post(alice, "/api/userdata/workflows/deep/lit.json/move/workflows/lit2.json", "");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(moved.body, 200, moved.status);
        CPPUNIT_ASSERT_EQUAL(std::string("\"workflows/lit2.json\""), moved.body);
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/lit2.json"), joined(allFiles(alice)));
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/api/userdata/workflows/lit2.json").status);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Flit2.json", alice).status);
        assertComfyAskedNothing();
    }

    // ------------------------------------------------------------------ settings and users

    void settingsMerge()
    {
        for (const std::string prefix : {"", "/api"}) {
            const Headers& user = prefix.empty() ? alice : bob;
            auto none = _client->get(prefix + "/settings", user);
            CPPUNIT_ASSERT_EQUAL(200, none.status);
            CPPUNIT_ASSERT_EQUAL(std::size_t(0), jsonObject(none)->size());

            auto first = _client->postJson(prefix + "/settings", R"({"Comfy.A":1,"Comfy.B":{"x":1}})", user);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
            CPPUNIT_ASSERT_EQUAL(std::string(), first.body);
            // Shallow merge: B is replaced as a whole, A stays, C is added.
            CPPUNIT_ASSERT_EQUAL(200, _client->postJson(prefix + "/settings", R"({"Comfy.B":{"y":2},"Comfy.C":"z"})", user).status);
            auto merged = _client->get(prefix + "/settings", user);
            CPPUNIT_ASSERT_MESSAGE(merged.body,
                                   sameJson(parseJson(merged.body), parseJson(R"({"Comfy.A":1,"Comfy.B":{"y":2},"Comfy.C":"z"})")));

            CPPUNIT_ASSERT_EQUAL(std::string("1"), _client->get(prefix + "/settings/Comfy.A", user).body);
            CPPUNIT_ASSERT_EQUAL(std::string("null"), _client->get(prefix + "/settings/Comfy.Missing", user).body);
            auto one = _client->postJson(prefix + "/settings/Comfy.Locale", "\"fr\"", user);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(one.body, 200, one.status);
            CPPUNIT_ASSERT_EQUAL(std::string(), one.body);
            CPPUNIT_ASSERT_EQUAL(std::string("\"fr\""), _client->get(prefix + "/settings/Comfy.Locale", user).body);
            CPPUNIT_ASSERT_EQUAL(200, _client->postJson(prefix + "/settings/Comfy.List", "[1,2]", user).status);
            CPPUNIT_ASSERT(sameJson(parseJson(_client->get(prefix + "/settings/Comfy.List", user).body), parseJson("[1,2]")));
            CPPUNIT_ASSERT_EQUAL(std::string("z"),
                                 jsonObject(_client->get(prefix + "/settings", user))->getValue<std::string>("Comfy.C"));

            // Refusals change nothing.
            CPPUNIT_ASSERT_EQUAL(400, _client->postJson(prefix + "/settings", "[1,2]", user).status);
            CPPUNIT_ASSERT_EQUAL(400, _client->postJson(prefix + "/settings", "\"text\"", user).status);
            CPPUNIT_ASSERT_EQUAL(400, _client->postJson(prefix + "/settings", "{not json", user).status);
            CPPUNIT_ASSERT_EQUAL(400, _client->postJson(prefix + "/settings/Comfy.X", "{not json", user).status);
            auto after = jsonObject(_client->get(prefix + "/settings", user));
            CPPUNIT_ASSERT_EQUAL(std::size_t(5), after->size());
            CPPUNIT_ASSERT(!after->has("Comfy.X"));
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/settings").status);
            CPPUNIT_ASSERT_EQUAL(401, _client->postJson(prefix + "/settings", "{}").status);
        }
        // Per user: alice's settings are not bob's.
        CPPUNIT_ASSERT(!jsonObject(_client->get("/settings", guest))->has("Comfy.A"));
        // The settings file is a userdata file, and must stay an object.
        auto asFile = _client->get("/userdata/comfy.settings.json", alice);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(asFile.body, 200, asFile.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fr"), jsonObject(asFile)->getValue<std::string>("Comfy.Locale"));
        auto notObject = post(alice, "/userdata/comfy.settings.json", "[1,2,3]");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(notObject.body, 400, notObject.status);
        CPPUNIT_ASSERT_EQUAL(std::string("fr"),
                             jsonObject(_client->get("/settings", alice))->getValue<std::string>("Comfy.Locale"));
        assertComfyAskedNothing();
    }

    void usersIsOnlyTheCaller()
    {
        for (const std::string prefix : {"", "/api"}) {
            auto users = _client->get(prefix + "/users", alice);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(users.body, 200, users.status);
            CPPUNIT_ASSERT_MESSAGE(users.body,
                                   sameJson(parseJson(users.body), parseJson(R"({"storage":"server","users":{"alice":"alice"}})")));
            CPPUNIT_ASSERT_MESSAGE(users.body,
                                   sameJson(parseJson(_client->get(prefix + "/users", bob).body),
                                            parseJson(R"({"storage":"server","users":{"bob":"bob"}})")));
            CPPUNIT_ASSERT_EQUAL(401, _client->get(prefix + "/users").status);
        }
        assertComfyAskedNothing();
    }

    // ------------------------------------------------------------------ hostile names

    void traversalIsRefused()
    {
        save(alice, "workflows/keep.json", R"({"keep":1})");
        save(bob, "workflows/bobs.json", R"({"bob":1})");
        const std::vector<std::string> before = allFiles(alice);

        for (const std::string prefix : {"", "/api"}) {
            for (const std::string dir : {"..%2F..", "../..", "..", "workflows%2F..%2F..", "%2Fetc"}) {
                auto listed = _client->get(prefix + "/userdata?dir=" + dir, alice);
                CPPUNIT_ASSERT_EQUAL_MESSAGE("dir=" + dir + ": " + listed.body, 403, listed.status);
                CPPUNIT_ASSERT_EQUAL_MESSAGE("dir=" + dir, std::string("Invalid directory"), listed.body);
            }
            for (const std::string path : {"../x", "..%2F..", "..", "%2Fetc"}) {
                auto listed = _client->get(prefix + "/v2/userdata?path=" + path, alice);
                CPPUNIT_ASSERT_EQUAL_MESSAGE("path=" + path + ": " + listed.body, 403, listed.status);
                CPPUNIT_ASSERT_EQUAL_MESSAGE("path=" + path, std::string("Invalid path"), listed.body);
            }
            // Names that leave the user's root → 403, on every method (or the kernel's own 400
            // for dot segments in the request path, which never reaches the module).
            for (const std::string file : {"..%2F..%2Fx", "..%2Fbob%2Fworkflows%2Fbobs.json", "..", "%2Fetc%2Fpasswd",
                                           "workflows%2F..%2F..%2Fx.json"}) {
                auto read = _client->get(prefix + "/userdata/" + file, alice);
                CPPUNIT_ASSERT_MESSAGE("GET " + file + ": " + describe(read), leavesRoot(read));
                CPPUNIT_ASSERT_MESSAGE(read.body, read.body.find("root:") == std::string::npos);
                auto written = post(alice, prefix + "/userdata/" + file, "{}");
                CPPUNIT_ASSERT_MESSAGE("POST " + file + ": " + describe(written), leavesRoot(written));
                auto deleted = del(alice, prefix + "/userdata/" + file);
                CPPUNIT_ASSERT_MESSAGE("DELETE " + file + ": " + describe(deleted), leavesRoot(deleted));
                auto movedFrom = post(alice, prefix + "/userdata/" + file + "/move/workflows%2Fy.json", "");
                CPPUNIT_ASSERT_MESSAGE("move from " + file + ": " + describe(movedFrom), leavesRoot(movedFrom));
                auto movedTo = post(alice, prefix + "/userdata/workflows%2Fkeep.json/move/" + file, "");
                CPPUNIT_ASSERT_MESSAGE("move to " + file + ": " + describe(movedTo), leavesRoot(movedTo));
            }
            // Other bad names → 400 Invalid filename.
            for (const std::string file : {"workflows%5Cx.json", "..%5C..%5Cx", "a%01b.json", "a%0Ab.json", "a%00b.json",
                                           "workflows%2F%2Fx.json", "workflows%2F.%2Fx.json", "x%7F.txt"}) {
                auto written = post(alice, prefix + "/userdata/" + file, "{}");
                CPPUNIT_ASSERT_MESSAGE("POST " + file + ": " + std::to_string(written.status) + " " + written.body,
                                       written.status == 400 || written.status == 403);
                if (written.status == 400)
                    CPPUNIT_ASSERT_MESSAGE("POST " + file + ": " + written.body,
                                           errorText(written).rfind("Invalid filename", 0) == 0 ||
                                               errorText(written) == kernelPathRefusal);
                auto read = _client->get(prefix + "/userdata/" + file, alice);
                CPPUNIT_ASSERT_MESSAGE("GET " + file + ": " + std::to_string(read.status),
                                       read.status == 400 || read.status == 403);
                auto moved = post(alice, prefix + "/userdata/workflows%2Fkeep.json/move/" + file, "");
                CPPUNIT_ASSERT_MESSAGE("move to " + file + ": " + std::to_string(moved.status),
                                       moved.status == 400 || moved.status == 403);
            }
            // A name too long: a 256-byte segment, or 1025 bytes in all; 255 and 1024 are fine.
            auto longName = post(alice, prefix + "/userdata/workflows%2F" + std::string(256, 'n'), "{}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(longName.body, 400, longName.status);
            const std::string longest = "workflows%2F" + std::string(255, 'n');
            CPPUNIT_ASSERT_EQUAL(200, post(alice, prefix + "/userdata/" + longest, "x").status);
            CPPUNIT_ASSERT_EQUAL(204, del(alice, prefix + "/userdata/" + longest).status);
            // 255 + 255 + 255 + 254 + 1 bytes and 4 slashes = 1024 bytes.
            std::string deep;
            for (int i = 0; i < 4; ++i)
                deep += (deep.empty() ? "" : "%2F") + std::string(i == 3 ? 254 : 255, static_cast<char>('a' + i));
            CPPUNIT_ASSERT_EQUAL(200, post(alice, prefix + "/userdata/" + deep + "%2Fe", "x").status);
            CPPUNIT_ASSERT_EQUAL(204, del(alice, prefix + "/userdata/" + deep + "%2Fe").status);
            auto tooLong = post(alice, prefix + "/userdata/" + deep + "%2Fee", "x"); // 1025 bytes
            CPPUNIT_ASSERT_EQUAL_MESSAGE(tooLong.body, 400, tooLong.status);
            // Literal-slash forms with dot segments never reach a file.
            auto literal = _client->get(prefix + "/userdata/workflows/../../bob/workflows/bobs.json", alice);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(literal.status) + " " + literal.body,
                                   literal.status != 200 && literal.body.find("bob") == std::string::npos);
        }
        // Nothing was written, moved or deleted, for alice or bob.
        CPPUNIT_ASSERT_EQUAL(joined(before), joined(allFiles(alice)));
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/bobs.json"), joined(allFiles(bob)));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"keep":1})"), _client->get("/userdata/workflows%2Fkeep.json", alice).body);
        assertComfyAskedNothing();
    }

    /// As on ComfyUI's disk, a name is a file or a directory, never both: a write or a move
    /// that would make it both is refused (4xx) and changes nothing.
    void aNameIsAFileOrADirectoryNotBoth()
    {
        save(alice, "workflows/a.json", R"({"a":1})");
        save(alice, "workflows/sub/b.json", R"({"b":1})");
        // Every case is tried, then all that were accepted are reported together.
        std::vector<std::string> accepted;
        const auto expectRefused = [&](const std::string& what, const HttpResult& result) {
            if (result.status < 400 || result.status >= 500)
                accepted.push_back(what + ": " + describe(result));
        };
        expectRefused("a file below a file", post(alice, "/userdata/workflows%2Fa.json%2Fchild.json", "{}"));
        expectRefused("a file named like a directory", post(alice, "/userdata/workflows%2Fsub", "x"));
        expectRefused("a file named like the workflows directory", post(alice, "/userdata/workflows", "x"));
        expectRefused("a move onto a directory", post(alice, "/userdata/workflows%2Fa.json/move/workflows%2Fsub", ""));
        expectRefused("a move below a file",
                      post(alice, "/userdata/workflows%2Fsub%2Fb.json/move/workflows%2Fa.json%2Fb.json", ""));
        CPPUNIT_ASSERT_MESSAGE(joined(accepted), accepted.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("workflows/a.json,workflows/sub/b.json"), joined(allFiles(alice)));
        auto v2 = jsonArray(_client->get("/v2/userdata?path=workflows", alice));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(stringify(v2), std::size_t(3), v2->size());
    }

    // ------------------------------------------------------------------ content and limits

    void invalidJsonIsRefused()
    {
        auto bad = post(alice, "/userdata/workflows%2Fbad.json", R"({"nodes":[)");
        CPPUNIT_ASSERT_EQUAL(400, bad.status);
        // ComfyUI has no such check: the text comes as {"error": ...} (README: Errors).
        CPPUNIT_ASSERT_MESSAGE(bad.body, errorText(bad).rfind("Invalid JSON in workflows/bad.json: ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(bad.body, bad.body.find("bad.json") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2Fbad.json", alice).status);
        // Overwriting a good file with bad JSON keeps the good one.
        save(alice, "workflows/good.json", R"({"good":true})");
        CPPUNIT_ASSERT_EQUAL(400, post(alice, "/api/userdata/workflows%2Fgood.json", "not json at all").status);
        CPPUNIT_ASSERT_EQUAL(400, post(alice, "/api/userdata/workflows%2Fgood.json", "").status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"good":true})"), _client->get("/userdata/workflows%2Fgood.json", alice).body);
        // Any JSON value is JSON; other extensions hold anything.
        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/templates.json", "[1,\"two\",null]").status);
        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/notes%2Fnot-json.txt", R"({"nodes":[)").status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"nodes":[)"), _client->get("/userdata/notes%2Fnot-json.txt", alice).body);
    }

    void oversizedFileIs413()
    {
        startUserData({{"userdata.max_file_mb", "1"}});
        const std::string exactly(1024 * 1024, 'x');
        auto fits = post(alice, "/userdata/blobs%2Fone-mib.bin", exactly);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fits.body, 200, fits.status);
        auto tooBig = post(alice, "/userdata/blobs%2Ftwo-mib.bin", std::string(2 * 1024 * 1024, 'y'));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tooBig.body, 413, tooBig.status);
        auto oneMore = post(alice, "/userdata/blobs%2Fone-more.bin", exactly + "z");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(oneMore.body, 413, oneMore.status);
        // An oversized overwrite keeps the old content.
        CPPUNIT_ASSERT_EQUAL(413, post(alice, "/userdata/blobs%2Fone-mib.bin", exactly + "z").status);
        CPPUNIT_ASSERT_EQUAL(std::string("blobs/one-mib.bin"), joined(allFiles(alice)));
        CPPUNIT_ASSERT(exactly == _client->get("/userdata/blobs%2Fone-mib.bin", alice).body);
        // The gateway still answers on new connections.
        CPPUNIT_ASSERT_EQUAL(200, _client->get("/settings", alice).status);
    }

    void fileQuotaIs413()
    {
        startUserData({{"userdata.max_files", "3"}});
        save(alice, "workflows/1.json", "1");
        save(alice, "workflows/2.json", "2");
        save(alice, "notes/3.txt", "3");
        auto full = post(alice, "/userdata/workflows%2F4.json", "4");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(full.body, 413, full.status);
        auto error = jsonObject(full);
        CPPUNIT_ASSERT_MESSAGE(full.body, error->getValue<std::string>("error").find("quota") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/workflows%2F4.json", alice).status);
        CPPUNIT_ASSERT_EQUAL(std::string("notes/3.txt,workflows/1.json,workflows/2.json"), joined(allFiles(alice)));
        // A move is not a new file; an overwrite is not either.
        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/workflows%2F1.json", "11").status);
        CPPUNIT_ASSERT_EQUAL(200, post(alice, "/userdata/notes%2F3.txt/move/workflows%2F3.json", "").status);
        // Another user has their own quota; deleting frees a place.
        save(bob, "workflows/1.json", "1");
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2F3.json").status);
        save(alice, "workflows/4.json", "4");
    }

    void byteQuotaIs413()
    {
        startUserData({{"userdata.max_total_mb", "1"}});
        const std::string part(600 * 1024, 'q');
        save(alice, "blobs/a.bin", part);
        auto full = post(alice, "/userdata/blobs%2Fb.bin", part);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(full.body, 413, full.status);
        CPPUNIT_ASSERT_MESSAGE(full.body, jsonObject(full)->getValue<std::string>("error").find("quota") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/blobs%2Fb.bin", alice).status);
        // Growing an existing file past the quota is refused too; shrinking is fine.
        CPPUNIT_ASSERT_EQUAL(413, post(alice, "/userdata/blobs%2Fa.bin", part + part).status);
        CPPUNIT_ASSERT_EQUAL(part.size(), _client->get("/userdata/blobs%2Fa.bin", alice).body.size());
        save(alice, "blobs/a.bin", "small");
        save(alice, "blobs/b.bin", part);
        save(bob, "blobs/a.bin", part);
        CPPUNIT_ASSERT_EQUAL(std::string("blobs/a.bin,blobs/b.bin"), joined(allFiles(alice)));
    }

    void binaryRoundTrip()
    {
        std::string bytes;
        for (int round = 0; round < 4; ++round)
            for (int b = 0; b < 256; ++b)
                bytes.push_back(static_cast<char>(b));
        save(alice, "blobs/all-bytes.bin", bytes);
        auto read = _client->get("/api/userdata/blobs%2Fall-bytes.bin", alice);
        CPPUNIT_ASSERT_EQUAL(200, read.status);
        CPPUNIT_ASSERT_EQUAL(bytes.size(), read.body.size());
        CPPUNIT_ASSERT(bytes == read.body);
        auto info = jsonArray(_client->get("/userdata?dir=blobs&full_info=true", alice));
        CPPUNIT_ASSERT_EQUAL(1024, info->getObject(0)->getValue<int>("size"));
        // A literal percent sign in a name survives.
        save(alice, "workflows/100% fox.json", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string("100% fox.json"),
                             joined(sortedStrings(jsonArray(_client->get("/userdata?dir=workflows", alice)))));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), _client->get("/userdata/workflows%2F100%25%20fox.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2F100%25%20fox.json").status);
        // Non-ASCII UTF-8 names and contents.
        save(alice, "workflows/caf\xc3\xa9 \xe2\x98\x95.json", "{\"t\":\"\xe2\x98\x95\"}");
        CPPUNIT_ASSERT_EQUAL(std::string("{\"t\":\"\xe2\x98\x95\"}"),
                             _client->get("/userdata/" + encodeQueryValue("workflows/caf\xc3\xa9 \xe2\x98\x95.json"), alice).body);
    }

    void largeFileRoundTrip()
    {
        std::string bytes(5 * 1024 * 1024, '\0');
        std::uint32_t state = 2463534242u;
        for (auto& c : bytes) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            c = static_cast<char>(state & 0xff);
        }
        auto saved = post(alice, "/userdata/blobs%2Ffive-mib.bin", bytes);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(saved.body, 200, saved.status);
        auto read = _client->get("/userdata/blobs%2Ffive-mib.bin", alice);
        CPPUNIT_ASSERT_EQUAL(200, read.status);
        CPPUNIT_ASSERT_EQUAL(bytes.size(), read.body.size());
        CPPUNIT_ASSERT(bytes == read.body);
    }

    /// Writes racing each other (the web UI's autosave in two tabs, two gateways): the quota
    /// holds, and a race on one new name answers every writer as ComfyUI does (200, last
    /// writer wins), never 500.
    void concurrentWritesStayConsistent()
    {
        startUserData({{"userdata.max_files", "5"}});
        const auto race = [&](int writers, const std::function<std::string(int)>& uri,
                              const std::function<std::string(int)>& body) {
            std::vector<HttpResult> results(static_cast<std::size_t>(writers));
            std::vector<std::thread> threads;
            const unsigned port = _server->port();
            for (int i = 0; i < writers; ++i)
                threads.emplace_back([&, i] {
                    try {
                        results[static_cast<std::size_t>(i)] =
                            HttpTestClient(port).request("POST", uri(i), body(i), alice);
                    } catch (const std::exception& e) {
                        results[static_cast<std::size_t>(i)].body = e.what();
                    }
                });
            for (auto& thread : threads)
                thread.join();
            return results;
        };
        // Distinct new files against a quota of 5.
        auto distinct = race(12, [](int i) { return "/userdata/notes%2Fn" + std::to_string(i) + ".txt"; },
                             [](int i) { return std::to_string(i); });
        int created = 0;
        std::string statuses;
        for (const auto& result : distinct) {
            statuses += describe(result) + "; ";
            if (result.status == 200)
                ++created;
            else
                CPPUNIT_ASSERT_EQUAL_MESSAGE(statuses, 413, result.status);
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(statuses, 5, created);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(allFiles(alice)), std::size_t(5), allFiles(alice).size());

        // One new name written by many at once.
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/notes%2F" + allFiles(alice).front().substr(6)).status);
        auto same = race(8, [](int) { return std::string("/userdata/workflows%2Frace.json"); },
                         [](int i) { return "{\"writer\":" + std::to_string(i) + "}"; });
        statuses.clear();
        for (const auto& result : same)
            statuses += describe(result) + "; ";
        for (const auto& result : same)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(statuses + "\n" + logTail(), 200, result.status);
        auto final = _client->get("/userdata/workflows%2Frace.json", alice);
        CPPUNIT_ASSERT_EQUAL(200, final.status);
        CPPUNIT_ASSERT(jsonObject(final)->has("writer"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(allFiles(alice)), std::size_t(5), allFiles(alice).size());
    }

    // ------------------------------------------------------------------ users and permissions

    void otherUsersFilesAreInvisible()
    {
        save(alice, "workflows/secret.json", R"({"secret":"alice"})");
        save(alice, "notes/private.txt", "alice only");
        for (const std::string file : {"workflows%2Fsecret.json", "notes%2Fprivate.txt"}) {
            CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/" + file, bob).status);
            CPPUNIT_ASSERT_EQUAL(404, del(bob, "/api/userdata/" + file).status);
            CPPUNIT_ASSERT_EQUAL(404, post(bob, "/userdata/" + file + "/move/mine%2Fstolen.txt", "").status);
            // The client's Comfy-User header changes nothing.
            CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata/" + file, with(bob, "Comfy-User", "alice")).status);
        }
        CPPUNIT_ASSERT_EQUAL(404, _client->get("/userdata?dir=workflows", bob).status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), jsonArray(_client->get("/v2/userdata", bob))->size());
        // bob writing the same name writes his own file, even with overwrite=false.
        CPPUNIT_ASSERT_EQUAL(200, post(bob, "/userdata/workflows%2Fsecret.json?overwrite=false", R"({"secret":"bob"})").status);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"secret":"bob"})"), _client->get("/userdata/workflows%2Fsecret.json", bob).body);
        CPPUNIT_ASSERT_EQUAL(204, del(bob, "/userdata/workflows%2Fsecret.json").status);
        // alice's files are untouched.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"secret":"alice"})"),
                             _client->get("/userdata/workflows%2Fsecret.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("alice only"), _client->get("/userdata/notes%2Fprivate.txt", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("notes/private.txt,workflows/secret.json"), joined(allFiles(alice)));
        CPPUNIT_ASSERT_EQUAL(std::string(), joined(allFiles(bob)));
        assertComfyAskedNothing();
    }

    void guestReadsButCannotWrite()
    {
        save(alice, "workflows/a.json", "{}");
        const auto isDenied = [](const HttpResult& result) {
            if (result.status != 403)
                return false;
            try {
                return parseJson(result.body).extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("error") ==
                       "WORKFLOW_DENIED";
            } catch (...) {
                return false;
            }
        };
        for (const std::string prefix : {"", "/api"}) {
            auto saved = post(guest, prefix + "/userdata/workflows%2Fg.json", "{}");
            CPPUNIT_ASSERT_MESSAGE(std::to_string(saved.status) + " " + saved.body, isDenied(saved));
            CPPUNIT_ASSERT_MESSAGE(saved.body, jsonObject(saved)->has("message"));
            auto note = post(guest, prefix + "/userdata/notes%2Fg.txt", "x");
            CPPUNIT_ASSERT_MESSAGE(std::to_string(note.status) + " " + note.body, isDenied(note));
            auto moved = post(guest, prefix + "/userdata/workflows%2Fg.json/move/workflows%2Fh.json", "");
            CPPUNIT_ASSERT_MESSAGE(std::to_string(moved.status) + " " + moved.body, isDenied(moved));
            auto deleted = del(guest, prefix + "/userdata/workflows%2Fg.json");
            CPPUNIT_ASSERT_MESSAGE(std::to_string(deleted.status) + " " + deleted.body, isDenied(deleted));

            // Reading is allowed.
            CPPUNIT_ASSERT_EQUAL(404, _client->get(prefix + "/userdata?dir=workflows", guest).status);
            CPPUNIT_ASSERT_EQUAL(200, _client->get(prefix + "/v2/userdata", guest).status);
            CPPUNIT_ASSERT_EQUAL(404, _client->get(prefix + "/userdata/workflows%2Fa.json", guest).status);
            CPPUNIT_ASSERT_EQUAL(200, _client->get(prefix + "/settings", guest).status);
            CPPUNIT_ASSERT_EQUAL(std::string("null"), _client->get(prefix + "/settings/x", guest).body);
            CPPUNIT_ASSERT_EQUAL(200, _client->get(prefix + "/users", guest).status);
        }
        // Settings need only can_access_api.
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings", R"({"Comfy.Guest":true})", guest).status);
        CPPUNIT_ASSERT(jsonObject(_client->get("/settings", guest))->getValue<bool>("Comfy.Guest"));
        CPPUNIT_ASSERT_EQUAL(std::string("comfy.settings.json"), joined(allFiles(guest)));
        assertComfyAskedNothing();
    }

    // ------------------------------------------------------------------ persistence

    void dataSurvivesARestart()
    {
        save(alice, "workflows/kept.json", R"({"kept":true})");
        save(alice, "blobs/kept.bin", std::string("\0\1\2\3", 4));
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings", R"({"Comfy.Kept":"yes"})", alice).status);
        const std::string dataDir = _server->dataDir();
        // Stop it, then a new gateway process on the same data directory and database.
        auto previous = std::move(_server);
        _client.reset();
        previous->stop();
        useServer(startUserDataServer({{"data.dir", dataDir}}));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"kept":true})"), _client->get("/userdata/workflows%2Fkept.json", alice).body);
        CPPUNIT_ASSERT(std::string("\0\1\2\3", 4) == _client->get("/userdata/blobs%2Fkept.bin", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("\"yes\""), _client->get("/settings/Comfy.Kept", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("blobs/kept.bin,comfy.settings.json,workflows/kept.json"), joined(allFiles(alice)));
        // The new process is the one writing.
        save(alice, "workflows/after.json", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string("after.json,kept.json"),
                             joined(sortedStrings(jsonArray(_client->get("/userdata?dir=workflows", alice)))));
        // A crash (kill -9) loses nothing that was answered 200.
        save(alice, "workflows/before-crash.json", R"({"crash":1})");
        CPPUNIT_ASSERT_EQUAL(200, _client->postJson("/settings/Comfy.Crash", "true", alice).status);
        CPPUNIT_ASSERT_EQUAL(204, del(alice, "/userdata/workflows%2Fafter.json").status);
        auto crashed = std::move(_server);
        _client.reset();
        crashed->kill9();
        useServer(startUserDataServer({{"data.dir", dataDir}}));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"crash":1})"),
                             _client->get("/userdata/workflows%2Fbefore-crash.json", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("true"), _client->get("/settings/Comfy.Crash", alice).body);
        CPPUNIT_ASSERT_EQUAL(std::string("before-crash.json,kept.json"),
                             joined(sortedStrings(jsonArray(_client->get("/userdata?dir=workflows", alice)))));
        _server.reset();
        crashed.reset();
        previous.reset(); // its temp dir held the data directory
        _client.reset();
    }
};

} // namespace comfygate::test::userdata

/// The core checks every backend runs (in a suite's CPPUNIT_TEST_SUITE).
#define USERDATA_CORE_CHECKS()                                                                                       \
    CPPUNIT_TEST(listingShapes);                                                                                     \
    CPPUNIT_TEST(v2Listing);                                                                                         \
    CPPUNIT_TEST(fileReadWriteDelete);                                                                               \
    CPPUNIT_TEST(moveFiles);                                                                                         \
    CPPUNIT_TEST(literalSlashesAreTheSameFile);                                                                      \
    CPPUNIT_TEST(settingsMerge);                                                                                     \
    CPPUNIT_TEST(usersIsOnlyTheCaller);                                                                              \
    CPPUNIT_TEST(traversalIsRefused);                                                                                \
    CPPUNIT_TEST(aNameIsAFileOrADirectoryNotBoth);                                                                   \
    CPPUNIT_TEST(invalidJsonIsRefused);                                                                              \
    CPPUNIT_TEST(oversizedFileIs413);                                                                                \
    CPPUNIT_TEST(fileQuotaIs413);                                                                                    \
    CPPUNIT_TEST(byteQuotaIs413);                                                                                    \
    CPPUNIT_TEST(binaryRoundTrip);                                                                                   \
    CPPUNIT_TEST(largeFileRoundTrip);                                                                                \
    CPPUNIT_TEST(concurrentWritesStayConsistent);                                                                    \
    CPPUNIT_TEST(otherUsersFilesAreInvisible);                                                                       \
    CPPUNIT_TEST(guestReadsButCannotWrite);                                                                          \
    CPPUNIT_TEST(dataSurvivesARestart)

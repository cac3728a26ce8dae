#pragma once
// The presets module's checks over real HTTP (modules/presets/README.md), called the way
// SwarmUI's web client calls them. PresetsServerTest runs them on SQLite, PresetsPostgresTest on
// PostgreSQL; the suites differ only in backendSettings().
#include "../../unit/presets/SampleImages.h"
#include "JpegDecoder.h"
#include "PresetsGateway.h"

#include <Poco/Base64Decoder.h>

#include <atomic>
#include <thread>

namespace comfygate::test::presets {

#define PRESETS_CORE_CHECKS()                                                                                          \
    CPPUNIT_TEST(myUserDataHasSwarmShape);                                                                             \
    CPPUNIT_TEST(missingAndMistypedParameters);                                                                        \
    CPPUNIT_TEST(titlesAreCleanedAndUnique);                                                                           \
    CPPUNIT_TEST(editRenamesAtomically);                                                                               \
    CPPUNIT_TEST(duplicateNumbersCopies);                                                                              \
    CPPUNIT_TEST(usersAreIsolated);                                                                                    \
    CPPUNIT_TEST(previewImagesAreCheckedAndServed);                                                                    \
    CPPUNIT_TEST(exportCarriesFullDataUrls);                                                                           \
    CPPUNIT_TEST(sharedPresetsAreReadOnlyForOthers);                                                                   \
    CPPUNIT_TEST(starredModelsLinksAndParamEdits);                                                                     \
    CPPUNIT_TEST(concurrentWritersTakeTurns);                                                                          \
    CPPUNIT_TEST(presetsPerUserAreCapped)

class PresetsChecks : public PresetsGateway
{
protected:
    static std::string decodeDataUrl(const std::string& url)
    {
        const std::string marker = ";base64,";
        std::istringstream in(url.substr(url.find(marker) + marker.size()));
        Poco::Base64Decoder decoder(in);
        return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    }

    void myUserDataHasSwarmShape()
    {
        addPreset(alice, "Portrait");
        auto data = ok(alice, "GetMyUserData");
        CPPUNIT_ASSERT_EQUAL(
            std::string("autocompletions,language,model_preset_links,permissions,presets,starred_models,user_name"),
            keysOf(data));
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), data->getValue<std::string>("user_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("en"), data->getValue<std::string>("language"));
        CPPUNIT_ASSERT(data->isNull("autocompletions"));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), text(data->get("starred_models")));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), text(data->get("model_preset_links")));
        const std::string permissions = text(data->get("permissions"));
        for (const char* id :
             {"fundamental_generate_tab_access", "fundamental_model_access", "manage_presets", "edit_params"})
            CPPUNIT_ASSERT_MESSAGE(permissions, permissions.find(std::string("\"") + id + "\"") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(permissions, permissions.find("manage_shared_presets") == std::string::npos);

        auto presets = data->getArray("presets");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), presets->size());
        auto preset = presets->getObject(0);
        CPPUNIT_ASSERT_EQUAL(
            std::string("author,description,is_starred,param_map,preview_image,read_only,shared,title"),
            keysOf(preset));
        CPPUNIT_ASSERT_EQUAL(std::string("alice"), preset->getValue<std::string>("author"));
        CPPUNIT_ASSERT_EQUAL(std::string("Portrait"), preset->getValue<std::string>("title"));
        CPPUNIT_ASSERT_EQUAL(std::string("desc of Portrait"), preset->getValue<std::string>("description"));
        CPPUNIT_ASSERT_EQUAL(std::string("imgs/model_placeholder.jpg"), preset->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT_EQUAL(false, preset->getValue<bool>("is_starred"));
        CPPUNIT_ASSERT_EQUAL(false, preset->getValue<bool>("shared"));
        CPPUNIT_ASSERT_EQUAL(false, preset->getValue<bool>("read_only"));
        // Values are stored as strings, as SwarmUI's ParamMap is string -> string.
        auto params = preset->getObject("param_map");
        CPPUNIT_ASSERT_EQUAL(std::string("a cat, {value}"), params->getValue<std::string>("prompt"));
        CPPUNIT_ASSERT(params->get("steps").isString());
        CPPUNIT_ASSERT_EQUAL(std::string("30"), params->getValue<std::string>("steps"));
        CPPUNIT_ASSERT_EQUAL(std::string("7.5"), params->getValue<std::string>("cfgscale"));
        CPPUNIT_ASSERT_EQUAL(std::string("true"), params->getValue<std::string>("seamless"));

        // is_starred as SwarmUI's client sends it, and as the string "true" (coerced).
        addPreset(alice, "Starred", R"({"is_starred":"true"})");
        CPPUNIT_ASSERT_EQUAL(true, presetNamed(alice, "Starred")->getValue<bool>("is_starred"));

        // A guest sees the tab but may not manage presets (the dispatcher refuses before the handler).
        auto guestData = ok(visitor, "GetMyUserData");
        CPPUNIT_ASSERT(text(guestData->get("permissions")).find("manage_presets") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), guestData->getArray("presets")->size());
        auto guestAdd = call(visitor, "AddNewPreset", presetBody("nope"));
        CPPUNIT_ASSERT_MESSAGE(guestAdd.body, guestAdd.status >= 400);
        CPPUNIT_ASSERT_EQUAL(std::string(""), titlesOf(visitor));
    }

    void missingAndMistypedParameters()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'title'"),
                             refused(alice, "AddNewPreset", R"({"description":"d","raw":{"param_map":{}}})", "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'raw'"),
                             refused(alice, "AddNewPreset", R"({"title":"t","description":"d"})", "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'is_edit': must be type bool"),
                             refused(alice, "AddNewPreset", presetBody("t", R"({"is_edit":"5"})"), "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'is_starred': must be type bool"),
                             refused(alice, "AddNewPreset", presetBody("t", R"({"is_starred":5})"), "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'title': must be type string"),
                             refused(alice, "AddNewPreset", presetBody("t", R"({"title":["a","b"]})"), "error"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Invalid value for parameter 'raw': must be type object"),
            refused(alice, "AddNewPreset", R"({"title":"t","description":"d","raw":"param_map"})", "error"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("The preset's raw data needs a param_map object."),
            refused(alice, "AddNewPreset", R"({"title":"t","description":"d","raw":{"param_map":[1]}})"));
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'preset'"),
                             refused(alice, "DeletePreset", "{}", "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'preset': must be type string"),
                             refused(alice, "DuplicatePreset", R"({"preset":{"a":1}})", "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Invalid value for parameter 'preset': must be type string"),
                             refused(alice, "DeletePreset", R"({"preset":["x"]})", "error"));
        CPPUNIT_ASSERT_EQUAL(std::string("Missing required parameter 'rawData'"),
                             refused(alice, "SetParamEdits", "{}", "error"));
        // Nothing was stored by any of them.
        CPPUNIT_ASSERT_EQUAL(std::string(""), titlesOf(alice));
        // A body that is not JSON never reaches the handler.
        auto broken = _client->postJson("/API/GetMyUserData", "{\"session_id\":\"" + alice.session + "\",");
        CPPUNIT_ASSERT_MESSAGE(broken.body, broken.status >= 400);
    }

    void titlesAreCleanedAndUnique()
    {
        addPreset(alice, "../x");
        addPreset(alice, "a/../../b");
        addPreset(alice, "../../etc/passwd");
        addPreset(alice, "v1.5 <best>?");
        CPPUNIT_ASSERT_EQUAL(std::string("a/b|etc/passwd|v15 best|x"), titlesOf(alice));
        CPPUNIT_ASSERT(refused(alice, "AddNewPreset", presetBody("../..")).find("needs a title") != std::string::npos);
        CPPUNIT_ASSERT(refused(alice, "AddNewPreset", presetBody(" ?*. ")).find("needs a title") != std::string::npos);
        // Titles are unique per user, case-insensitively, after cleaning.
        CPPUNIT_ASSERT_EQUAL(std::string("That preset name is taken."),
                             refused(alice, "AddNewPreset", presetBody("X")));
        CPPUNIT_ASSERT_EQUAL(std::string("That preset name is taken."),
                             refused(alice, "AddNewPreset", presetBody("A\\B")));
        // The cleaned title is what later calls use; the raw one finds the same preset.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             text(ok(alice, "DeletePreset", R"({"preset":"ETC/passwd"})")));
        CPPUNIT_ASSERT_EQUAL(std::string("a/b|v15 best|x"), titlesOf(alice));
    }

    void editRenamesAtomically()
    {
        addPreset(alice, "old", R"({"preview_image":")" + dataUrl("image/png", pngFile(64, 64)) + R"("})");
        addPreset(alice, "other");
        const std::string oldPreview = presetNamed(alice, "old")->getValue<std::string>("preview_image");
        CPPUNIT_ASSERT(oldPreview.rfind("/ViewSpecial/Preset/old?editid=", 0) == 0);

        // Renaming onto another preset is refused and changes nothing.
        CPPUNIT_ASSERT_EQUAL(
            std::string("That preset name is taken."),
            refused(alice, "AddNewPreset", presetBody("Other", R"({"is_edit":true,"editing":"old"})")));
        CPPUNIT_ASSERT_EQUAL(std::string("old|other"), titlesOf(alice));
        // Without is_edit an existing title is taken even for the same content.
        CPPUNIT_ASSERT_EQUAL(std::string("That preset name is taken."),
                             refused(alice, "AddNewPreset", presetBody("old")));

        // Edit in place: the description changes, the preview is kept by its /ViewSpecial URL.
        addPreset(alice, "old",
                  R"({"is_edit":true,"editing":"old","description":"edited","preview_image":")" + oldPreview + R"("})");
        auto edited = presetNamed(alice, "old");
        CPPUNIT_ASSERT_EQUAL(std::string("edited"), edited->getValue<std::string>("description"));
        CPPUNIT_ASSERT(edited->getValue<std::string>("preview_image").rfind("/ViewSpecial/Preset/old?editid=", 0) == 0);

        // Rename: the old title is gone, the new one has its preview, in one step.
        addPreset(alice, "new name", R"({"is_edit":true,"editing":"old","preview_image":"/ViewSpecial/Preset/old"})");
        CPPUNIT_ASSERT_EQUAL(std::string("new name|other"), titlesOf(alice));
        const std::string renamedPreview = presetNamed(alice, "new name")->getValue<std::string>("preview_image");
        CPPUNIT_ASSERT_MESSAGE(renamedPreview, renamedPreview.rfind("/ViewSpecial/Preset/new%20name?editid=", 0) == 0);
        auto image = viewWithCookie(alice, renamedPreview);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(image.body, 200, image.status);
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), image.header("Content-Type"));
        CPPUNIT_ASSERT_EQUAL(404, viewWithCookie(alice, "/ViewSpecial/Preset/old").status);

        // Editing a preset that does not exist saves a new one (SwarmUI does the same).
        addPreset(alice, "fresh", R"({"is_edit":true,"editing":"never existed"})");
        CPPUNIT_ASSERT_EQUAL(std::string("fresh|new name|other"), titlesOf(alice));
    }

    void duplicateNumbersCopies()
    {
        addPreset(alice, "p", R"({"preview_image":")" + dataUrl("image/jpeg", jpegFile(32, 32)) + R"("})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             text(ok(alice, "DuplicatePreset", R"({"preset":"p"})")));
        ok(alice, "DuplicatePreset", R"({"preset":"P"})");
        ok(alice, "DuplicatePreset", R"j({"preset":"p (2)"})j");
        CPPUNIT_ASSERT_EQUAL(std::string("p|p (2)|p (2) (2)|p (3)"), titlesOf(alice));
        auto copy = presetNamed(alice, "p (3)");
        CPPUNIT_ASSERT_EQUAL(std::string("desc of p"), copy->getValue<std::string>("description"));
        CPPUNIT_ASSERT_EQUAL(200, viewWithCookie(alice, copy->getValue<std::string>("preview_image")).status);
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."),
                             refused(alice, "DuplicatePreset", R"({"preset":"missing"})"));
        // Deleting the original leaves the copies.
        ok(alice, "DeletePreset", R"({"preset":"p"})");
        CPPUNIT_ASSERT_EQUAL(std::string("p (2)|p (2) (2)|p (3)"), titlesOf(alice));
    }

    void usersAreIsolated()
    {
        addPreset(alice, "secret", R"({"preview_image":")" + dataUrl("image/png", pngFile(20, 20)) + R"("})");
        const std::string url = presetNamed(alice, "secret")->getValue<std::string>("preview_image");
        CPPUNIT_ASSERT_EQUAL(std::string(""), titlesOf(bob));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":false})"),
                             text(ok(bob, "DeletePreset", R"({"preset":"secret"})")));
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."), refused(bob, "DuplicatePreset", R"({"preset":"secret"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             ok(bob, "ExportUserPresets", R"({"titles":["secret"]})")->getArray("presets")->size());
        // Bob's own preset of the same title is his alone; editing "secret" touches only his.
        addPreset(bob, "SECRET");
        addPreset(bob, "renamed", R"({"is_edit":true,"editing":"secret"})");
        CPPUNIT_ASSERT_EQUAL(std::string("renamed"), titlesOf(bob));
        CPPUNIT_ASSERT_EQUAL(std::string("secret"), titlesOf(alice));

        // The preview URL is confined to its owner: bob gets nothing, neither does anyone anonymous.
        CPPUNIT_ASSERT_EQUAL(200, viewWithCookie(alice, url).status);
        CPPUNIT_ASSERT_EQUAL(404, viewWithCookie(bob, url).status);
        CPPUNIT_ASSERT_EQUAL(401, _client->get(url).status);
        // Dot segments never reach the module; an encoded slash is part of the title.
        CPPUNIT_ASSERT(viewWithCookie(bob, "/ViewSpecial/Preset/../Preset/secret").status >= 400);
        CPPUNIT_ASSERT(viewWithCookie(bob, "/ViewSpecial/Preset/%2E%2E%2Fsecret").status >= 400);
        // Alice's preset is not shared, so the shared URL does not serve it either.
        CPPUNIT_ASSERT_EQUAL(404, viewWithCookie(bob, "/ViewSpecial/SharedPreset/alice/secret").status);
        CPPUNIT_ASSERT(ok(alice, "DeletePreset", R"({"preset":"secret"})")->getValue<bool>("success"));
        CPPUNIT_ASSERT_EQUAL(404, viewWithCookie(alice, url).status);
    }

    void previewImagesAreCheckedAndServed()
    {
        const std::string metadata = R"({"sui_image_params":{"prompt":"a cat"}})";
        auto body = object(presetBody("cat"));
        body->set("preview_image", dataUrl("image/png", pngFile(1024, 768)));
        body->set("preview_image_metadata", metadata);
        ok(alice, "AddNewPreset", text(body));
        const std::string url = presetNamed(alice, "cat")->getValue<std::string>("preview_image");
        auto image = viewWithCookie(alice, url);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(image.body, 200, image.status);
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), image.header("Content-Type"));
        const auto decoded = comfygate::presets::JpegDecoder::decode(image.body, 1'000'000, 1024);
        CPPUNIT_ASSERT_EQUAL(256u, decoded.width);
        CPPUNIT_ASSERT_EQUAL(192u, decoded.height);
        CPPUNIT_ASSERT_EQUAL(metadata, comfygate::presets::JpegDecoder::comment(image.body));

        const auto fails = [this](const std::string& preview) {
            auto request = object(presetBody("bad"));
            request->set("preview_image", preview);
            return refused(alice, "AddNewPreset", text(request));
        };
        CPPUNIT_ASSERT(fails(dataUrl("image/png", "this is text pretending to be a PNG")).find("not a PNG or JPEG") !=
                       std::string::npos);
        const std::string png = pngFile(200, 200);
        CPPUNIT_ASSERT(fails(dataUrl("image/png", png.substr(0, png.size() * 2 / 3))).find("damaged PNG") !=
                       std::string::npos);
        CPPUNIT_ASSERT(fails(dataUrl("image/png", pngHeaderOnly(50000, 50000))).find("too large (50000x50000") !=
                       std::string::npos);
        const std::string oversized = fails(dataUrl("image/png", std::string(350'000, 'x')));
        CPPUNIT_ASSERT_MESSAGE(oversized, oversized.find("too large") != std::string::npos &&
                                              oversized.find("400000") != std::string::npos);
        CPPUNIT_ASSERT(fails("data:image/png;base64,@@@@").find("base64") != std::string::npos);
        for (const char* forbidden :
             {"http://evil.example/x.png", "/Output/x.png?token=1", "/Output/../API/GetMyUserData", "/View/bob/x.png",
              "file:///etc/passwd", "javascript:alert(1)"})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(forbidden, std::string("Forbidden preview-image path."), fails(forbidden));
        CPPUNIT_ASSERT_EQUAL(std::string("cat"), titlesOf(alice));

        // An /Output path is stored as-is; the placeholder and empty mean none.
        addPreset(alice, "from output", R"({"preview_image":"/Output/raw/2026-12-07/0001.png"})");
        addPreset(alice, "placeholder", R"({"preview_image":"imgs/model_placeholder.jpg"})");
        addPreset(alice, "none", R"({"preview_image":""})");
        CPPUNIT_ASSERT_EQUAL(std::string("/Output/raw/2026-12-07/0001.png"),
                             presetNamed(alice, "from output")->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT_EQUAL(std::string("imgs/model_placeholder.jpg"),
                             presetNamed(alice, "placeholder")->getValue<std::string>("preview_image"));
        CPPUNIT_ASSERT_EQUAL(std::string("imgs/model_placeholder.jpg"),
                             presetNamed(alice, "none")->getValue<std::string>("preview_image"));
    }

    void exportCarriesFullDataUrls()
    {
        auto body = object(presetBody("with, comma"));
        body->set("preview_image", dataUrl("image/jpeg", jpegFile(300, 100)));
        body->set("preview_image_metadata", "exported metadata");
        ok(alice, "AddNewPreset", text(body));
        addPreset(alice, "plain");

        auto all = ok(alice, "ExportUserPresets")->getArray("presets");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), all->size());
        auto onlyOne = ok(alice, "ExportUserPresets", R"({"titles":["WITH, COMMA"]})")->getArray("presets");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), onlyOne->size());
        auto exported = onlyOne->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("author,description,is_starred,param_map,preview_image,shared,title"),
                             keysOf(exported));
        const std::string url = exported->getValue<std::string>("preview_image");
        CPPUNIT_ASSERT_MESSAGE(url.substr(0, 40), url.rfind("data:image/jpeg;base64,", 0) == 0);
        const std::string jpeg = decodeDataUrl(url);
        const auto decoded = comfygate::presets::JpegDecoder::decode(jpeg, 1'000'000, 1024);
        CPPUNIT_ASSERT_EQUAL(256u, decoded.width);
        CPPUNIT_ASSERT_EQUAL(85u, decoded.height);
        CPPUNIT_ASSERT_EQUAL(std::string("exported metadata"), comfygate::presets::JpegDecoder::comment(jpeg));
        CPPUNIT_ASSERT_EQUAL(std::string("30"), exported->getObject("param_map")->getValue<std::string>("steps"));

        // The export imports again as it is (SwarmUI's import sends it back through AddNewPreset).
        auto again = object(presetBody("imported"));
        again->set("preview_image", url);
        ok(bob, "AddNewPreset", text(again));
        CPPUNIT_ASSERT_EQUAL(
            200, viewWithCookie(bob, presetNamed(bob, "imported")->getValue<std::string>("preview_image")).status);

        CPPUNIT_ASSERT_EQUAL(std::size_t(0),
                             ok(alice, "ExportUserPresets", R"({"titles":[]})")->getArray("presets")->size());
        CPPUNIT_ASSERT(refused(alice, "ExportUserPresets", R"({"titles":"plain"})", "error").find("titles") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused(alice, "ExportUserPresets", R"({"titles":[1,{"a":2}]})", "error").find("titles") !=
                       std::string::npos);
    }

    void sharedPresetsAreReadOnlyForOthers()
    {
        addPreset(chief, "house style", R"({"preview_image":")" + dataUrl("image/png", pngFile(40, 40)) + R"("})");
        // Publishing needs manage_shared_presets (admins): alice may not, and may not publish chief's.
        CPPUNIT_ASSERT(call(alice, "PublishSharedPreset", R"({"preset":"house style"})").status >= 400);
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."),
                             refused(chief, "PublishSharedPreset", R"({"preset":"missing"})"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             text(ok(chief, "PublishSharedPreset", R"({"preset":"HOUSE STYLE"})")));

        auto mine = presetNamed(chief, "house style");
        CPPUNIT_ASSERT_EQUAL(true, mine->getValue<bool>("shared"));
        CPPUNIT_ASSERT_EQUAL(false, mine->getValue<bool>("read_only"));
        auto seen = presetNamed(alice, "house style");
        CPPUNIT_ASSERT_EQUAL(std::string("chief"), seen->getValue<std::string>("author"));
        CPPUNIT_ASSERT_EQUAL(true, seen->getValue<bool>("shared"));
        CPPUNIT_ASSERT_EQUAL(true, seen->getValue<bool>("read_only"));
        CPPUNIT_ASSERT_EQUAL(std::string("30"), seen->getObject("param_map")->getValue<std::string>("steps"));
        const std::string sharedUrl = seen->getValue<std::string>("preview_image");
        CPPUNIT_ASSERT_MESSAGE(sharedUrl,
                               sharedUrl.rfind("/ViewSpecial/SharedPreset/chief/house%20style?editid=", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(200, viewWithCookie(alice, sharedUrl).status);
        CPPUNIT_ASSERT_EQUAL(200, viewWithCookie(visitor, sharedUrl).status);
        CPPUNIT_ASSERT_EQUAL(std::string("house style"), titlesOf(visitor));

        // Read-only for everyone else: no delete, no edit, no rename of it.
        const std::string readOnly = "That preset is shared by chief: only they can change it.";
        CPPUNIT_ASSERT_EQUAL(readOnly, refused(alice, "DeletePreset", R"({"preset":"house style"})"));
        CPPUNIT_ASSERT_EQUAL(
            readOnly,
            refused(alice, "AddNewPreset", presetBody("house style", R"({"is_edit":true,"editing":"house style"})")));
        CPPUNIT_ASSERT_EQUAL(readOnly, refused(alice, "AddNewPreset",
                                               presetBody("mine now", R"({"is_edit":true,"editing":"House Style"})")));
        // Her own preset of that title is hers (listed next to the shared one), and a copy needs her own.
        addPreset(alice, "house style");
        CPPUNIT_ASSERT_EQUAL(std::string("house style|house style"), titlesOf(alice));
        ok(alice, "DeletePreset", R"({"preset":"house style"})");
        CPPUNIT_ASSERT_EQUAL(std::string("house style"), titlesOf(alice));
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."),
                             refused(alice, "DuplicatePreset", R"({"preset":"house style"})"));

        // The publisher edits it; everyone sees the edit, and it stays shared.
        addPreset(
            chief, "house style",
            R"({"is_edit":true,"editing":"house style","description":"v2","preview_image":"/ViewSpecial/Preset/house style"})");
        CPPUNIT_ASSERT_EQUAL(std::string("v2"),
                             presetNamed(alice, "house style")->getValue<std::string>("description"));
        // An unshared duplicate: copies are not published.
        ok(chief, "DuplicatePreset", R"({"preset":"house style"})");
        CPPUNIT_ASSERT_EQUAL(std::string("house style"), titlesOf(alice));

        // Taken down: by another admin naming the author, or by the publisher.
        CPPUNIT_ASSERT(call(alice, "UnpublishSharedPreset", R"({"preset":"house style","author":"chief"})").status >=
                       400);
        ok(chief, "UnpublishSharedPreset", R"({"preset":"house style"})");
        CPPUNIT_ASSERT_EQUAL(std::string(""), titlesOf(alice));
        CPPUNIT_ASSERT_EQUAL(404, viewWithCookie(alice, sharedUrl).status);
        CPPUNIT_ASSERT_EQUAL(std::string("No such preset."),
                             refused(chief, "UnpublishSharedPreset", R"({"preset":"house style","author":"bob"})"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":false})"),
                             text(ok(alice, "DeletePreset", R"({"preset":"house style"})")));
    }

    void starredModelsLinksAndParamEdits()
    {
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             text(ok(alice, "SetStarredModels",
                                     R"({"Stable-Diffusion":["sdxl.safetensors","flux/dev.safetensors"],"LoRA":[]})")));
        CPPUNIT_ASSERT_EQUAL(
            std::string(R"({"success":true})"),
            text(ok(alice, "SetPresetLinks", R"({"Stable-Diffusion":{"sdxl.safetensors":["Portrait","x/y"]}})")));
        auto data = ok(alice, "GetMyUserData");
        auto starred = data->getObject("starred_models");
        CPPUNIT_ASSERT_EQUAL(std::string("LoRA,Stable-Diffusion"), keysOf(starred));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(["sdxl.safetensors","flux/dev.safetensors"])"),
                             text(starred->get("Stable-Diffusion")));
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"Stable-Diffusion":{"sdxl.safetensors":["Portrait","x/y"]}})"),
                             text(data->get("model_preset_links")));
        CPPUNIT_ASSERT_EQUAL(std::string("{}"), text(ok(bob, "GetMyUserData")->get("starred_models")));

        // Anything but the documented shapes is refused, and the stored document stays.
        for (const char* bad : {R"({"Stable-Diffusion":"sdxl.safetensors"})", R"({"Stable-Diffusion":[1,2]})",
                                R"({"Stable-Diffusion":{"a":["b"]}})"})
            CPPUNIT_ASSERT_MESSAGE(
                bad, refused(alice, "SetStarredModels", bad, "error").find("Invalid starred_models") == 0);
        for (const char* bad : {R"({"Stable-Diffusion":["a"]})", R"({"Stable-Diffusion":{"m":"Portrait"}})",
                                R"({"Stable-Diffusion":{"m":[["nested"]]}})"})
            CPPUNIT_ASSERT_MESSAGE(
                bad, refused(alice, "SetPresetLinks", bad, "error").find("Invalid model_preset_links") == 0);
        const std::string tooBig = R"({"LoRA":[")" + std::string(5000, 'l') + R"("]})";
        CPPUNIT_ASSERT(refused(alice, "SetStarredModels", tooBig, "error").find("4096") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::string("LoRA,Stable-Diffusion"),
                             keysOf(ok(alice, "GetMyUserData")->getObject("starred_models")));

        // Guests keep starred models (fundamental_model_access is a GUEST permission).
        ok(visitor, "SetStarredModels", R"({"VAE":["a.safetensors"]})");
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"VAE":["a.safetensors"]})"),
                             text(ok(visitor, "GetMyUserData")->get("starred_models")));

        // Parameter edits: stored, not part of GetMyUserData's shape (SwarmUI serves them with the parameters).
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"success":true})"),
                             text(ok(alice, "SetParamEdits", R"({"rawData":{"edits":{"steps":{"max":80}}}})")));
        CPPUNIT_ASSERT(refused(alice, "SetParamEdits", R"({"rawData":{"edit":{}}})", "error").find("edits") !=
                       std::string::npos);
        CPPUNIT_ASSERT(refused(alice, "SetParamEdits", R"({"rawData":"edits"})", "error").find("rawData") !=
                       std::string::npos);
        CPPUNIT_ASSERT(call(visitor, "SetParamEdits", R"({"rawData":{"edits":{}}})").status >=
                       400); // edit_params is USER
    }

    void concurrentWritersTakeTurns()
    {
        // Eight clients save one new title at once: one wins, the others hear it is taken.
        std::atomic<int> saved{0}, taken{0}, other{0};
        std::vector<std::thread> writers;
        const unsigned port = _server->port();
        const std::string body = [&] {
            auto request = object(presetBody("race"));
            request->set("session_id", alice.session);
            return text(request);
        }();
        for (int i = 0; i < 8; ++i)
            writers.emplace_back([&, port] {
                auto result = HttpTestClient(port).postJson("/API/AddNewPreset", body);
                if (result.body == R"({"success":true})")
                    ++saved;
                else if (result.body == R"({"preset_fail":"That preset name is taken."})")
                    ++taken;
                else
                    ++other;
            });
        for (auto& writer : writers)
            writer.join();
        CPPUNIT_ASSERT_EQUAL(1, saved.load());
        CPPUNIT_ASSERT_EQUAL(7, taken.load());
        CPPUNIT_ASSERT_EQUAL(0, other.load());

        // Four duplicates at once each get their own number.
        std::vector<std::thread> copiers;
        std::atomic<int> copied{0};
        for (int i = 0; i < 4; ++i)
            copiers.emplace_back([&, port] {
                auto request = object(R"({"preset":"race"})");
                request->set("session_id", alice.session);
                if (HttpTestClient(port).postJson("/API/DuplicatePreset", text(request)).body == R"({"success":true})")
                    ++copied;
            });
        for (auto& copier : copiers)
            copier.join();
        CPPUNIT_ASSERT_EQUAL(4, copied.load());
        CPPUNIT_ASSERT_EQUAL(std::string("race|race (2)|race (3)|race (4)|race (5)"), titlesOf(alice));
    }

    void presetsPerUserAreCapped()
    {
        for (int i = 0; i < 12; ++i)
            addPreset(bob, "p" + std::to_string(i));
        const std::string full = "You have 12 presets, the most this server keeps per user: delete some first.";
        CPPUNIT_ASSERT_EQUAL(full, refused(bob, "AddNewPreset", presetBody("one more")));
        CPPUNIT_ASSERT_EQUAL(full, refused(bob, "DuplicatePreset", R"({"preset":"p0"})"));
        // Editing is not adding, and other users have their own room.
        addPreset(bob, "p0 renamed", R"({"is_edit":true,"editing":"p0"})");
        addPreset(alice, "one more");
        ok(bob, "DeletePreset", R"({"preset":"p1"})");
        addPreset(bob, "one more");
    }
};

} // namespace comfygate::test::presets

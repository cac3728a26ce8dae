#pragma once

#include "CivitaiFixtures.h"
#include "FakeModelSource.h"

#include <map>
#include <set>

namespace comfygate::fakes {

/// A fake CivitAI: the public API (`/api/v1/model-versions/{id}`, `by-hash/{hash}`,
/// `/api/v1/models/{id}`, `/api/v1/images`, tRPC `image.getGenerationData`, `/api/v1/me`),
/// the download route `/api/download/models/{versionId}` with the decision order of the
/// reference (§1.5) and a signed 307 to the storage listener, and the storage (`/r2/{key}`)
/// that checks signature and expiry, refuses any Authorization (400) and serves Range.
/// See README.md for routes, faults and fixtures.
class FakeCivitai : public FakeModelSource
{
public:
    FakeCivitai();
    ~FakeCivitai() override;

    // ---- fixtures (thread-safe; throw std::invalid_argument on inconsistent data) ----
    void addModel(const CivitaiModel& model);
    /// The model must exist; every file's fileKey must have been added with addFile().
    void addVersion(const CivitaiVersion& version);
    void addImage(const CivitaiImage& image);

    // ---- switches ----
    /// Requests of this user id (0: anonymous callers) get 403 "Forbidden" on the download route.
    void blockUser(int userId);
    /// Successful downloads allowed per user (anonymous: per client IP) before 429; 0 = no limit.
    void setDownloadLimit(int perUser) { setLocked(_mutex, _downloadLimit, perUser); }
    /// The observed bug: HEAD on the download route answers 401 even with a valid token. On by default.
    void setHeadRequiresAuthBug(bool enabled) { setLocked(_mutex, _headAuthBug, enabled); }
    /// tRPC answers `result.data` as a devalue string instead of the superjson object.
    void setDevalueMode(bool enabled) { setLocked(_mutex, _devalue, enabled); }
    /// tRPC answers 200 with an envelope that has no `result.data` (a broken upstream).
    void setMalformedEnvelope(bool enabled) { setLocked(_mutex, _malformedEnvelope, enabled); }

    // ---- helpers for tests ----
    /// `<apiUrl>/api/download/models/{versionId}`
    std::string downloadUrl(int versionId) const;
    /// Successful 307s handed out so far.
    int downloadsIssued() const;

protected:
    void handleApi(FakeExchange& exchange) override;
    void handleStorage(FakeExchange& exchange) override;
    std::string fixtureSection() const override { return "civitai"; }
    void loadServiceFixture(const Poco::JSON::Object& section) override;
    void resetCounters() override;
    void sendInjectedFailure(FakeExchange& exchange, Listener listener, const Fault& fault) override;

private:
    void modelVersion(FakeExchange& exchange, const std::string& id);
    void byHash(FakeExchange& exchange, const std::string& hash);
    void model(FakeExchange& exchange, const std::string& id);
    void searchModels(FakeExchange& exchange);
    void imageFile(FakeExchange& exchange, const std::string& name);
    void images(FakeExchange& exchange);
    void generationData(FakeExchange& exchange);
    void me(FakeExchange& exchange);
    void download(FakeExchange& exchange, const std::string& versionId);
    void loginPage(FakeExchange& exchange);
    /// The signed storage URL for one file (what the 307 points to).
    std::string signedStorageUrl(const std::string& fileKey, const std::string& fileName);

    Poco::JSON::Object::Ptr versionJson(const CivitaiVersion& version, const CivitaiModel& model, bool withModel) const;
    Poco::JSON::Object::Ptr imageJson(const CivitaiImage& image, bool withMeta) const;
    Poco::JSON::Object::Ptr generationJson(const CivitaiImage& image) const;
    const CivitaiFile* primaryFile(const CivitaiVersion& version) const;

    mutable std::mutex _mutex;
    std::map<int, CivitaiModel> _models;
    std::map<int, CivitaiVersion> _versions;
    std::map<int, CivitaiImage> _images;
    std::set<int> _blockedUsers;
    std::map<std::string, int> _downloadsBy;
    int _downloadLimit = 0;
    int _downloadsIssued = 0;
    bool _headAuthBug = true;
    bool _devalue = false;
    bool _malformedEnvelope = false;
};

} // namespace comfygate::fakes

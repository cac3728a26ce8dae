#pragma once

#include "FakeModelSource.h"
#include "HuggingFaceFixtures.h"

#include <algorithm>
#include <map>

namespace comfygate::fakes {

/// A fake Hugging Face Hub: `HEAD|GET /{repo}/resolve/{rev}/{path}` (and `/datasets/…`) with
/// the LFS 302 to the CDN listener (X-Repo-Commit, X-Linked-Etag, X-Linked-Size), regular
/// files as 200 with the git blob ETag, 304 on If-None-Match, renamed repos as relative
/// 307, the X-Error-Code errors (RepoNotFound, GatedRepo 401/403, RevisionNotFound,
/// EntryNotFound), `/api/models/{repo}[/revision/{rev}]`, the paginated
/// `/api/models/{repo}/tree/{rev}[/{path}]`, and the CDN `/lfs/{sha256}` with signed,
/// expiring URLs and Range. See README.md.
class FakeHuggingFace : public FakeModelSource
{
public:
    FakeHuggingFace();
    ~FakeHuggingFace() override;

    /// Every entry's fileKey must have been added with addFile(); revisions must name commits.
    void addRepo(const HfRepo& repo);

    // ---- switches ----
    /// Files above this size are LFS unless the entry says otherwise (default 10 MiB).
    void setLfsThreshold(std::uint64_t bytes) { setLocked(_mutex, _lfsThreshold, bytes); }
    /// Tree listing page size (default 1000); pages link the next with `Link: <…>; rel="next"`.
    void setTreePageSize(std::size_t entries) { setLocked(_mutex, _treePageSize, std::max<std::size_t>(1, entries)); }
    /// Regular files answer a relative 307 to `/api/resolve-cache/models/…` (2025 behaviour).
    void setResolveCacheRedirect(bool enabled) { setLocked(_mutex, _resolveCache, enabled); }
    /// The CDN answers 400 to any Authorization header (off by default, as CloudFront ignores it).
    void setCdnRejectsAuthorization(bool enabled) { setLocked(_mutex, _cdnRejectsAuthorization, enabled); }

    // ---- helpers for tests ----
    /// A deterministic 40-hex commit id for a label (SHA-1 of it).
    static std::string commitSha(const std::string& label);
    /// `<apiUrl>/{repo}/resolve/{revision}/{path}`
    std::string resolveUrl(const std::string& repo, const std::string& revision, const std::string& path) const;

protected:
    void handleApi(FakeExchange& exchange) override;
    void handleStorage(FakeExchange& exchange) override;
    std::string fixtureSection() const override { return "huggingface"; }
    void loadServiceFixture(const Poco::JSON::Object& section) override;
    void sendInjectedFailure(FakeExchange& exchange, Listener listener, const Fault& fault) override;

private:
    void resolve(FakeExchange& exchange, const std::string& type, std::size_t repoBegin, std::size_t resolveAt);
    void resolveCache(FakeExchange& exchange);
    void modelInfo(FakeExchange& exchange, const std::string& type);
    /// Token and repository checks shared by every route; answers the error and returns
    /// nothing when access is refused. `rest` is the path after the repo id (for renames).
    std::optional<HfRepo> accessRepo(FakeExchange& exchange, const std::string& type, const std::string& id,
                                     const std::string& rawRest, bool fileAccess);
    const HfCommit* findCommit(const HfRepo& repo, const std::string& revision) const;
    bool isLfs(const HfEntry& entry, const FixtureFile& file) const;
    void sendHubError(FakeExchange& exchange, int status, const std::string& code, const std::string& message);
    std::string signedCdnUrl(const FixtureFile& file, const std::string& fileName);
    void serveRegular(FakeExchange& exchange, const HfCommit& commit, const HfEntry& entry, const FixtureFile& file);

    mutable std::mutex _mutex;
    std::map<std::string, HfRepo> _repos; ///< by "type:id"
    std::uint64_t _lfsThreshold = 10ull * 1024 * 1024;
    std::size_t _treePageSize = 1000;
    bool _resolveCache = false;
    bool _cdnRejectsAuthorization = false;
};

} // namespace comfygate::fakes

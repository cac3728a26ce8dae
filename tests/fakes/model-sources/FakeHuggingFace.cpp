#include "FakeHuggingFace.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <stdexcept>

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

std::string sha1Hex(const std::string& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < length; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0xF];
    }
    return hex;
}

std::string lfsPointer(const FixtureFile& file)
{
    return "version https://git-lfs.github.com/spec/v1\noid sha256:" + file.hashes().sha256 + "\nsize " +
           std::to_string(file.size()) + "\n";
}

std::string gitBlobId(const std::string& content)
{
    return sha1Hex("blob " + std::to_string(content.size()) + std::string(1, '\0') + content);
}

bool isCommitSha(const std::string& text)
{
    return text.size() == 40 && std::all_of(text.begin(), text.end(),
                                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string join(const std::vector<std::string>& parts, std::size_t begin, std::size_t end)
{
    std::string joined;
    for (std::size_t i = begin; i < end && i < parts.size(); ++i)
        joined += (joined.empty() ? "" : "/") + parts[i];
    return joined;
}

std::string encodePath(const std::string& path)
{
    std::string encoded;
    Poco::URI::encode(path, "?#[]@!$&'()*+,;=\" %", encoded);
    return encoded;
}

std::string contentTypeFor(const std::string& path)
{
    const std::string lower = Poco::toLower(path);
    auto endsWith = [&](const std::string& suffix) {
        return lower.size() >= suffix.size() && lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (endsWith(".json"))
        return "application/json; charset=utf-8";
    if (endsWith(".md") || endsWith(".txt") || endsWith(".yaml") || endsWith(".yml"))
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

std::string disposition(const std::string& name)
{
    std::string encoded;
    Poco::URI::encode(name, "!#$&'()*+,/:;=?@[]\" %", encoded);
    return "inline; filename*=UTF-8''" + encoded + "; filename=\"" + name + "\";";
}

/// A repo entry joined with its fixture file.
struct ResolvedEntry
{
    HfEntry entry;
    std::shared_ptr<const FixtureFile> file;
};

} // namespace

FakeHuggingFace::FakeHuggingFace() : FakeModelSource("hf", "cdn") {}

FakeHuggingFace::~FakeHuggingFace()
{
    stop();
}

void FakeHuggingFace::addRepo(const HfRepo& repo)
{
    if (repo.id.empty())
        throw std::invalid_argument("repo id is empty");
    if (repo.type != "model" && repo.type != "dataset")
        throw std::invalid_argument("repo type must be model or dataset");
    std::set<std::string> shas;
    for (const auto& commit : repo.commits) {
        if (!isCommitSha(commit.sha))
            throw std::invalid_argument("commit ids are 40 lower-case hex: " + commit.sha);
        shas.insert(commit.sha);
        for (const auto& entry : commit.files)
            if (!file(entry.fileKey))
                throw std::invalid_argument("repo entry refers to unknown file " + entry.fileKey);
    }
    for (const auto& [name, sha] : repo.revisions)
        if (!shas.count(sha))
            throw std::invalid_argument("revision " + name + " names an unknown commit");
    std::lock_guard lock(_mutex);
    _repos[repo.type + ":" + repo.id] = repo;
}

std::string FakeHuggingFace::commitSha(const std::string& label)
{
    return sha1Hex(label);
}

std::string FakeHuggingFace::resolveUrl(const std::string& repo, const std::string& revision,
                                        const std::string& path) const
{
    std::string encodedRevision;
    Poco::URI::encode(revision, "/?#%", encodedRevision);
    return apiUrl() + "/" + repo + "/resolve/" + encodedRevision + "/" + encodePath(path);
}

bool FakeHuggingFace::isLfs(const HfEntry& entry, const FixtureFile& file) const
{
    if (entry.lfs)
        return *entry.lfs;
    std::lock_guard lock(_mutex);
    return file.size() > _lfsThreshold;
}

const HfCommit* FakeHuggingFace::findCommit(const HfRepo& repo, const std::string& revision) const
{
    std::string sha = revision;
    const auto named = repo.revisions.find(revision);
    if (named != repo.revisions.end())
        sha = named->second;
    for (const auto& commit : repo.commits)
        if (commit.sha == sha)
            return &commit;
    return nullptr;
}

void FakeHuggingFace::sendHubError(FakeExchange& exchange, int status, const std::string& code,
                                   const std::string& message)
{
    if (!code.empty())
        exchange.setHeader("X-Error-Code", code);
    exchange.setHeader("X-Error-Message", message);
    exchange.sendError(status, message);
}

void FakeHuggingFace::sendInjectedFailure(FakeExchange& exchange, Listener listener, const Fault& fault)
{
    const int status = fault.failStatus.value_or(503);
    if (status == 429) {
        exchange.setHeader("RateLimit", "\"resolvers\";r=0;t=" + std::to_string(fault.ratelimitReset.value_or(60)));
        exchange.setHeader("RateLimit-Policy", "\"fixed window\";\"resolvers\";q=3000;w=300");
    }
    if (listener == Listener::Storage)
        return exchange.send(status, "text/plain; charset=utf-8", "Injected failure (" + std::to_string(status) + ")");
    sendHubError(exchange, status, "",
                 status == 429 ? "You have been rate-limited; you can retry this action in a few minutes."
                               : "Injected failure (" + std::to_string(status) + ")");
}

std::optional<HfRepo> FakeHuggingFace::accessRepo(FakeExchange& exchange, const std::string& type,
                                                  const std::string& id, const std::string& rawRest, bool fileAccess)
{
    std::optional<TokenInfo> user;
    if (exchange.hasAuthorization()) {
        user = tokens().find(exchange.bearerToken());
        if (!user) {
            sendHubError(exchange, 401, "", "Invalid credentials in Authorization header");
            return std::nullopt;
        }
    }
    std::optional<HfRepo> repo;
    std::string renamedTo;
    {
        std::lock_guard lock(_mutex);
        const auto found = _repos.find(type + ":" + id);
        if (found != _repos.end())
            repo = found->second;
        for (const auto& [key, candidate] : _repos)
            if (candidate.type == type && candidate.renamedFrom == id)
                renamedTo = candidate.id;
    }
    const std::string kind = type == "dataset" ? "dataset" : "model";
    if (!repo && !renamedTo.empty()) {
        const std::string prefix = exchange.rawPath().rfind("/api/", 0) == 0 ? "/api/" + kind + "s/"
                                                                             : (type == "dataset" ? "/datasets/" : "/");
        const std::string query = exchange.rawQuery().empty() ? "" : "?" + exchange.rawQuery();
        exchange.redirect(307, prefix + renamedTo + rawRest + query,
                          "Temporary Redirect. Redirecting to " + prefix + renamedTo + rawRest);
        return std::nullopt;
    }
    const bool granted = user && user->hfGatedAccess.count(id);
    if (!repo || (repo->isPrivate && !granted)) {
        sendHubError(exchange, 401, "RepoNotFound",
                     "Repository not found. Make sure you are authenticated and have access to " + id + ".");
        return std::nullopt;
    }
    if (repo->disabled) {
        sendHubError(exchange, 403, "", "Access to this resource is disabled.");
        return std::nullopt;
    }
    if (fileAccess && !repo->gated.empty() && !granted) {
        if (!user)
            sendHubError(exchange, 401, "GatedRepo",
                         "Access to " + kind + " " + id +
                             " is restricted. You must have access to it and be authenticated to access it. "
                             "Please log in.");
        else
            sendHubError(exchange, 403, "GatedRepo",
                         "Access to " + kind + " " + id +
                             " is restricted and you are not in the authorized list. Visit https://huggingface.co/" +
                             id + " to ask for access.");
        return std::nullopt;
    }
    return repo;
}

// ---------------------------------------------------------------- routing

void FakeHuggingFace::handleApi(FakeExchange& exchange)
{
    const auto& s = exchange.segments();
    std::string route;
    std::function<void()> handler;
    if (s.size() >= 3 && s[0] == "api" && (s[1] == "models" || s[1] == "datasets")) {
        const std::string type = s[1] == "models" ? "model" : "dataset";
        const bool tree = std::find(s.begin() + 2, s.end(), "tree") != s.end();
        route = tree ? "hf.tree" : "hf.models";
        handler = [&, type] { modelInfo(exchange, type); };
    } else if (s.size() >= 4 && s[0] == "api" && s[1] == "resolve-cache") {
        route = "hf.resolve-cache";
        handler = [&] { resolveCache(exchange); };
    } else {
        const std::size_t begin = !s.empty() && s[0] == "datasets" ? 1 : 0;
        const auto resolveAt =
            std::find(s.begin() + static_cast<long>(std::min(begin + 1, s.size())), s.end(), "resolve");
        if (resolveAt == s.end() || s.end() - resolveAt < 3) {
            exchange.sendError(404, "Not Found");
            return;
        }
        route = "hf.resolve";
        const std::size_t at = static_cast<std::size_t>(resolveAt - s.begin());
        handler = [&, begin, at] { resolve(exchange, begin ? "dataset" : "model", begin, at); };
    }
    serveReadRoute(exchange, route, handler, "Method Not Allowed");
}

void FakeHuggingFace::resolve(FakeExchange& exchange, const std::string& type, std::size_t repoBegin,
                              std::size_t resolveAt)
{
    const auto& s = exchange.segments();
    const std::string id = join(s, repoBegin, resolveAt);
    const std::string revision = s[resolveAt + 1];
    const std::string path = join(s, resolveAt + 2, s.size());
    const auto rawResolve = exchange.rawPath().find("/resolve/");
    const auto repo = accessRepo(exchange, type, id, exchange.rawPath().substr(rawResolve), true);
    if (!repo)
        return;
    const HfCommit* commit = findCommit(*repo, revision);
    if (!commit)
        return sendHubError(exchange, 404, "RevisionNotFound", "Invalid rev id: " + revision);
    exchange.setHeader("X-Repo-Commit", commit->sha);
    const auto entry = std::find_if(commit->files.begin(), commit->files.end(),
                                    [&](const HfEntry& candidate) { return candidate.path == path; });
    if (entry == commit->files.end())
        return sendHubError(exchange, 404, "EntryNotFound", path + " does not exist on \"" + revision + "\"");
    const auto fixture = file(entry->fileKey);
    if (injectFailure(exchange, Listener::Api, "hf.resolve", entry->fileKey))
        return;
    const std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);

    if (isLfs(*entry, *fixture)) {
        const std::string etag = "\"" + fixture->hashes().sha256 + "\"";
        exchange.setHeader("X-Linked-Etag", etag);
        exchange.setHeader("X-Linked-Size", std::to_string(fixture->size()));
        if (exchange.header("If-None-Match") == etag)
            return exchange.sendEmpty(304);
        const std::string location = signedCdnUrl(*fixture, name);
        return exchange.redirect(302, location, "Found. Redirecting to " + location);
    }
    const std::string etag = "\"" + fixture->hashes().sha1Git + "\"";
    if (exchange.header("If-None-Match") == etag) {
        exchange.setHeader("ETag", etag);
        return exchange.sendEmpty(304);
    }
    bool viaCache = false;
    {
        std::lock_guard lock(_mutex);
        viaCache = _resolveCache;
    }
    if (viaCache) {
        const std::string location = "/api/resolve-cache/" + type + "s/" + id + "/" + commit->sha + "/" +
                                     encodePath(path) + "?etag=" + encodePath(etag);
        return exchange.redirect(307, location, "Temporary Redirect. Redirecting to " + location);
    }
    exchange.setHeader("Content-Disposition", disposition(name));
    exchange.setHeader("Content-Type", contentTypeFor(path));
    serveFile(exchange, *fixture, etag, faults().effective(service(), "hf.resolve", entry->fileKey));
}

void FakeHuggingFace::resolveCache(FakeExchange& exchange)
{
    // /api/resolve-cache/{models|datasets}/{repo...}/{commit}/{path...}
    const auto& s = exchange.segments();
    const std::string type = s[2] == "datasets" ? "dataset" : "model";
    const auto commitAt = std::find_if(s.begin() + 3, s.end(), isCommitSha);
    if (commitAt == s.end() || commitAt + 1 == s.end())
        return sendHubError(exchange, 404, "EntryNotFound", "Not found");
    const std::size_t at = static_cast<std::size_t>(commitAt - s.begin());
    const std::string id = join(s, 3, at);
    const std::string path = join(s, at + 1, s.size());
    const auto repo = accessRepo(exchange, type, id, "", true);
    if (!repo)
        return;
    const HfCommit* commit = findCommit(*repo, *commitAt);
    if (!commit)
        return sendHubError(exchange, 404, "RevisionNotFound", "Invalid rev id: " + *commitAt);
    exchange.setHeader("X-Repo-Commit", commit->sha);
    const auto entry = std::find_if(commit->files.begin(), commit->files.end(),
                                    [&](const HfEntry& candidate) { return candidate.path == path; });
    if (entry == commit->files.end())
        return sendHubError(exchange, 404, "EntryNotFound", path + " does not exist");
    const auto fixture = file(entry->fileKey);
    const std::string name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
    exchange.setHeader("Content-Disposition", disposition(name));
    exchange.setHeader("Content-Type", contentTypeFor(path));
    serveFile(exchange, *fixture, "\"" + fixture->hashes().sha1Git + "\"",
              faults().effective(service(), "hf.resolve-cache", entry->fileKey));
}

void FakeHuggingFace::modelInfo(FakeExchange& exchange, const std::string& type)
{
    // /api/{models|datasets}/{org}/{name}[/revision/{rev} | /tree/{rev}[/{path}]]
    const auto& s = exchange.segments();
    std::size_t rest = 3;
    if (s.size() >= 4 && s[3] != "revision" && s[3] != "tree")
        rest = 4;
    const std::string id = join(s, 2, rest);
    std::string rawRest;
    {
        // The raw remainder after the repo id, kept encoded for rename redirects.
        std::size_t position = 0;
        for (std::size_t i = 0; i < rest && position != std::string::npos; ++i)
            position = exchange.rawPath().find('/', position + 1);
        if (position != std::string::npos)
            rawRest = exchange.rawPath().substr(position);
    }
    const bool tree = s.size() > rest && s[rest] == "tree";
    const bool byRevision = s.size() > rest && s[rest] == "revision";
    if (s.size() > rest && !tree && !byRevision)
        return exchange.sendError(404, "Not Found");
    if ((tree || byRevision) && s.size() < rest + 2)
        return exchange.sendError(404, "Not Found");
    const auto repo = accessRepo(exchange, type, id, rawRest, false);
    if (!repo)
        return;
    const std::string revision = tree || byRevision ? s[rest + 1] : "main";
    const HfCommit* commit = findCommit(*repo, revision);
    if (!commit)
        return sendHubError(exchange, 404, "RevisionNotFound", "Invalid rev id: " + revision);

    std::vector<ResolvedEntry> entries;
    for (const auto& entry : commit->files)
        entries.push_back({entry, file(entry.fileKey)});
    std::sort(entries.begin(), entries.end(),
              [](const ResolvedEntry& a, const ResolvedEntry& b) { return a.entry.path < b.entry.path; });

    auto lfsJson = [&](const FixtureFile& fixture, const char* oidKey) {
        Object::Ptr lfs = ordered();
        lfs->set(oidKey, fixture.hashes().sha256);
        lfs->set("size", fixture.size());
        lfs->set("pointerSize", lfsPointer(fixture).size());
        return lfs;
    };
    auto blobId = [&](const ResolvedEntry& resolved) {
        return isLfs(resolved.entry, *resolved.file) ? gitBlobId(lfsPointer(*resolved.file))
                                                     : resolved.file->hashes().sha1Git;
    };

    if (!tree) {
        const bool blobs = exchange.query("blobs").value_or("") == "true";
        Object::Ptr json = ordered();
        json->set("_id", sha1Hex(type + ":" + repo->id).substr(0, 24));
        json->set("id", repo->id);
        json->set("author", repo->id.substr(0, repo->id.find('/')));
        json->set("sha", commit->sha);
        json->set("lastModified", commit->date);
        json->set("createdAt", "2026-01-01T00:00:00.000Z");
        json->set("private", repo->isPrivate);
        if (repo->gated.empty())
            json->set("gated", false);
        else
            json->set("gated", repo->gated);
        json->set("disabled", repo->disabled);
        json->set("downloads", 0);
        json->set("likes", 0);
        Array::Ptr tags = new Array;
        for (const auto& tag : repo->tags)
            tags->add(tag);
        json->set("tags", tags);
        if (!repo->libraryName.empty())
            json->set("library_name", repo->libraryName);
        Array::Ptr siblings = new Array;
        for (const auto& resolved : entries) {
            Object::Ptr sibling = ordered();
            sibling->set("rfilename", resolved.entry.path);
            if (blobs) {
                sibling->set("size", resolved.file->size());
                sibling->set("blobId", blobId(resolved));
                if (isLfs(resolved.entry, *resolved.file))
                    sibling->set("lfs", lfsJson(*resolved.file, "sha256"));
            }
            siblings->add(sibling);
        }
        json->set("siblings", siblings);
        return exchange.sendJson(200, json);
    }

    // Tree listing: direct children of `base` (or all descendants with recursive=true).
    const std::string base = join(s, rest + 2, s.size());
    const bool recursive = exchange.query("recursive").value_or("") == "true";
    const bool expand = exchange.query("expand").value_or("") == "true";
    const std::string prefix = base.empty() ? "" : base + "/";
    std::set<std::string> directories;
    std::vector<const ResolvedEntry*> files;
    for (const auto& resolved : entries) {
        const std::string& path = resolved.entry.path;
        if (path.compare(0, prefix.size(), prefix) != 0)
            continue;
        const std::string below = path.substr(prefix.size());
        std::size_t slash = below.find('/');
        if (slash == std::string::npos) {
            files.push_back(&resolved);
            continue;
        }
        directories.insert(prefix + below.substr(0, slash));
        if (!recursive)
            continue;
        files.push_back(&resolved);
        while ((slash = below.find('/', slash + 1)) != std::string::npos)
            directories.insert(prefix + below.substr(0, slash));
    }
    if (!base.empty() && files.empty() && directories.empty())
        return sendHubError(exchange, 404, "EntryNotFound", base + " does not exist on \"" + revision + "\"");

    std::vector<Object::Ptr> listing;
    for (const auto& directory : directories) {
        Object::Ptr item = ordered();
        item->set("type", "directory");
        item->set("oid", sha1Hex("tree " + commit->sha + " " + directory));
        item->set("size", 0);
        item->set("path", directory);
        listing.push_back(item);
    }
    for (const auto* resolved : files) {
        Object::Ptr item = ordered();
        item->set("type", "file");
        item->set("oid", blobId(*resolved));
        item->set("size", resolved->file->size());
        item->set("path", resolved->entry.path);
        if (isLfs(resolved->entry, *resolved->file))
            item->set("lfs", lfsJson(*resolved->file, "oid"));
        if (expand) {
            Object::Ptr last = ordered();
            last->set("id", commit->sha);
            last->set("title", commit->title);
            last->set("date", commit->date);
            item->set("lastCommit", last);
            Object::Ptr security = ordered();
            security->set("status", "safe");
            item->set("securityFileStatus", security);
        }
        listing.push_back(item);
    }
    std::sort(listing.begin(), listing.end(), [](const Object::Ptr& a, const Object::Ptr& b) {
        return a->getValue<std::string>("path") < b->getValue<std::string>("path");
    });

    std::size_t offset = 0;
    if (const auto cursor = exchange.query("cursor")) {
        if (cursor->empty() || cursor->size() > 9 || !std::all_of(cursor->begin(), cursor->end(), ::isdigit))
            return sendHubError(exchange, 400, "", "Invalid cursor");
        offset = std::stoul(*cursor);
    }
    std::size_t pageSize = 0;
    {
        std::lock_guard lock(_mutex);
        pageSize = _treePageSize;
    }
    Array::Ptr page = new Array;
    for (std::size_t i = offset; i < listing.size() && i < offset + pageSize; ++i)
        page->add(listing[i]);
    if (offset + pageSize < listing.size()) {
        std::string next = apiUrl() + exchange.rawPath() + "?";
        if (exchange.query("recursive"))
            next += "recursive=" + *exchange.query("recursive") + "&";
        if (exchange.query("expand"))
            next += "expand=" + *exchange.query("expand") + "&";
        next += "cursor=" + std::to_string(offset + pageSize);
        exchange.setHeader("Link", "<" + next + ">; rel=\"next\"");
    }
    exchange.sendJson(200, Poco::Dynamic::Var(page));
}

// ---------------------------------------------------------------- CDN

std::string FakeHuggingFace::signedCdnUrl(const FixtureFile& fixture, const std::string& fileName)
{
    const std::string expires = std::to_string(std::time(nullptr) + 3600);
    const std::string contentDisposition = "inline; filename=\"" + fileName + "\"";
    const std::string keyPair = "K" + signer().nextUrlId();
    const std::string path = "/lfs/" + fixture.hashes().sha256;
    const std::string signature = signer().sign(path + "\n" + keyPair + "\n" + expires + "\n" + contentDisposition);
    std::string encodedDisposition;
    Poco::URI::encode(contentDisposition, "!#$&'()*+,/:;=?@[]\" %", encodedDisposition);
    return storageUrl() + path + "?Expires=" + expires + "&Signature=" + signature + "&Key-Pair-Id=" + keyPair +
           "&response-content-disposition=" + encodedDisposition;
}

void FakeHuggingFace::handleStorage(FakeExchange& exchange)
{
    const auto& s = exchange.segments();
    if (s.size() != 2 || s[0] != "lfs")
        return exchange.send(404, "text/plain; charset=utf-8", "Not Found");
    if (exchange.method() != "GET" && exchange.method() != "HEAD")
        return exchange.send(405, "text/plain; charset=utf-8", "Method Not Allowed");
    bool rejectAuthorization = false;
    {
        std::lock_guard lock(_mutex);
        rejectAuthorization = _cdnRejectsAuthorization;
    }
    if (rejectAuthorization && exchange.hasAuthorization())
        return exchange.send(400, "application/xml",
                             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidArgument</Code>"
                             "<Message>Only one auth mechanism allowed</Message></Error>");
    const std::string& sha = s[1];
    const std::string expires = exchange.query("Expires").value_or("");
    const std::string contentDisposition = exchange.query("response-content-disposition").value_or("");
    const std::string signature = exchange.query("Signature").value_or("");
    auto accessDenied = [&](const std::string& message) {
        exchange.send(403, "application/xml",
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>" + message +
                          "</Message></Error>");
    };
    const std::string keyPair = exchange.query("Key-Pair-Id").value_or("");
    if (!signer().verify("/lfs/" + sha + "\n" + keyPair + "\n" + expires + "\n" + contentDisposition, signature))
        return accessDenied("Invalid signature");
    std::shared_ptr<const FixtureFile> fixture;
    {
        std::lock_guard lock(_mutex);
        for (const auto& [key, repo] : _repos)
            for (const auto& commit : repo.commits)
                for (const auto& entry : commit.files)
                    if (!fixture) {
                        const auto candidate = file(entry.fileKey);
                        if (candidate && candidate->hashes().sha256 == sha)
                            fixture = candidate;
                    }
    }
    if (!fixture)
        return exchange.send(404, "text/plain; charset=utf-8", "Not Found");
    const Fault fault = faults().effective(service(), "hf.cdn", fixture->key());
    long long expiresAt = 0;
    try {
        expiresAt = std::stoll(expires);
    } catch (const std::exception&) {
    }
    bool expired = expiresAt < static_cast<long long>(std::time(nullptr));
    if (fault.expireAfterS) {
        const auto age = signer().ageSeconds(signature);
        expired = expired || !age || *age > *fault.expireAfterS;
    }
    if (expired)
        return accessDenied("Request has expired");
    if (injectFailure(exchange, Listener::Storage, "hf.cdn", fixture->key()))
        return;
    exchange.setHeader("Content-Type", "application/octet-stream");
    exchange.setHeader("Content-Disposition", contentDisposition);
    exchange.setHeader("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT");
    serveFile(exchange, *fixture, "\"" + sha + "\"", fault);
}

// ---------------------------------------------------------------- fixture documents

void FakeHuggingFace::loadServiceFixture(const Poco::JSON::Object& section)
{
    const auto repos = section.getArray("repos");
    for (std::size_t r = 0; repos && r < repos->size(); ++r) {
        const auto repoJson = repos->getObject(static_cast<unsigned>(r));
        if (!repoJson)
            throw std::invalid_argument("huggingface.repos[] entries must be objects");
        HfRepo repo;
        repo.id = stringField(*repoJson, "id");
        repo.type = stringField(*repoJson, "type", repo.type);
        repo.isPrivate = boolField(*repoJson, "private");
        repo.gated = stringField(*repoJson, "gated");
        repo.disabled = boolField(*repoJson, "disabled");
        repo.renamedFrom = stringField(*repoJson, "renamed_from");
        repo.libraryName = stringField(*repoJson, "library_name");
        if (const auto revisions = repoJson->getObject("revisions"))
            for (const auto& name : revisions->getNames())
                repo.revisions[name] = stringField(*revisions, name);
        if (const auto commits = repoJson->getObject("commits"))
            for (const auto& sha : commits->getNames()) {
                const auto commitJson = commits->getObject(sha);
                if (!commitJson)
                    throw std::invalid_argument("commits.<sha> must be an object");
                HfCommit commit;
                commit.sha = sha;
                if (const auto files = commitJson->getObject("files"))
                    for (const auto& path : files->getNames()) {
                        const auto entryJson = files->getObject(path);
                        if (!entryJson)
                            throw std::invalid_argument("files.<path> must be an object");
                        HfEntry entry{path, stringField(*entryJson, "file_key"), std::nullopt};
                        if (entryJson->has("lfs"))
                            entry.lfs = boolField(*entryJson, "lfs");
                        commit.files.push_back(entry);
                    }
                repo.commits.push_back(commit);
            }
        addRepo(repo);
    }
    if (const auto settings = section.getObject("settings")) {
        if (settings->has("lfs_threshold"))
            setLfsThreshold(static_cast<std::uint64_t>(intField(*settings, "lfs_threshold")));
        if (settings->has("tree_page_size"))
            setTreePageSize(static_cast<std::size_t>(intField(*settings, "tree_page_size")));
        if (settings->has("resolve_cache"))
            setResolveCacheRedirect(boolField(*settings, "resolve_cache"));
        if (settings->has("cdn_rejects_authorization"))
            setCdnRejectsAuthorization(boolField(*settings, "cdn_rejects_authorization"));
    }
}

} // namespace comfygate::fakes

#include "HuggingFaceResolver.h"

#include "OutboundUrlPolicy.h"
#include "ResponseText.h"

#include "comfygate/HttpClient.h"

#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>

namespace comfygate::modeldownload {

namespace {

constexpr int maxSameHostRedirects = 5;

bool isHex(const std::string& value, std::size_t length)
{
    return value.size() == length &&
           std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// `"abc"`, `W/"abc"` → `abc`
std::string etagValue(std::string value)
{
    value = Poco::trim(value);
    if (value.rfind("W/", 0) == 0)
        value.erase(0, 2);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    return Poco::toLower(value);
}

std::int64_t parseSize(const std::optional<std::string>& value)
{
    if (!value)
        return -1;
    std::int64_t size = -1;
    const std::string trimmed = Poco::trim(*value);
    const auto [end, error] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), size);
    return error == std::errc() && end == trimmed.data() + trimmed.size() && size >= 0 ? size : -1;
}

bool isRedirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::vector<std::string> segments(const std::string& path)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto slash = path.find('/', start);
        parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos)
            return parts;
        start = slash + 1;
    }
}

std::string encodeSegment(const std::string& segment)
{
    std::string encoded;
    Poco::URI::encode(segment, "/?#[]@!$&'()*+,;=%: ", encoded);
    return encoded;
}

// "/new-org/new-name/resolve/..." of a same-host redirect → "new-org/new-name"
std::string repoOfResolvePath(const std::string& basePath, const std::string& path)
{
    if (path.rfind(basePath + "/", 0) != 0)
        return {};
    const auto parts = segments(path.substr(basePath.size() + 1));
    if (parts.size() < 4 || parts[2] != "resolve")
        return {};
    std::string decoded;
    Poco::URI::decode(parts[0] + "/" + parts[1], decoded);
    return HuggingFaceResolver::repoIdProblem(decoded).empty() ? decoded : std::string();
}

// The absolute form of a Location. Hub redirects are origin-relative ("/new/name/resolve/...")
// and are joined as text, so escapes such as %2F in a branch name pass through unchanged.
std::string resolveReference(const std::string& base, const std::string& location)
{
    if (location.rfind("/", 0) == 0 && location.rfind("//", 0) != 0) {
        const Poco::URI uri(base);
        return uri.getScheme() + "://" + uri.getAuthority() + location;
    }
    Poco::URI target(base);
    target.resolve(location);
    return target.toString();
}

} // namespace

HuggingFaceResolver::HuggingFaceResolver(HttpClient& http, std::string baseUrl, ResolverSettings settings)
    : _http(http), _baseUrl(std::move(baseUrl)), _settings(std::move(settings))
{
    while (!_baseUrl.empty() && _baseUrl.back() == '/')
        _baseUrl.pop_back();
    if (_baseUrl.empty())
        throw std::invalid_argument("HuggingFaceResolver needs a base URL");
}

std::string HuggingFaceResolver::repoIdProblem(const std::string& repoId)
{
    const auto parts = segments(repoId);
    if (parts.size() != 2)
        return "a Hugging Face repository id is owner/name";
    for (const auto& part : parts) {
        if (part.empty() || part.size() > 96)
            return "a Hugging Face repository id is owner/name";
        if (part == "." || part == ".." || part.find("..") != std::string::npos || part.front() == '-' ||
            part.front() == '.')
            return "the Hugging Face repository id may not contain .. or start a part with - or .";
        const bool allowed = std::all_of(part.begin(), part.end(), [](unsigned char c) {
            return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
        });
        if (!allowed)
            return "the Hugging Face repository id may contain only letters, digits, -, _ and .";
    }
    return {};
}

std::string HuggingFaceResolver::repoPathProblem(const std::string& path)
{
    if (path.empty())
        return "the file path is empty";
    if (path.size() > 1024)
        return "the file path is too long";
    for (const auto& part : segments(path)) {
        if (part.empty() || part == "." || part == "..")
            return "the file path may not contain empty, . or .. segments";
        for (const unsigned char c : part) {
            if (c == '\\' || c < 0x20 || c == 0x7f)
                return "the file path may not contain backslashes or control characters";
        }
    }
    return {};
}

std::string HuggingFaceResolver::encodePath(const std::string& path)
{
    std::string encoded;
    for (const auto& part : segments(path))
        encoded += (encoded.empty() ? "" : "/") + encodeSegment(part);
    return encoded;
}

ResolvedFile HuggingFaceResolver::resolve(const SourceRequest& request)
{
    if (const std::string why = repoIdProblem(request.repoId); !why.empty())
        throw DownloadRefused(why);
    std::string subfolder = request.subfolder;
    while (!subfolder.empty() && subfolder.back() == '/')
        subfolder.pop_back();
    const std::string path = subfolder.empty() ? request.filename : subfolder + "/" + request.filename;
    if (const std::string why = repoPathProblem(path); !why.empty())
        throw DownloadRefused(why);
    const std::string revision = request.revision.empty() ? std::string("main") : request.revision;
    if (revision.size() > 256 ||
        std::any_of(revision.begin(), revision.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
        throw DownloadRefused("the revision is not a valid branch, tag or commit");

    const std::string basePath = Poco::URI(_baseUrl).getPath() == "/" ? "" : Poco::URI(_baseUrl).getPath();
    std::string repo = request.repoId;
    std::string url = _baseUrl + "/" + request.repoId + "/resolve/" + encodeSegment(revision) + "/" + encodePath(path);

    HttpClientRequest head;
    head.method = "HEAD";
    head.userAgent = _settings.userAgent;
    head.headers.emplace_back("Accept-Encoding", "identity");
    if (!request.apiKey.empty())
        head.authorization = "Bearer " + request.apiKey;
    head.followRedirects = false;
    head.totalTimeout = _settings.timeout;
    head.maxAttempts = _settings.maxAttempts;
    head.retryBaseDelay = _settings.retryBaseDelay;
    head.retryMaxDelay = _settings.retryMaxDelay;

    HttpClientResponse answer;
    bool redirectedToCdn = false;
    for (int hop = 0;; ++hop) {
        head.url = url;
        answer = _http.perform(head);
        const auto location = answer.header("location");
        if (!isRedirect(answer.status) || !location)
            break;
        const std::string target = resolveReference(url, *location);
        if (OutboundUrlPolicy::hostAndPort(target) != OutboundUrlPolicy::hostAndPort(url) ||
            Poco::URI(target).getScheme() != Poco::URI(url).getScheme()) {
            redirectedToCdn = true; // an LFS file: its metadata is on this answer, the bytes on the CDN
            break;
        }
        if (hop >= maxSameHostRedirects)
            throw HttpClientError("Hugging Face redirected " + std::to_string(hop + 1) + " times within its own host");
        if (const std::string renamed = repoOfResolvePath(basePath, Poco::URI(target).getPath()); !renamed.empty())
            repo = renamed;
        url = target;
    }

    if (answer.status == 408 || answer.status == 429 || answer.status >= 500)
        throw HttpClientError("Hugging Face is not answering (HTTP " + std::to_string(answer.status) + " after " +
                                  std::to_string(answer.attempts) + " attempts): try again later",
                              true);
    if (answer.status != 200 && !redirectedToCdn)
        refuse(answer.status, answer.header("x-error-code").value_or(""), answer.header("x-error-message").value_or(""),
               request, path);

    const std::string commit = Poco::toLower(Poco::trim(answer.header("x-repo-commit").value_or("")));
    if (!isHex(commit, 40))
        throw DownloadRefused("Hugging Face answered for " + request.repoId + "/" + path +
                              " without a commit id (X-Repo-Commit): cannot pin the download");

    ResolvedFile resolved;
    if (const auto linked = answer.header("x-linked-etag")) {
        const std::string sha256 = etagValue(*linked);
        if (isHex(sha256, 64))
            resolved.sha256 = sha256;
    } else if (const auto etag = answer.header("etag")) {
        const std::string sha1 = etagValue(*etag);
        if (isHex(sha1, 40))
            resolved.gitBlobSha1 = sha1;
    }
    resolved.size = parseSize(answer.header("x-linked-size"));
    if (resolved.size < 0 && !redirectedToCdn)
        resolved.size = parseSize(answer.header("content-length"));
    if (resolved.sha256.empty() && resolved.gitBlobSha1.empty())
        throw DownloadRefused("Hugging Face gave no hash for " + request.repoId + "/" + path +
                              " (neither X-Linked-Etag nor ETag): cannot verify the download");

    resolved.downloadUrl = _baseUrl + "/" + repo + "/resolve/" + commit + "/" + encodePath(path);
    resolved.fileName = segments(path).back();
    resolved.pin = commit;
    resolved.apiKey = request.apiKey;
    resolved.credentialHosts = {OutboundUrlPolicy::hostAndPort(_baseUrl)};
    return resolved;
}

void HuggingFaceResolver::refuse(long status, const std::string& errorCode, const std::string& errorMessage,
                                 const SourceRequest& request, const std::string& path) const
{
    const std::string repoUrl = _baseUrl + "/" + request.repoId;
    const std::string message = ResponseText::printable(errorMessage);
    if (errorCode == "GatedRepo") {
        if (status == 403)
            throw DownloadRefused("gated repository: your Hugging Face token has no access yet; request access at " +
                                  repoUrl);
        throw DownloadRefused("gated repository: request access at " + repoUrl +
                              ", then set a Hugging Face token of the account that has it");
    }
    if (Poco::toLower(message).find("invalid credentials") != std::string::npos)
        throw DownloadRefused("your Hugging Face token was rejected (invalid or expired): replace it and try again");
    if (errorCode == "RepoNotFound")
        throw DownloadRefused(request.apiKey.empty()
                                  ? "repository not found or private: check the name or set a Hugging Face token"
                                  : "repository " + request.repoId +
                                        " not found, or your Hugging Face token cannot read it: check the name");
    if (errorCode == "RevisionNotFound")
        throw DownloadRefused("revision " + ResponseText::printable(request.revision, 80) + " not found in " +
                              request.repoId + ": use a branch, tag or commit that exists");
    if (errorCode == "EntryNotFound")
        throw DownloadRefused("file " + path + " not found in " + request.repoId + " at revision " +
                              ResponseText::printable(request.revision, 80));
    if (Poco::toLower(message).find("disabled") != std::string::npos)
        throw DownloadRefused("repository " + request.repoId + " is disabled on Hugging Face");
    throw DownloadRefused("Hugging Face refused " + request.repoId + "/" + path + " (HTTP " + std::to_string(status) +
                          (message.empty() ? std::string(")") : "): " + message));
}

} // namespace comfygate::modeldownload

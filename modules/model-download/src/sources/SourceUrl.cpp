#include "SourceUrl.h"

#include "comfygate/HttpError.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace comfygate::modeldownload {
namespace {

HttpError invalid(const std::string& message)
{
    return HttpError(400, message, "invalid_source_url");
}

std::string hostOf(const std::string& url)
{
    try {
        return Poco::toLower(Poco::URI(url).getHost());
    } catch (const Poco::Exception&) {
        return {};
    }
}

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

void addUnique(std::vector<std::string>& list, const std::string& item)
{
    if (!item.empty() && !contains(list, item))
        list.push_back(item);
}

std::string joined(std::vector<std::string>::const_iterator from, std::vector<std::string>::const_iterator to)
{
    std::string path;
    for (auto it = from; it != to; ++it)
        path += (path.empty() ? "" : "/") + *it;
    return path;
}

} // namespace

SourceUrl::SourceUrl(const DownloadSettings& settings, std::vector<std::string> huggingfaceHosts) : _settings(settings)
{
    for (const auto& host : settings.civitaiHosts)
        addUnique(_civitaiHosts, Poco::toLower(host));
    addUnique(_civitaiHosts, hostOf(settings.civitaiBaseUrl));
    for (const auto& host : huggingfaceHosts)
        addUnique(_huggingfaceHosts, Poco::toLower(host));
    addUnique(_huggingfaceHosts, hostOf(settings.huggingfaceBaseUrl));
}

std::string SourceUrl::withoutSecrets(const std::string& url)
{
    static const std::vector<std::string> naming{"modelVersionId", "type", "format", "size", "fp"};
    try {
        Poco::URI uri(url);
        Poco::URI::QueryParameters kept;
        for (const auto& parameter : uri.getQueryParameters()) {
            if (contains(naming, parameter.first))
                kept.push_back(parameter);
        }
        uri.setQueryParameters(kept);
        uri.setUserInfo("");
        uri.setFragment("");
        return uri.toString();
    } catch (const Poco::Exception&) {
        return {};
    }
}

Poco::JSON::Object::Ptr SourceUrl::toDownloadBody(const std::string& url) const
{
    if (url.empty())
        throw invalid("\"source_url\" is required");
    if (url.size() > 2048)
        throw invalid("\"source_url\" is longer than 2048 characters");
    Poco::URI uri;
    Query query;
    try {
        uri = Poco::URI(url);
        // Poco decodes the query only when asked: bad percent-encoding there throws here, not later.
        query = uri.getQueryParameters();
    } catch (const Poco::Exception&) {
        throw invalid("\"source_url\" is not a URL");
    }
    const std::string scheme = Poco::toLower(uri.getScheme());
    if (scheme != "https" && scheme != "http")
        throw invalid("\"source_url\" must be an https URL");
    if (!uri.getUserInfo().empty())
        throw invalid("\"source_url\" must not carry credentials");
    const std::string host = Poco::toLower(uri.getHost());
    std::vector<std::string> segments;
    uri.getPathSegments(segments);
    if (contains(_civitaiHosts, host))
        return civitai(host, segments, query);
    if (contains(_huggingfaceHosts, host))
        return huggingface(segments);
    std::string allowed;
    for (const auto& list : {_civitaiHosts, _huggingfaceHosts}) {
        for (const auto& name : list)
            allowed += (allowed.empty() ? "" : ", ") + name;
    }
    throw invalid("downloads come only from CivitAI or Hugging Face (" + allowed + "), not from '" + host + "'");
}

Poco::JSON::Object::Ptr SourceUrl::civitai(const std::string& host, const std::vector<std::string>& segments,
                                           const Query& query) const
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("source", "civitai");
    // A base URL's host (a mirror or a test double) stands for the default CivitAI host.
    body->set("civitai_host", contains(_settings.civitaiHosts, host) ? host : _settings.civitaiHosts.front());
    std::string version;
    if (segments.size() == 4 && segments[0] == "api" && segments[1] == "download" && segments[2] == "models") {
        version = segments[3];
        for (const auto& [name, value] : query) {
            if (name == "type" || name == "format" || name == "size" || name == "fp")
                body->set(name, value);
        }
    } else if ((segments.size() == 2 || segments.size() == 3) && segments[0] == "models") {
        for (const auto& [name, value] : query) {
            if (name == "modelVersionId")
                version = value;
        }
        if (version.empty())
            throw invalid("the CivitAI URL names a model but not a version: use the version's URL, with "
                          "?modelVersionId=...");
    } else {
        throw invalid("not a CivitAI model URL: use https://civitai.com/models/{id}?modelVersionId={version} or "
                      "https://civitai.com/api/download/models/{version}");
    }
    body->set("model_version_id", version);
    return body;
}

Poco::JSON::Object::Ptr SourceUrl::huggingface(const std::vector<std::string>& segments)
{
    // owner / repo / resolve|blob / revision / path...
    if (segments.size() < 5 || (segments[2] != "resolve" && segments[2] != "blob"))
        throw invalid(
            "not a Hugging Face file URL: use https://huggingface.co/{owner}/{repo}/resolve/{revision}/{path}");
    if (segments[0] == "datasets" || segments[0] == "spaces")
        throw invalid("only model repositories can be downloaded from Hugging Face");
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("source", "huggingface");
    body->set("repo_id", segments[0] + "/" + segments[1]);
    body->set("revision", segments[3]);
    body->set("filename", joined(segments.begin() + 4, segments.end()));
    return body;
}

} // namespace comfygate::modeldownload

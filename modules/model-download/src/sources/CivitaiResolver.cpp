#include "CivitaiResolver.h"

#include "OutboundUrlPolicy.h"
#include "ResponseText.h"

#include "comfygate/HttpClient.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cmath>

namespace comfygate::modeldownload {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string text(const Object::Ptr& object, const std::string& key)
{
    if (!object || !object->has(key) || object->isNull(key))
        return {};
    try {
        return object->get(key).convert<std::string>();
    } catch (const Poco::Exception&) {
        return {};
    }
}

bool isSha256(const std::string& value)
{
    return value.size() == 64 &&
           std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

bool isDecimalId(const std::string& value)
{
    return !value.empty() && value.size() <= 12 &&
           std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool sameWord(const std::string& a, const std::string& b)
{
    return Poco::icompare(Poco::trim(a), Poco::trim(b)) == 0;
}

CivitaiFile fileFrom(const Object::Ptr& entry)
{
    CivitaiFile file;
    file.id = text(entry, "id");
    file.name = text(entry, "name");
    file.type = text(entry, "type");
    const Object::Ptr metadata = entry->getObject("metadata");
    file.format = text(metadata, "format");
    file.size = text(metadata, "size");
    file.fp = text(metadata, "fp");
    try {
        if (entry->has("sizeKB") && !entry->isNull("sizeKB"))
            file.sizeKB = entry->getValue<double>("sizeKB");
    } catch (const Poco::Exception&) {
        file.sizeKB = -1;
    }
    const std::string sha256 = Poco::toLower(text(entry->getObject("hashes"), "SHA256"));
    file.sha256 = isSha256(sha256) ? sha256 : std::string();
    file.primary = entry->optValue<bool>("primary", false);
    return file;
}

std::string describe(const CivitaiFile& file)
{
    std::string text = file.name + " (" + file.type;
    for (const std::string* part : {&file.format, &file.size, &file.fp}) {
        if (!part->empty())
            text += ", " + *part;
    }
    return text + ")";
}

std::string selectorText(const SourceRequest& request)
{
    std::string text;
    const std::pair<const char*, const std::string*> selectors[] = {
        {"type", &request.type}, {"format", &request.format}, {"size", &request.size}, {"fp", &request.fp}};
    for (const auto& [name, value] : selectors) {
        if (!value->empty())
            text += (text.empty() ? "" : ", ") + std::string(name) + "=" + *value;
    }
    return text;
}

} // namespace

CivitaiResolver::CivitaiResolver(HttpClient& http, std::vector<std::string> baseUrls, ResolverSettings settings)
    : _http(http), _baseUrls(std::move(baseUrls)), _settings(std::move(settings))
{
    for (auto& url : _baseUrls) {
        while (!url.empty() && url.back() == '/')
            url.pop_back();
    }
    if (_baseUrls.empty() || _baseUrls.front().empty())
        throw std::invalid_argument("CivitaiResolver needs at least one base URL");
}

const CivitaiFile& CivitaiResolver::chooseFile(const std::vector<CivitaiFile>& files, const SourceRequest& request)
{
    if (files.empty())
        throw DownloadRefused("CivitAI model version " + request.modelVersionId + " has no files to download");
    const std::string selectors = selectorText(request);
    if (selectors.empty()) {
        const auto primary = std::find_if(files.begin(), files.end(), [](const CivitaiFile& f) { return f.primary; });
        return primary != files.end() ? *primary : files.front();
    }
    const auto matches = [&](const CivitaiFile& file) {
        return (request.type.empty() || sameWord(request.type, file.type)) &&
               (request.format.empty() || sameWord(request.format, file.format)) &&
               (request.size.empty() || sameWord(request.size, file.size)) &&
               (request.fp.empty() || sameWord(request.fp, file.fp));
    };
    // Several matches: prefer the primary one, as CivitAI's own download route does.
    const auto primaryMatch =
        std::find_if(files.begin(), files.end(), [&](const CivitaiFile& f) { return f.primary && matches(f); });
    if (primaryMatch != files.end())
        return *primaryMatch;
    const auto match = std::find_if(files.begin(), files.end(), matches);
    if (match != files.end())
        return *match;
    std::string offered;
    for (const auto& file : files)
        offered += (offered.empty() ? "" : "; ") + describe(file);
    throw DownloadRefused("no file of CivitAI model version " + request.modelVersionId + " matches " + selectors +
                          "; it has: " + offered);
}

std::string CivitaiResolver::baseUrlFor(const SourceRequest& request) const
{
    if (request.civitaiHost.empty())
        return _baseUrls.front();
    const std::string wanted = Poco::toLower(Poco::trim(request.civitaiHost));
    for (const auto& base : _baseUrls) {
        const std::string hostAndPort = OutboundUrlPolicy::hostAndPort(base);
        const std::string host = hostAndPort.substr(0, hostAndPort.rfind(':'));
        if (wanted == host || wanted == hostAndPort)
            return base;
    }
    throw DownloadRefused("\"" + ResponseText::printable(request.civitaiHost, 80) +
                          "\" is not a configured CivitAI host");
}

HttpClientResponse CivitaiResolver::get(const std::string& url, const std::string& apiKey, bool followRedirects)
{
    HttpClientRequest request;
    request.url = url;
    request.userAgent = _settings.userAgent;
    request.headers.emplace_back("Accept", "application/json");
    if (!apiKey.empty())
        request.authorization = "Bearer " + apiKey;
    request.followRedirects = followRedirects;
    request.totalTimeout = _settings.timeout;
    request.maxBytes = 8 * 1024 * 1024;
    request.maxAttempts = _settings.maxAttempts;
    request.retryBaseDelay = _settings.retryBaseDelay;
    request.retryMaxDelay = _settings.retryMaxDelay;
    HttpClientResponse response = _http.perform(request);
    if (response.status == 408 || response.status == 429 || response.status >= 500)
        throw HttpClientError("CivitAI is not answering (HTTP " + std::to_string(response.status) + " after " +
                                  std::to_string(response.attempts) + " attempts): try again later",
                              true);
    return response;
}

ResolvedFile CivitaiResolver::resolve(const SourceRequest& request)
{
    if (!isDecimalId(request.modelVersionId))
        throw DownloadRefused("a CivitAI model version id is a number");
    const std::string base = baseUrlFor(request);
    const std::string versionId = request.modelVersionId;

    const HttpClientResponse answer = get(base + "/api/v1/model-versions/" + versionId, request.apiKey, true);
    if (answer.status == 404)
        throw DownloadRefused("CivitAI model version " + versionId +
                              " not found (unknown, unpublished, or hidden at your browsing level)");
    if (answer.status != 200)
        throw DownloadRefused("CivitAI refused the model version " + versionId + " (HTTP " +
                              std::to_string(answer.status) + "): " + ResponseText::explanation(answer.body));
    Object::Ptr version;
    try {
        version = Poco::JSON::Parser().parse(answer.body).extract<Object::Ptr>();
    } catch (const Poco::Exception&) {
    }
    if (!version)
        throw HttpClientError("CivitAI answered the model version " + versionId + " with something other than JSON");

    const Object::Ptr model = version->getObject("model");
    const std::string mode = text(model, "mode");
    if (sameWord(mode, "TakenDown"))
        throw DownloadRefused("CivitAI model version " + versionId + " was taken down");
    const Array::Ptr fileList = version->getArray("files");
    if (sameWord(mode, "Archived") || !fileList || fileList->size() == 0)
        throw DownloadRefused("CivitAI model version " + versionId + " is archived: it has no files to download");
    const std::string usage = text(version, "usageControl");
    if (!usage.empty() && !sameWord(usage, "Download"))
        throw DownloadRefused("generation-only model: the creator of CivitAI model version " + versionId +
                              " allows it for on-site generation only, not for download");

    std::vector<CivitaiFile> files;
    for (std::size_t i = 0; i < fileList->size(); ++i) {
        if (const Object::Ptr entry = fileList->getObject(static_cast<unsigned>(i)))
            files.push_back(fileFrom(entry));
    }
    const CivitaiFile& file = chooseFile(files, request);

    ResolvedFile resolved;
    if (isDecimalId(file.id)) {
        resolved.downloadUrl = base + "/api/download/models/" + versionId + "?fileId=" + file.id;
    } else {
        Poco::URI uri(base + "/api/download/models/" + versionId);
        for (const auto& [name, value] :
             {std::pair{"type", file.type}, {"format", file.format}, {"size", file.size}, {"fp", file.fp}}) {
            if (!value.empty())
                uri.addQueryParameter(name, value);
        }
        resolved.downloadUrl = uri.toString();
    }
    resolved.fileName = file.name;
    resolved.sha256 = file.sha256;
    if (file.sizeKB >= 0)
        resolved.sizeHint = static_cast<std::int64_t>(std::llround(file.sizeKB * 1024.0));
    resolved.pin = file.id;
    resolved.apiKey = request.apiKey;
    resolved.credentialHosts = {OutboundUrlPolicy::hostAndPort(base)};

    probeDownload(base, resolved.downloadUrl, request, text(version, "earlyAccessEndsAt"));
    return resolved;
}

void CivitaiResolver::probeDownload(const std::string& baseUrl, const std::string& downloadUrl,
                                    const SourceRequest& request, const std::string& earlyAccessEndsAt)
{
    const HttpClientResponse answer = get(downloadUrl, request.apiKey, false);
    const long status = answer.status;
    if ((status >= 200 && status < 300) || ((status >= 301 && status <= 308) && answer.header("location")))
        return;
    const std::string message = ResponseText::explanation(answer.body);
    const std::string error = ResponseText::jsonField(answer.body, "error");
    const std::string version = "CivitAI model version " + request.modelVersionId;
    switch (status) {
    case 401:
        if (Poco::toLower(message).find("disabled download") != std::string::npos)
            throw DownloadRefused("generation-only model: the creator of " + version + " has disabled downloads");
        throw DownloadRefused(loginRequiredReason(baseUrl, request.apiKey, message));
    case 403:
        if (sameWord(error, "Early Access")) {
            std::string deadline = ResponseText::printable(ResponseText::jsonField(answer.body, "deadline"), 40);
            if (deadline.empty())
                deadline = ResponseText::printable(earlyAccessEndsAt, 40);
            throw DownloadRefused("early access until " +
                                  (deadline.empty() ? std::string("an unknown date") : deadline) + ": " + version +
                                  " can be downloaded only by those who bought early access");
        }
        throw DownloadRefused("CivitAI: you do not have access to download " + version + " (" + message + ")");
    case 404:
        throw DownloadRefused("CivitAI has no downloadable file for " + version +
                              " matching the request (metadata mismatch): " + message);
    case 410:
        throw DownloadRefused(version + " is archived: it is no longer available for download");
    default:
        throw DownloadRefused("CivitAI refused the download of " + version + " (HTTP " + std::to_string(status) +
                              "): " + message);
    }
}

std::string CivitaiResolver::loginRequiredReason(const std::string& baseUrl, const std::string& apiKey,
                                                 const std::string& serverMessage)
{
    if (apiKey.empty())
        return "CivitAI requires an API key for this model: add your CivitAI API key and try again";
    // The download route treats an invalid key like no key at all; only /me tells them apart.
    const HttpClientResponse me = get(baseUrl + "/api/v1/me", apiKey, true);
    if (me.status == 401 || me.status == 403)
        return "your CivitAI API key was rejected (invalid or revoked): replace it and try again";
    return "CivitAI refused the download although your API key is valid: " + serverMessage;
}

} // namespace comfygate::modeldownload

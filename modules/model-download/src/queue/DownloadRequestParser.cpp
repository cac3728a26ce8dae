#include "DownloadRequestParser.h"

#include "comfygate/HttpError.h"
#include "comfygate/Utf8.h"

#include <Poco/RegularExpression.h>
#include <Poco/String.h>

#include <algorithm>
#include <sstream>

namespace comfygate::modeldownload {
namespace {

HttpError invalid(const std::string& message)
{
    return HttpError(400, message, "invalid_request");
}

/// A string member (numbers are accepted where clients send ids as numbers); "" when absent.
/// Only UTF-8: a Comfy Cloud source_url can percent-encode any byte into a file name, and the
/// queue stores the request as JSON, which could not be read back.
std::string field(const Poco::JSON::Object::Ptr& body, const std::string& name, bool numbersToo = false)
{
    if (!body->has(name) || body->isNull(name))
        return {};
    const Poco::Dynamic::Var value = body->get(name);
    if (value.isString()) {
        std::string text = Poco::trim(value.convert<std::string>());
        if (!isUtf8(text))
            throw invalid("\"" + name + "\" must be UTF-8 text");
        return text;
    }
    if (numbersToo && value.isInteger())
        return value.convert<std::string>();
    throw invalid("\"" + name + "\" must be a string");
}

std::string bounded(const Poco::JSON::Object::Ptr& body, const std::string& name)
{
    std::string value = field(body, name);
    static const Poco::RegularExpression selector("^[A-Za-z0-9 ._+-]{1,64}$");
    if (!value.empty() && !selector.match(value))
        throw invalid("\"" + name + "\" has characters or a length a CivitAI file selector never has");
    return value;
}

} // namespace

bool DownloadRequestParser::isModelFolder(const std::string& folderType) const
{
    static const Poco::RegularExpression segment("^[A-Za-z0-9_-]{1,64}$");
    if (!segment.match(folderType) || Poco::icompare(folderType, "custom_nodes") == 0)
        return false;
    return std::find(_settings.folders.begin(), _settings.folders.end(), folderType) != _settings.folders.end();
}

bool DownloadRequestParser::isConfinedPath(const std::string& path)
{
    if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
        path.find('\0') != std::string::npos || path.size() > 512)
        return false;
    std::istringstream parts(path);
    std::string part;
    while (std::getline(parts, part, '/')) {
        if (part.empty() || part == "." || part == "..")
            return false;
    }
    return path.back() != '/';
}

DownloadRequest DownloadRequestParser::parse(const Poco::JSON::Object::Ptr& body) const
{
    DownloadRequest request;
    request.source = field(body, "source");
    if (request.source.empty())
        throw invalid("\"source\" is required: civitai or huggingface");
    if (request.source != "civitai" && request.source != "huggingface")
        throw invalid("unknown source '" + request.source + "': use civitai or huggingface");

    request.folderType = field(body, "folder_type");
    if (request.folderType.empty())
        request.folderType = _settings.defaultFolder;
    if (!isModelFolder(request.folderType))
        throw invalid("folder_type '" + request.folderType +
                      "' is not a model folder; GET /mss-login/api/model-download/folders lists them");

    request.destinationType = field(body, "destination_type");
    if (request.destinationType.empty())
        request.destinationType = "local";
    if (request.destinationType == "s3" && !_settings.s3)
        throw HttpError(403, "S3 destinations are disabled on this server (experimental.s3)", "s3_disabled");
    if (request.destinationType != "local" && request.destinationType != "s3")
        throw invalid("destination_type must be local or s3");

    // Checked for either source: a name with `..` is refused, never silently ignored.
    request.filename = field(body, "filename");
    if (!request.filename.empty() && !isConfinedPath(request.filename))
        throw invalid("\"filename\" must be a relative path inside the repository (no '..', no leading '/')");
    request.subfolder = field(body, "subfolder");
    if (!request.subfolder.empty() && !isConfinedPath(request.subfolder))
        throw invalid("\"subfolder\" must be a relative path inside the repository (no '..', no leading '/')");

    if (request.source == "civitai") {
        request.modelVersionId = field(body, "model_version_id", true);
        if (request.modelVersionId.empty())
            request.modelVersionId = field(body, "modelVersionId", true);
        static const Poco::RegularExpression id("^[1-9][0-9]{0,11}$");
        if (request.modelVersionId.empty())
            throw invalid("\"model_version_id\" is required for CivitAI");
        if (!id.match(request.modelVersionId))
            throw invalid("\"model_version_id\" must be a positive number");
        request.type = bounded(body, "type");
        request.format = bounded(body, "format");
        request.size = bounded(body, "size");
        request.fp = bounded(body, "fp");
        request.civitaiHost = field(body, "civitai_host");
        if (request.civitaiHost.empty())
            request.civitaiHost = _settings.civitaiHosts.front();
        if (std::find(_settings.civitaiHosts.begin(), _settings.civitaiHosts.end(), request.civitaiHost) ==
            _settings.civitaiHosts.end())
            throw invalid("civitai_host '" + request.civitaiHost + "' is not an allowed CivitAI host");
    } else {
        request.repoId = field(body, "repo_id");
        static const Poco::RegularExpression repo("^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$");
        if (request.repoId.empty())
            throw invalid("\"repo_id\" is required for Hugging Face (owner/name)");
        if (!repo.match(request.repoId) || request.repoId.find("..") != std::string::npos)
            throw invalid("\"repo_id\" must look like owner/name");
        if (request.filename.empty())
            throw invalid("\"filename\" is required for Hugging Face");
        request.revision = field(body, "revision");
        if (request.revision.empty())
            request.revision = "main";
        static const Poco::RegularExpression revision("^[A-Za-z0-9._/-]{1,128}$");
        if (!revision.match(request.revision) || !isConfinedPath(request.revision))
            throw invalid("\"revision\" must be a branch, tag or commit");
    }
    request.targetUsername = field(body, "target_username");
    return request;
}

} // namespace comfygate::modeldownload

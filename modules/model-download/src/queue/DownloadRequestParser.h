#pragma once

#include "DownloadJob.h"
#include "DownloadSettings.h"

#include <Poco/JSON/Object.h>

namespace comfygate::modeldownload {

/// Turns a POST .../download body into a DownloadRequest or refuses it with an HttpError a
/// person can act on: 400 for an unknown source, a folder_type that is not a model folder
/// (one segment [A-Za-z0-9_-], never custom_nodes), a `..` or absolute path in filename or
/// subfolder, a missing field; 403 for `destination_type: s3` while experimental.s3 is off.
/// The requester and the API key are the routes' business, not the parser's.
class DownloadRequestParser
{
public:
    explicit DownloadRequestParser(const DownloadSettings& settings) : _settings(settings) {}

    DownloadRequest parse(const Poco::JSON::Object::Ptr& body) const;

    /// True for one path segment of [A-Za-z0-9_-] that is one of the configured folders.
    bool isModelFolder(const std::string& folderType) const;
    /// A relative path of plain segments: no `..`, `.`, empty segment, backslash or leading `/`.
    static bool isConfinedPath(const std::string& path);

private:
    const DownloadSettings& _settings;
};

} // namespace comfygate::modeldownload

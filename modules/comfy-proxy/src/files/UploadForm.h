#pragma once

#include <Poco/TemporaryFile.h>

#include <cstdint>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace comfygate::comfyproxy {

/// A ComfyUI upload form (multipart/form-data) read from the client and written again for
/// ComfyUI, in bounded memory: the `image` file part is spooled to a temporary file in the
/// staging folder, the named text fields stay in memory, everything else is dropped.
class UploadForm
{
public:
    /// Reads the whole body, keeping the text fields named in `keptFields`. Throws HttpError
    /// 400 (not multipart, a field over 64 KiB, no `image` file) or 413 (more than `limit` bytes).
    UploadForm(std::istream& body, const std::string& contentType, const std::set<std::string>& keptFields,
               const std::string& stagingDir, std::uint64_t limit);
    UploadForm(const UploadForm&) = delete;
    UploadForm& operator=(const UploadForm&) = delete;

    std::optional<std::string> field(const std::string& name) const;
    /// Replaces the field (or adds it at the end).
    void setField(const std::string& name, const std::string& value);

    /// The file name the client gave the `image` part.
    const std::string& fileName() const { return _fileName; }
    /// The Content-Type the client gave the `image` part (application/octet-stream when none).
    const std::string& fileContentType() const { return _fileContentType; }
    /// The size of the `image` part in bytes.
    std::uint64_t fileSize() const { return _fileSize; }

    /// `multipart/form-data; boundary=...` of the body write() produces.
    std::string contentType() const;
    /// The exact byte length of write()'s output.
    std::uint64_t contentLength() const;
    /// Writes the form: the fields, then the file part streamed from the spool file.
    void write(std::ostream& out) const;

private:
    std::string fieldsText() const;
    std::string fileHeaderText() const;

    std::vector<std::pair<std::string, std::string>> _fields;
    std::string _fileName;
    std::string _fileContentType;
    Poco::TemporaryFile _spool;
    std::uint64_t _fileSize = 0;
    std::string _boundary;
};

} // namespace comfygate::comfyproxy

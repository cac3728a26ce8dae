#include "UploadForm.h"

#include "comfygate/HttpError.h"

#include <Poco/CountingStream.h>
#include <Poco/File.h>
#include <Poco/Net/MediaType.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartReader.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/StreamCopier.h>
#include <Poco/UUIDGenerator.h>

#include <fstream>

namespace comfygate::comfyproxy {
namespace {

constexpr std::size_t maxFieldBytes = 64 * 1024;
constexpr std::size_t maxParts = 64;

std::string boundaryOf(const std::string& contentType)
{
    try {
        Poco::Net::MediaType type(contentType);
        if (type.matches("multipart", "form-data") && type.hasParameter("boundary"))
            return type.getParameter("boundary");
    } catch (const Poco::Exception&) {
    }
    throw HttpError(400, "the upload must be multipart/form-data");
}

/// Reads a part into memory, refusing more than `limit` bytes.
std::string readField(std::istream& in, const std::string& name)
{
    std::string value;
    char buffer[8192];
    while (in) {
        in.read(buffer, sizeof buffer);
        value.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (value.size() > maxFieldBytes)
            throw HttpError(400, "the form field '" + name + "' is too long");
    }
    return value;
}

} // namespace

UploadForm::UploadForm(std::istream& body, const std::string& contentType, const std::set<std::string>& keptFields,
                       const std::string& stagingDir, std::uint64_t limit)
    : _spool(stagingDir)
{
    const std::string boundary = boundaryOf(contentType);
    Poco::File(stagingDir).createDirectories();
    Poco::CountingInputStream counted(body);
    const auto checkLimit = [&] {
        if (counted.chars() > static_cast<std::streamsize>(limit))
            throw HttpError(413, "the upload exceeds comfy.max_upload_mb");
    };
    // Copies a part to `out` (or nowhere) in blocks, enforcing the limit as it goes.
    const auto copyPart = [&](std::istream& part, std::ostream* out) {
        std::uint64_t copied = 0;
        char buffer[65536];
        while (part) {
            part.read(buffer, sizeof buffer);
            if (out)
                out->write(buffer, part.gcount());
            copied += static_cast<std::uint64_t>(part.gcount());
            checkLimit();
        }
        return copied;
    };
    bool haveFile = false;
    try {
        Poco::Net::MultipartReader reader(counted, boundary);
        std::size_t parts = 0;
        while (reader.hasNextPart()) {
            // Poco's reader keeps finding empty parts at the end of a body without its closing
            // boundary: a part can only start where there is input left.
            if (counted.eof() || ++parts > maxParts)
                throw HttpError(400, "the multipart body is malformed (no closing boundary, or too many parts)");
            Poco::Net::MessageHeader header;
            reader.nextPart(header);
            std::string disposition;
            Poco::Net::NameValueCollection parameters;
            Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition", ""), disposition, parameters);
            const std::string name = parameters.get("name", "");
            std::istream& part = reader.stream();
            if (name == "image" && parameters.has("filename") && !haveFile) {
                haveFile = true;
                _fileName = parameters.get("filename");
                _fileContentType = header.get("Content-Type", "application/octet-stream");
                std::ofstream spool(_spool.path(), std::ios::binary | std::ios::trunc);
                _fileSize = copyPart(part, &spool);
                if (!spool.flush())
                    throw HttpError(500, "could not stage the upload in " + stagingDir);
            } else if (keptFields.count(name) && !parameters.has("filename")) {
                setField(name, readField(part, name));
            } else {
                copyPart(part, nullptr);
            }
            checkLimit();
        }
    } catch (const HttpError&) {
        throw;
    } catch (const Poco::Exception& e) {
        checkLimit();
        throw HttpError(400, "the multipart body is malformed: " + e.message());
    }
    checkLimit();
    if (!haveFile)
        throw HttpError(400, "the upload has no 'image' file");
    _boundary = "comfygate-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

std::optional<std::string> UploadForm::field(const std::string& name) const
{
    for (const auto& [key, value] : _fields)
        if (key == name)
            return value;
    return std::nullopt;
}

void UploadForm::setField(const std::string& name, const std::string& value)
{
    for (auto& [key, existing] : _fields) {
        if (key == name) {
            existing = value;
            return;
        }
    }
    _fields.emplace_back(name, value);
}

std::string UploadForm::contentType() const
{
    return "multipart/form-data; boundary=" + _boundary;
}

std::string UploadForm::fieldsText() const
{
    std::string text;
    for (const auto& [name, value] : _fields)
        text += "--" + _boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    return text;
}

std::string UploadForm::fileHeaderText() const
{
    return "--" + _boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + _fileName +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
}

std::uint64_t UploadForm::contentLength() const
{
    const std::string closing = "\r\n--" + _boundary + "--\r\n";
    return fieldsText().size() + fileHeaderText().size() + _fileSize + closing.size();
}

void UploadForm::write(std::ostream& out) const
{
    out << fieldsText() << fileHeaderText();
    std::ifstream spool(_spool.path(), std::ios::binary);
    Poco::StreamCopier::copyStream64(spool, out, 65536);
    out << "\r\n--" << _boundary << "--\r\n";
}

} // namespace comfygate::comfyproxy

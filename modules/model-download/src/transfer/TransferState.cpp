#include "TransferState.h"

#include "DurableFile.h"
#include "SourceResolver.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace comfygate::modeldownload {

namespace {

constexpr int formatVersion = 1;

} // namespace

TransferState TransferState::describing(const ResolvedFile& file)
{
    TransferState state;
    state.url = file.downloadUrl;
    state.pin = file.pin;
    state.size = file.size;
    state.sha256 = file.sha256;
    state.gitBlobSha1 = file.gitBlobSha1;
    return state;
}

bool TransferState::sameFileAs(const ResolvedFile& file) const
{
    if (size != file.size)
        return false;
    if (!sha256.empty() || !file.sha256.empty())
        return sha256 == file.sha256;
    if (!gitBlobSha1.empty() || !file.gitBlobSha1.empty())
        return gitBlobSha1 == file.gitBlobSha1;
    return url == file.downloadUrl && pin == file.pin;
}

std::optional<TransferState> TransferState::load(const std::filesystem::path& path)
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    try {
        const auto object = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
        if (!object || object->optValue<int>("version", 0) != formatVersion)
            return std::nullopt;
        TransferState state;
        state.url = object->optValue<std::string>("url", "");
        state.pin = object->optValue<std::string>("pin", "");
        state.size = object->optValue<Poco::Int64>("size", -1);
        state.sha256 = object->optValue<std::string>("sha256", "");
        state.gitBlobSha1 = object->optValue<std::string>("git_blob_sha1", "");
        state.etag = object->optValue<std::string>("etag", "");
        state.bytes = object->optValue<Poco::Int64>("bytes", 0);
        state.parallel = object->optValue<bool>("parallel", false);
        state.total = object->optValue<Poco::Int64>("total", -1);
        if (const auto ranges = object->getArray("ranges")) {
            for (std::size_t i = 0; i < ranges->size(); ++i) {
                const auto pair = ranges->getArray(i);
                if (!pair || pair->size() != 2)
                    return std::nullopt;
                state.ranges.push_back({pair->getElement<Poco::Int64>(0), pair->getElement<Poco::Int64>(1)});
            }
        }
        state.ranges = ByteRanges(state.ranges).list();
        return state;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void TransferState::save(const std::filesystem::path& path) const
{
    Poco::JSON::Object object;
    object.set("version", formatVersion);
    object.set("url", url);
    object.set("pin", pin);
    object.set("size", static_cast<Poco::Int64>(size));
    object.set("sha256", sha256);
    object.set("git_blob_sha1", gitBlobSha1);
    object.set("etag", etag);
    object.set("bytes", static_cast<Poco::Int64>(bytes));
    if (parallel) {
        object.set("parallel", true);
        object.set("total", static_cast<Poco::Int64>(total));
        Poco::JSON::Array list;
        for (const auto& range : ranges) {
            Poco::JSON::Array pair;
            pair.add(static_cast<Poco::Int64>(range.begin));
            pair.add(static_cast<Poco::Int64>(range.end));
            list.add(pair);
        }
        object.set("ranges", list);
    }
    std::ostringstream text;
    object.stringify(text);

    const std::filesystem::path temp = path.string() + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throw DurableFile::systemError("cannot create", temp);
    try {
        const std::string content = text.str();
        DurableFile::writeAll(fd, content.data(), content.size(), temp);
        DurableFile::sync(fd, temp);
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const auto error = DurableFile::systemError("cannot rename to", path);
        ::unlink(temp.c_str());
        throw error;
    }
    DurableFile::syncDirectory(path.parent_path());
}

} // namespace comfygate::modeldownload

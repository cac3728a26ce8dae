#pragma once

#include "DownloadSettings.h"
#include "JobRunner.h"
#include "ModelFileIndex.h"
#include "S3Uploader.h"
#include "SharedTransfers.h"
#include "SourceResolver.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace comfygate {
class Policy;
}

namespace comfygate::modeldownload {

/// The server's JobRunner: resolve the file at its source, ask the `download` policy again
/// now that the size is known, complete at once when the same content is already in the
/// target folder, otherwise transfer it (one transfer per target path), index it and, with
/// model isolation, grant it to the job's owner. A job for destination_type "s3" is fetched and
/// verified the same way into a staging folder, then uploaded (see runToS3).
class TransferJobRunner : public JobRunner
{
public:
    /// Moves one resolved file into `directory/finalName` (FileTransfer::transfer in the server).
    using Transfer =
        std::function<FileTransfer::Result(const ResolvedFile& file, const std::filesystem::path& directory,
                                           const std::string& finalName, const FileTransfer::Hooks& hooks)>;
    /// The user's stored key for a source, if any.
    using KeyLookup = std::function<std::optional<std::string>(const std::string& userId, const std::string& source)>;
    /// Grants a finished file (`folderType`, name relative to the folder, "local" or "s3") to a user.
    using Grant = std::function<void(const std::string& userId, const std::string& folderType,
                                     const std::string& relativeName, const std::string& sourceBackend)>;

    struct Parts
    {
        std::map<std::string, std::shared_ptr<SourceResolver>> resolvers; ///< by source name
        Transfer transfer;
        KeyLookup apiKey;
        Grant grant; ///< may be empty (no grants service)
        /// destination_type "s3": the bucket (null while experimental.s3 is off) and the
        /// folder under the data dir where files are fetched and verified before the upload.
        std::shared_ptr<S3Uploader> s3;
        std::filesystem::path s3Staging;
    };

    TransferJobRunner(const DownloadSettings& settings, ModelFileIndex& index, Policy& policy, Parts parts)
        : _settings(settings), _index(index), _policy(policy), _parts(std::move(parts))
    {
    }

    JobOutcome run(const DownloadJob& job, JobControl& control) override;

private:
    JobOutcome runChecked(const DownloadJob& job, JobControl& control);
    SourceRequest sourceRequest(const DownloadJob& job) const;
    std::optional<std::string> policyRefusal(const DownloadJob& job, const ResolvedFile& file) const;
    JobOutcome publish(const DownloadJob& job, const std::filesystem::path& file, const std::string& sha256);
    JobOutcome runToS3(const DownloadJob& job, JobControl& control, const ResolvedFile& file,
                       const SourceRequest& request, const std::shared_ptr<SourceResolver>& source);
    JobOutcome publishS3(const DownloadJob& job, const S3Object& object, const std::string& relativeKey,
                         const std::string& sha256);
    std::string relativeToModels(const std::filesystem::path& file) const;

    const DownloadSettings& _settings;
    ModelFileIndex& _index;
    Policy& _policy;
    Parts _parts;
    SharedTransfers _shared;
};

} // namespace comfygate::modeldownload

#pragma once

#include "TempDir.h"

#include <Poco/Pipe.h>
#include <Poco/Process.h>

#include <memory>
#include <string>

namespace comfygate::test {

/// A real S3-compatible server on loopback for one test: s3rver (npm, installed by
/// `scripts/dev deps` into <build>/s3rver) run by tests/fakes/s3/server.js, which adds SigV4
/// signature checks and AbortMultipartUpload to it. Listens on a free port of 127.0.0.1,
/// stores into a temp dir, has one bucket and one key pair; killed on destruction (and exits
/// by itself when the test process is gone).
/// Objects can be read back anonymously: GET /<bucket>/<key>.
class S3Server
{
public:
    /// Where s3rver is installed: $COMFYGATE_S3RVER_DIR, else <build>/s3rver.
    static std::string installDir();

    /// Starts the server; throws std::runtime_error with its output when it cannot.
    explicit S3Server(std::string bucket = "models");
    ~S3Server();
    S3Server(const S3Server&) = delete;
    S3Server& operator=(const S3Server&) = delete;

    unsigned port() const { return _port; }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(_port); }
    const std::string& bucket() const { return _bucket; }
    std::string accessKeyId() const { return "COMFYGATETESTKEY"; }
    std::string secretAccessKey() const { return "test/Secret+Key/0123456789abcdefghij"; }

    /// Empties the bucket and clears the fault switch and request counters of server.js, so
    /// that one server can serve a whole suite.
    void reset() const;

    /// Multipart uploads started and neither completed nor aborted (s3rver keeps each in a
    /// directory of <store>/<bucket>/._S3rver_uploads).
    int pendingMultipartUploads() const;

private:
    TempDir _dir;
    std::string _bucket;
    Poco::Pipe _output; // kept open while the server runs: it may still write
    std::unique_ptr<Poco::ProcessHandle> _process;
    unsigned _port = 0;
};

} // namespace comfygate::test

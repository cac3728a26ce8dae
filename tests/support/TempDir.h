#pragma once

#include <string>

namespace comfygate::test {

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return _path; }
    /// path() + "/" + name
    std::string file(const std::string& name) const;
    /// Writes `content` to path()/name, creating parent directories.
    std::string write(const std::string& name, const std::string& content) const;

private:
    std::string _path;
};

} // namespace comfygate::test

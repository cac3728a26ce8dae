#include "TempDir.h"

#include <Poco/File.h>
#include <Poco/Path.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace comfygate::test {

TempDir::TempDir()
{
    std::string pattern = Poco::Path::temp() + "comfygate-test-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary directory");
    _path = pattern;
}

TempDir::~TempDir()
{
    try {
        Poco::File(_path).remove(true);
    } catch (...) {
    }
}

std::string TempDir::file(const std::string& name) const { return _path + "/" + name; }

std::string TempDir::write(const std::string& name, const std::string& content) const
{
    const std::string full = file(name);
    Poco::File(Poco::Path(full).parent()).createDirectories();
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out)
        throw std::runtime_error("cannot write " + full);
    return full;
}

} // namespace comfygate::test

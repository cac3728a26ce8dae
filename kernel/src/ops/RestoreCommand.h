#pragma once

#include "CommandLine.h"

#include <iosfwd>

namespace comfygate {

/// `comfygate restore FILE`: unpacks a backup into an empty (or new) data directory. Every
/// entry is extracted into a temporary directory next to the target, checked against the
/// manifest's checksums, and the migrations recorded in the manifest are checked against the
/// ones this build has; only then is the directory renamed into place. Unsafe entries (absolute,
/// `..`, links) and newer schemas are refused before anything reaches the target.
class RestoreCommand
{
public:
    RestoreCommand(const CommandLine& line, std::ostream& out, std::ostream& err);
    int run();

private:
    const CommandLine& _line;
    std::ostream& _out;
    std::ostream& _err;
};

} // namespace comfygate

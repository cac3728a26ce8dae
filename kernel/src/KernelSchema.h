#pragma once

#include "comfygate/Database.h"

#include <vector>

namespace comfygate {

/// The owner name under which the kernel's own migrations are recorded.
inline constexpr const char* kernelSchemaOwner = "kernel";

/// The kernel's own migrations (owner "kernel"), in number order: the audit log, ...
std::vector<Migration> kernelSchema();

} // namespace comfygate

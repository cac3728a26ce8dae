#pragma once

#include "comfygate/Database.h"

#include <vector>

namespace comfygate {

/// The owner name under which the kernel's own migrations are recorded.
inline constexpr const char* kernelSchemaOwner = "kernel";

/// The kernel's own migrations (owner "kernel"), in number order: the audit log, the policy
/// effects' counters, kv and notification outbox, ...
std::vector<Migration> kernelSchema();

} // namespace comfygate

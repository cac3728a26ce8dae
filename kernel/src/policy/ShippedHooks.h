#pragma once

namespace comfygate {

class Policy;

/// Declares the hooks the shipped scripts use. They are the kernel's, so the shipped scripts
/// load whichever modules run (the modules that call them redeclare them with the same fail
/// mode); `comfygate doctor` declares them too, to compile the scripts without the modules.
void declareShippedHooks(Policy& policy);

} // namespace comfygate

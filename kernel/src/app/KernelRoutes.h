#pragma once

namespace comfygate {

class Kernel;

/// The kernel's own routes: /healthz, /readyz, /metrics, /openapi.json and the policy
/// reload route for admins.
class KernelRoutes
{
public:
    explicit KernelRoutes(Kernel& kernel) : _kernel(kernel) {}
    void registerAll();

private:
    Kernel& _kernel;
};

} // namespace comfygate

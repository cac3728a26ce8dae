#pragma once

#include <stdexcept>

namespace comfygate::userdata {

/// Thrown with a message a person can act on ("node 7 (KSampler): unknown node type ...").
class WorkflowConversionError : public std::runtime_error
{
    using runtime_error::runtime_error;
};

} // namespace comfygate::userdata

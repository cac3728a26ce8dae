#pragma once

#include <Poco/Version.h>

/// The module ABI version. Bump it (and record why in kernel/ABI_CHANGES.md) whenever a
/// header in this directory changes in a way that breaks binary compatibility.
#define COMFYGATE_ABI_VERSION 5u

#define COMFYGATE_STRINGIFY_INNER(x) #x
#define COMFYGATE_STRINGIFY(x) COMFYGATE_STRINGIFY_INNER(x)

/// Everything that must match between the kernel and a module for C++ objects to cross
/// the boundary safely: compiler, language level, Poco version and the ABI version.
#define COMFYGATE_BUILD_SIGNATURE                                                     \
    "abi=" COMFYGATE_STRINGIFY(COMFYGATE_ABI_VERSION) ";gcc=" __VERSION__             \
    ";cxx=" COMFYGATE_STRINGIFY(__cplusplus) ";poco=" COMFYGATE_STRINGIFY(POCO_VERSION)

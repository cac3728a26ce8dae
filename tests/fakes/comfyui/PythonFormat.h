#pragma once

#include <Poco/Dynamic/Var.h>

#include <string>

namespace comfygate::fakes {

/// Formats JSON values the way Python's str() and repr() print them, so error messages read
/// exactly like ComfyUI's f-strings ("Value 0 smaller than min of 1", "['a', 'b']").
class PythonFormat
{
public:
    /// str(value): strings bare, None, True/False, ints, floats with ".0", lists/dicts as repr.
    static std::string str(const Poco::Dynamic::Var& value);
    /// repr(value): like str() but strings quoted with single quotes.
    static std::string repr(const Poco::Dynamic::Var& value);
    /// repr of a double: shortest round-trip form, always with a decimal point or exponent.
    static std::string floatRepr(double value);
};

} // namespace comfygate::fakes

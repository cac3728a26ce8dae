#pragma once

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace comfygate::presets {

/// libjpeg reports a fatal error by calling error_exit, which must not return. This error
/// manager longjmps back to the setjmp of the function driving libjpeg and keeps the message;
/// warnings (corrupt data libjpeg would paper over) are counted in base.num_warnings and not
/// printed. Functions that setjmp on it keep every C++ object outside their own frame, so the
/// jump never skips a destructor.
struct JpegErrorTrap
{
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];

    /// Installs the trap on a libjpeg struct's `err`.
    jpeg_error_mgr* install()
    {
        jpeg_std_error(&base);
        base.error_exit = &JpegErrorTrap::fail;
        base.output_message = &JpegErrorTrap::quiet;
        base.emit_message = &JpegErrorTrap::countWarning;
        message[0] = '\0';
        return &base;
    }

private:
    static void fail(j_common_ptr info)
    {
        auto* trap = reinterpret_cast<JpegErrorTrap*>(info->err);
        (*info->err->format_message)(info, trap->message);
        std::longjmp(trap->jump, 1);
    }
    static void quiet(j_common_ptr) {}
    static void countWarning(j_common_ptr info, int level)
    {
        if (level < 0) {
            if (info->err->num_warnings == 0)
                (*info->err->format_message)(info, reinterpret_cast<JpegErrorTrap*>(info->err)->message);
            ++info->err->num_warnings;
        }
    }
};

} // namespace comfygate::presets

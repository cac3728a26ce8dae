// POST /upload/image and /upload/mask bodies: the first input line is the Content-Type the
// client sends (multipart/form-data; boundary=...), the rest the body. UploadForm reads the
// form in bounded memory, spooling the image part to a file; the target also checks that the
// form it writes again for ComfyUI is exactly as long as the Content-Length it announces.
#include "UploadForm.h"

#include "comfygate/HttpError.h"

#include <Poco/Path.h>
#include <Poco/Process.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

const std::string& stagingDir()
{
    static const std::string dir =
        Poco::Path::temp() + "comfygate-fuzz-upload-" + std::to_string(Poco::Process::id());
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto newline = text.find('\n');
    const std::string contentType = text.substr(0, newline);
    std::istringstream body(newline == std::string::npos ? std::string() : text.substr(newline + 1));
    try {
        comfygate::comfyproxy::UploadForm form(body, contentType, {"subfolder", "type", "overwrite"}, stagingDir(),
                                               32 * 1024);
        form.field("subfolder");
        form.setField("subfolder", "u1/" + form.field("subfolder").value_or(""));
        std::ostringstream out;
        form.write(out);
        if (out.str().size() != form.contentLength())
            std::abort();
    } catch (const comfygate::HttpError& e) {
        if (e.status() != 400 && e.status() != 413)
            std::abort();
    }
    return 0;
}

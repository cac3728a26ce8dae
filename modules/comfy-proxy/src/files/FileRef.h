#pragma once

#include <optional>
#include <string>

namespace comfygate::comfyproxy {

/// One of ComfyUI's files as /view, the uploads and workflow inputs name it: a type
/// directory (input, output, temp), a subfolder inside it and a file name.
///
/// Parsing follows ComfyUI (folder_paths.annotated_filepath and /view): a name ending in
/// "[output]", "[input]" or "[temp]" picks the type and loses the suffix and the character
/// before it; only the last path element of the name is the file, and a path before it is
/// ignored by /view. The gateway is stricter than ComfyUI: any `..` element, an absolute
/// path, a backslash or a control character in the name or the subfolder is refused, so
/// every accepted reference has exactly one normalised form (the key of ownership and NSFW
/// records).
struct FileRef
{
    std::string type = "output";
    std::string subfolder; ///< normalised: no leading or trailing '/', no "." or empty elements
    std::string filename;  ///< a single path element

    /// Why a reference was refused (ComfyUI answers these with 400).
    struct Invalid
    {
        std::string reason;
    };

    /// The reference a GET /view query names. Throws Invalid.
    static FileRef fromView(const std::string& filename, const std::optional<std::string>& type,
                            const std::optional<std::string>& subfolder);

    /// A workflow input value such as "photo.png", "pasted/photo.png [input]" or
    /// "ComfyUI_00001_.png [output]"; `defaultType` applies without a suffix. Throws Invalid.
    static FileRef fromWorkflowValue(const std::string& value, const std::string& defaultType);

    /// The annotation suffix of a name ("output", "input", "temp"), or "" without one.
    static std::string annotation(const std::string& name);

    /// A client's relative folder, normalised ("a//b/./c/" → "a/b/c"); throws Invalid for
    /// `..`, an absolute path, a backslash or a control character.
    static std::string normaliseFolder(const std::string& folder);

    /// True when `name` is one safe path element (no '/', '\\', control characters, not "." or "..").
    static bool isPlainName(const std::string& name);

    /// The first element of the subfolder ("" when there is none).
    std::string topFolder() const { return subfolder.substr(0, subfolder.find('/')); }

    /// The canonical GET /view query naming exactly this file ("filename=..&type=..&subfolder=..").
    std::string viewQuery() const;

    /// A query parameter value percent-encoded the way ComfyUI's frontend encodes it.
    static std::string encodeQueryValue(const std::string& value);

    /// "type/subfolder/filename", for messages and audit records.
    std::string describe() const;
};

} // namespace comfygate::comfyproxy

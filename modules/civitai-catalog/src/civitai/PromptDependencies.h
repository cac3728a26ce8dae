#pragma once

#include <string>
#include <vector>

namespace comfygate::civitaicatalog {

/// A `<lora:Name:weight>` tag found in a positive prompt.
struct LoraTag
{
    std::string name;
    double weight = 1.0; ///< 1.0 when the tag names no weight (A1111's default)
};

/// Reads the hidden dependencies a prompt names (catalog reference §2.4).
///
/// Tag grammar, case-insensitive keyword, spaces allowed around every part:
/// `<` `lora` `:` NAME [ `:` NUMBER [ `:` NUMBER ]... ] `>` — NAME is non-empty and holds no
/// `<`, `>` or `:`. Anything else that starts with `<lora` (empty name, a weight that is not a
/// number, no closing `>`) is not a tag: it is neither reported nor removed.
class PromptDependencies
{
public:
    static std::vector<LoraTag> loraTags(const std::string& prompt);

    /// The prompt without its LoRA tags: whitespace runs become one space, empty comma-separated
    /// items are dropped (", ," → ","), no space before a comma, no leading or trailing comma
    /// or space. Parentheses and everything else are kept as written.
    static std::string cleanPrompt(const std::string& prompt);

    /// Embedding names of a negative prompt: every line that, trimmed of spaces and trailing
    /// commas, is one token of letters, digits, `_`, `-`, `.` with at least one letter. A
    /// ComfyUI `embedding:` prefix is dropped. First occurrence order, no duplicates.
    static std::vector<std::string> negativeEmbeddings(const std::string& negativePrompt);
};

} // namespace comfygate::civitaicatalog

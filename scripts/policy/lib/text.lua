-- text.lua: matching words and phrases in free text (prompts, file names).
--
-- Matching is case-insensitive (ASCII) and by whole words: the match must be neither
-- preceded nor followed by a letter or digit. Bytes of multi-byte UTF-8 characters count as
-- letters, so "naïve" does not contain the word "na". Underscores, hyphens, spaces and
-- punctuation separate words, so the term "nude" matches "nude_figure" (booru-style tags)
-- and "(nude:1.2)" (weighted prompt syntax), but not "denuded".

local text = {}

local function isWordByte(byte)
    return byte ~= nil and (byte >= 128 or string.find(string.char(byte), "^%w") ~= nil)
end

--- True when `phrase` occurs in `haystack` as a whole word (or run of words).
function text.containsWord(haystack, phrase)
    if type(haystack) ~= "string" or type(phrase) ~= "string" or phrase == "" then
        return false
    end
    local subject, wanted = haystack:lower(), phrase:lower()
    local start = 1
    while true do
        local first, last = string.find(subject, wanted, start, true)
        if first == nil then
            return false
        end
        if not isWordByte(subject:byte(first - 1)) and not isWordByte(subject:byte(last + 1)) then
            return true
        end
        start = first + 1
    end
end

--- The first of `phrases` (a list) that occurs in `haystack` as a whole word, or nil.
function text.findWord(haystack, phrases)
    for _, phrase in ipairs(phrases) do
        if text.containsWord(haystack, phrase) then
            return phrase
        end
    end
    return nil
end

return text

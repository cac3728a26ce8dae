-- settings.lua: typed access to the operator's settings.
--
-- policy.settings holds the configuration keys `policy.settings.<name>` (without the prefix)
-- as strings. These helpers read them with a default and turn them into numbers, flags,
-- lists and sets. Read settings at a script's top level: settings do not change while the
-- server runs, and a malformed value then fails the load with the script's file:line
-- instead of failing every call.
--
--   local settings = require("settings")
--   local MAX = settings.number("max_steps", 150)

local settings = {}

local function trim(value)
    return (value:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- The setting as a trimmed string, or `default` when it is unset or blank.
function settings.text(name, default)
    local value = policy.settings[name]
    if value == nil then
        return default
    end
    value = trim(value)
    if value == "" then
        return default
    end
    return value
end

--- The setting as a number, or `default` when unset. A value that is not a number is an
--- error reported at the caller's line.
function settings.number(name, default)
    local value = settings.text(name, nil)
    if value == nil then
        return default
    end
    local number = tonumber(value)
    if number == nil then
        error(string.format("policy.settings.%s must be a number, not '%s'", name, value), 2)
    end
    return number
end

--- The setting as a boolean: true/yes/on/1 and false/no/off/0 (any case); `default` when
--- unset. Anything else is an error reported at the caller's line.
function settings.flag(name, default)
    local value = settings.text(name, nil)
    if value == nil then
        return default
    end
    value = value:lower()
    if value == "true" or value == "yes" or value == "on" or value == "1" then
        return true
    end
    if value == "false" or value == "no" or value == "off" or value == "0" then
        return false
    end
    error(string.format("policy.settings.%s must be true or false, not '%s'", name, value), 2)
end

--- Splits a comma-separated string into trimmed, lower-cased, non-empty items.
function settings.split(text)
    local items = {}
    for item in string.gmatch(text or "", "[^,]+") do
        item = trim(item):lower()
        if item ~= "" then
            items[#items + 1] = item
        end
    end
    return items
end

--- The setting (or `default`, a comma-separated string) as a list (see split).
function settings.list(name, default)
    return settings.split(settings.text(name, default))
end

--- The setting (or `default`) as a set: { item = true, ... } of lower-cased items.
function settings.set(name, default)
    local set = {}
    for _, item in ipairs(settings.list(name, default)) do
        set[item] = true
    end
    return set
end

return settings

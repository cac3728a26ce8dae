-- roles.lua: questions about the subject (the user a hook is asked about).
--
-- A subject has at least { username = "...", role = "owner"|"admin"|"power"|"user"|"guest",
-- groups = { "...", ... } }.

local roles = {}

--- True for the owner and admins.
function roles.isAdmin(subject)
    return type(subject) == "table" and (subject.role == "owner" or subject.role == "admin")
end

--- True when the subject belongs to `group`.
function roles.inGroup(subject, group)
    if type(subject) ~= "table" or type(subject.groups) ~= "table" then
        return false
    end
    for _, name in ipairs(subject.groups) do
        if name == group then
            return true
        end
    end
    return false
end

return roles

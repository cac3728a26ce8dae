-- workflow.lua: walking ComfyUI workflows in API format.
--
-- An API-format workflow maps node ids (strings such as "3") to nodes:
--   { ["3"] = { class_type = "KSampler", inputs = { steps = 20, model = { "4", 0 } } }, ... }
-- An input is either a literal value or a link { <source node id>, <output slot> }.

local workflow = {}

local function idOrder(a, b)
    local na, nb = tonumber(a.id), tonumber(b.id)
    if na and nb and na ~= nb then
        return na < nb
    end
    if (na == nil) ~= (nb == nil) then
        return na ~= nil -- numeric ids first
    end
    return tostring(a.id) < tostring(b.id)
end

--- The nodes as a list of { id = <node id>, node = <node table> }, sorted by id (numeric
--- ids numerically) so that messages are stable. Entries that are not tables are skipped;
--- anything but a table yields an empty list.
function workflow.nodes(graph)
    local nodes = {}
    if type(graph) ~= "table" then
        return nodes
    end
    for id, node in pairs(graph) do
        if type(node) == "table" then
            nodes[#nodes + 1] = { id = id, node = node }
        end
    end
    table.sort(nodes, idOrder)
    return nodes
end

--- The node's inputs table, or nil when it has none.
function workflow.inputs(node)
    local inputs = type(node) == "table" and node.inputs
    if type(inputs) ~= "table" then
        return nil
    end
    return inputs
end

--- inputs[name] when it is a literal number (numeric strings count), else nil (absent, a
--- link, or another type). For handlers that read several inputs of a node.
function workflow.literal(inputs, name)
    local value = inputs[name]
    local kind = type(value)
    if kind == "number" then
        return value
    end
    if kind == "string" then
        return tonumber(value)
    end
    return nil
end

--- The node's input `name` when it is a literal number (numeric strings count), else nil
--- (absent, a link, or another type).
function workflow.number(node, name)
    local inputs = workflow.inputs(node)
    if inputs == nil then
        return nil
    end
    return workflow.literal(inputs, name)
end

--- A number for messages: 20 rather than 20.0.
function workflow.show(number)
    return tostring(math.tointeger(number) or number)
end

return workflow

#include "ExecutionQueue.h"

#include "PngImage.h"
#include "PosixPath.h"
#include "PythonFormat.h"

#include <Poco/Random.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace comfygate::fakes {

namespace {

Object::Ptr ordered()
{
    return new Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Poco::Int64 nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string toJson(const Var& value)
{
    std::ostringstream out;
    if (value.type() == typeid(Object::Ptr)) value.extract<Object::Ptr>()->stringify(out);
    else if (value.type() == typeid(Array::Ptr)) value.extract<Array::Ptr>()->stringify(out);
    else out << value.toString();
    return out.str();
}

bool runsAfter(const ExecutionQueue::Item& a, const ExecutionQueue::Item& b)
{
    const double x = a.number.convert<double>();
    const double y = b.number.convert<double>();
    if (x != y) return x > y;
    return a.promptId > b.promptId;
}

struct ExecutionError
{
    std::string message;
    std::string type;
};

} // namespace

ExecutionQueue::ExecutionQueue(SocketHub& hub, const NodeCatalog& catalog, std::string outputDir, std::string tempDir)
    : _hub(hub), _catalog(catalog), _outputDir(std::move(outputDir)), _tempDir(std::move(tempDir)),
      _previewPng(PngImage::encode(16, 16, {}))
{
}

ExecutionQueue::~ExecutionQueue()
{
    stop();
}

void ExecutionQueue::start()
{
    std::lock_guard lock(_mutex);
    if (_worker.joinable()) return;
    _stopping = false;
    _worker = std::thread([this] { workerLoop(); });
}

void ExecutionQueue::stop()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _changed.notify_all();
    if (_worker.joinable()) _worker.join();
}

Poco::Int64 ExecutionQueue::takeNumber(bool front)
{
    std::lock_guard lock(_mutex);
    const Poco::Int64 number = front ? -_counter : _counter;
    ++_counter;
    return number;
}

void ExecutionQueue::put(Item item)
{
    {
        std::lock_guard lock(_mutex);
        _pending.push_back(std::move(item));
        std::push_heap(_pending.begin(), _pending.end(), runsAfter);
    }
    _changed.notify_all();
    broadcastStatus();
}

int ExecutionQueue::queueRemaining() const
{
    std::lock_guard lock(_mutex);
    return static_cast<int>(_pending.size() + (_running ? 1 : 0));
}

Object::Ptr ExecutionQueue::statusData() const
{
    Object::Ptr execInfo = ordered();
    execInfo->set("queue_remaining", queueRemaining());
    Object::Ptr status = ordered();
    status->set("exec_info", execInfo);
    Object::Ptr data = ordered();
    data->set("status", status);
    return data;
}

void ExecutionQueue::broadcastStatus()
{
    _hub.broadcastJson("status", statusData());
}

void ExecutionQueue::sendTargeted(const std::string& sid, const std::string& type, const Object::Ptr& data)
{
    if (!sid.empty()) _hub.sendJson(sid, type, data);
}

void ExecutionQueue::sendTargetedOrBroadcast(const std::string& sid, const std::string& type, const Object::Ptr& data)
{
    if (sid.empty()) _hub.broadcastJson(type, data);
    else _hub.sendJson(sid, type, data);
}

std::string ExecutionQueue::clientIdOf(const Object::Ptr& extraData)
{
    if (!extraData || !extraData->has("client_id")) return {};
    const Var sid = extraData->get("client_id");
    return sid.isEmpty() ? std::string() : PythonFormat::str(sid);
}

Array::Ptr ExecutionQueue::itemJson(const Item& item, bool withSensitive)
{
    Array::Ptr array = new Array;
    array->add(item.number);
    array->add(item.promptId);
    array->add(item.prompt);
    if (withSensitive && item.sensitive && item.sensitive->size() > 0) {
        Object::Ptr extra = ordered();
        for (const auto& key : item.extraData->getNames()) extra->set(key, item.extraData->get(key));
        for (const auto& key : item.sensitive->getNames()) extra->set(key, item.sensitive->get(key));
        array->add(extra);
    } else {
        array->add(item.extraData);
    }
    array->add(item.outputs);
    return array;
}

Object::Ptr ExecutionQueue::queueJson(bool leakSensitive) const
{
    std::lock_guard lock(_mutex);
    Array::Ptr running = new Array;
    if (_running) running->add(itemJson(*_running, leakSensitive));
    Array::Ptr pending = new Array;
    for (const auto& item : _pending) pending->add(itemJson(item, leakSensitive));
    Object::Ptr out = ordered();
    out->set("queue_running", running);
    out->set("queue_pending", pending);
    return out;
}

Object::Ptr ExecutionQueue::historyJson(std::optional<long long> maxItems, long long offset) const
{
    std::lock_guard lock(_mutex);
    Object::Ptr out = ordered();
    if (offset < 0 && maxItems) offset = static_cast<long long>(_historyOrder.size()) - *maxItems;
    long long index = 0;
    for (const auto& id : _historyOrder) {
        if (index >= offset) {
            out->set(id, _history.at(id));
            if (maxItems && static_cast<long long>(out->size()) >= *maxItems) break;
        }
        ++index;
    }
    return out;
}

Object::Ptr ExecutionQueue::historyItemJson(const std::string& promptId) const
{
    std::lock_guard lock(_mutex);
    Object::Ptr out = ordered();
    auto it = _history.find(promptId);
    if (it != _history.end()) out->set(promptId, it->second);
    return out;
}

ExecutionQueue::Snapshot ExecutionQueue::snapshot() const
{
    std::lock_guard lock(_mutex);
    Snapshot snapshot;
    if (_running) snapshot.running.push_back(*_running);
    snapshot.pending = _pending;
    for (const auto& id : _historyOrder) snapshot.history.emplace_back(id, _history.at(id));
    return snapshot;
}

void ExecutionQueue::clearPending()
{
    {
        std::lock_guard lock(_mutex);
        _pending.clear();
    }
    broadcastStatus();
}

void ExecutionQueue::deletePending(const std::string& promptId)
{
    bool removed = false;
    {
        std::lock_guard lock(_mutex);
        for (auto it = _pending.begin(); it != _pending.end(); ++it) {
            if (it->promptId != promptId) continue;
            _pending.erase(it);
            std::make_heap(_pending.begin(), _pending.end(), runsAfter);
            removed = true;
            break;
        }
    }
    if (removed) broadcastStatus();
}

void ExecutionQueue::clearHistory()
{
    std::lock_guard lock(_mutex);
    _history.clear();
    _historyOrder.clear();
}

void ExecutionQueue::deleteHistory(const std::string& promptId)
{
    std::lock_guard lock(_mutex);
    if (_history.erase(promptId)) std::erase(_historyOrder, promptId);
}

void ExecutionQueue::interrupt(const std::optional<std::string>& promptId)
{
    {
        std::lock_guard lock(_mutex);
        if (!_running) return;
        if (promptId && *promptId != _running->promptId) return;
        _interruptRequested = true;
    }
    _changed.notify_all();
}

void ExecutionQueue::setFailingNodeClass(const std::string& classType)
{
    std::lock_guard lock(_mutex);
    _failingNodeClass = classType;
}

std::string ExecutionQueue::executingNodeFor(const std::string& sid) const
{
    std::lock_guard lock(_mutex);
    if (!_running || sid.empty() || sid != _runningSid) return {};
    return _runningNode;
}

void ExecutionQueue::storeHistory(const std::string& promptId, Object::Ptr entry)
{
    std::lock_guard lock(_mutex);
    if (!_history.count(promptId)) {
        _historyOrder.push_back(promptId);
        if (_historyOrder.size() > maxHistory) {
            _history.erase(_historyOrder.front());
            _historyOrder.erase(_historyOrder.begin());
        }
    }
    _history[promptId] = std::move(entry);
}

void ExecutionQueue::workerLoop()
{
    while (true) {
        Item item;
        {
            std::unique_lock lock(_mutex);
            _changed.wait(lock, [this] { return _stopping || !_pending.empty(); });
            if (_stopping) return;
            std::pop_heap(_pending.begin(), _pending.end(), runsAfter);
            item = std::move(_pending.back());
            _pending.pop_back();
            _running = item;
            _runningSid = clientIdOf(item.extraData);
            _runningNode.clear();
            _interruptRequested = false;
        }
        broadcastStatus();
        execute(item);
        {
            std::lock_guard lock(_mutex);
            _running.reset();
            _runningSid.clear();
            _runningNode.clear();
        }
        broadcastStatus();
        Object::Ptr done = ordered();
        done->set("node", Var());
        done->set("prompt_id", item.promptId);
        sendTargeted(clientIdOf(item.extraData), "executing", done);
    }
}

bool ExecutionQueue::tick(long long micros)
{
    std::unique_lock lock(_mutex);
    _changed.wait_for(lock, std::chrono::microseconds(std::max(0LL, micros)),
                      [this] { return _interruptRequested || _stopping; });
    return !_interruptRequested && !_stopping;
}

void ExecutionQueue::execute(const Item& item)
{
    const std::string sid = clientIdOf(item.extraData);
    const std::string& promptId = item.promptId;
    Array::Ptr messages = new Array;
    auto event = [&](const std::string& type, Object::Ptr data, bool record) {
        if (record) {
            Array::Ptr message = new Array;
            message->add(type);
            message->add(data);
            messages->add(message);
        }
        return data;
    };

    Object::Ptr start = ordered();
    start->set("prompt_id", promptId);
    start->set("timestamp", nowMs());
    sendTargeted(sid, "execution_start", event("execution_start", start, true));
    Object::Ptr cached = ordered();
    cached->set("nodes", Array::Ptr(new Array));
    cached->set("prompt_id", promptId);
    cached->set("timestamp", nowMs());
    sendTargeted(sid, "execution_cached", event("execution_cached", cached, true));

    // Dependencies first, outputs in the order they were validated.
    std::vector<std::string> order;
    std::set<std::string> visited;
    std::function<void(const std::string&)> visit = [&](const std::string& id) {
        if (!visited.insert(id).second) return;
        Object::Ptr node = item.prompt->getObject(id);
        if (!node) return;
        Object::Ptr inputs = node->getObject("inputs");
        for (const auto& name : inputs ? inputs->getNames() : std::vector<std::string>{}) {
            const Var value = inputs->get(name);
            if (value.type() != typeid(Array::Ptr)) continue;
            Array::Ptr link = value.extract<Array::Ptr>();
            if (link->size() == 2) visit(PythonFormat::str(link->get(0)));
        }
        order.push_back(id);
    };
    for (std::size_t i = 0; i < item.outputs->size(); ++i) visit(item.outputs->getElement<std::string>(i));

    long long ticks = 0;
    for (const auto& id : order) {
        ++ticks;
        Object::Ptr node = item.prompt->getObject(id);
        if (node->getValue<std::string>("class_type") == "KSampler")
            ticks += std::max<long long>(1, node->getObject("inputs")->optValue<long long>("steps", 1));
    }
    const long long tickMicros = _executionTimeMs * 1000 / std::max(1LL, ticks);
    const int previewFrames = _previewFrames;
    const bool metadataPreviews = !sid.empty() && _hub.supportsPreviewMetadata(sid);
    std::string failingClass;
    {
        std::lock_guard lock(_mutex);
        failingClass = _failingNodeClass;
    }
    if (_customBroadcast) {
        Object::Ptr monitor = ordered();
        monitor->set("cpu_utilization", 12.5);
        monitor->set("ram_used_percent", 41.0);
        monitor->set("gpus", Array::Ptr(new Array));
        _hub.broadcastJson("crystools.monitor", monitor);
    }
    auto putUint32 = [](std::string& frame, std::uint32_t value) {
        for (int shift = 24; shift >= 0; shift -= 8) frame += static_cast<char>((value >> shift) & 0xff);
    };

    Object::Ptr states = ordered();
    auto progressState = [&](const std::string& id, long long value, long long max, const std::string& state) {
        Object::Ptr entry = ordered();
        entry->set("value", value);
        entry->set("max", max);
        entry->set("state", state);
        entry->set("node_id", id);
        entry->set("prompt_id", promptId);
        entry->set("display_node_id", id);
        entry->set("parent_node_id", Var());
        entry->set("real_node_id", id);
        states->set(id, entry);
        Object::Ptr data = ordered();
        data->set("prompt_id", promptId);
        data->set("nodes", states);
        sendTargetedOrBroadcast(sid, "progress_state", data);
    };

    Object::Ptr outputs = ordered();
    Object::Ptr meta = ordered();
    Array::Ptr executed = new Array;
    std::string statusStr = "success";
    std::string currentNode;
    std::string currentType;
    bool interrupted = false;
    std::optional<ExecutionError> failure;

    for (const auto& id : order) {
        Object::Ptr node = item.prompt->getObject(id);
        Object::Ptr inputs = node->getObject("inputs");
        currentNode = id;
        currentType = node->getValue<std::string>("class_type");
        {
            std::lock_guard lock(_mutex);
            _runningNode = id;
        }
        Object::Ptr executing = ordered();
        executing->set("node", id);
        executing->set("display_node", id);
        executing->set("prompt_id", promptId);
        sendTargeted(sid, "executing", executing);
        progressState(id, 0, 1, "running");
        if (!tick(tickMicros)) {
            interrupted = true;
            break;
        }
        if (!failingClass.empty() && currentType == failingClass) {
            failure = ExecutionError{"Fake failure injected into " + currentType, "RuntimeError"};
            break;
        }
        if (currentType == "KSampler" && _textBroadcast) {
            std::string frame;
            putUint32(frame, 3);
            putUint32(frame, static_cast<std::uint32_t>(id.size()));
            frame += id + "Status: Running sampler";
            _hub.broadcastBinary(frame);
        }
        if (currentType == "KSampler") {
            const long long steps = std::max<long long>(1, inputs->optValue<long long>("steps", 1));
            for (long long step = 1; step <= steps && !interrupted; ++step) {
                if (!tick(tickMicros)) {
                    interrupted = true;
                    break;
                }
                Object::Ptr progress = ordered();
                progress->set("value", step);
                progress->set("max", steps);
                progress->set("prompt_id", promptId);
                progress->set("node", id);
                sendTargetedOrBroadcast(sid, "progress", progress);
                if (step <= steps - previewFrames) continue;
                std::string frame;
                if (metadataPreviews) {
                    Object metadata(Poco::JSON_PRESERVE_KEY_ORDER);
                    metadata.set("node_id", id);
                    metadata.set("prompt_id", promptId);
                    metadata.set("display_node_id", id);
                    metadata.set("parent_node_id", Var());
                    metadata.set("real_node_id", id);
                    metadata.set("image_type", "image/png");
                    std::ostringstream json;
                    metadata.stringify(json);
                    putUint32(frame, 4);
                    putUint32(frame, static_cast<std::uint32_t>(json.str().size()));
                    frame += json.str() + _previewPng;
                    _hub.sendBinary(sid, frame);
                } else {
                    putUint32(frame, 1);
                    putUint32(frame, 2);
                    frame += _previewPng;
                    if (sid.empty()) _hub.broadcastBinary(frame);
                    else _hub.sendBinary(sid, frame);
                }
            }
            if (interrupted) break;
        }
        if (currentType == "SaveImage" || currentType == "PreviewImage") {
            try {
                Object::Ptr ui = ordered();
                ui->set("images", saveImages(item.prompt, id, item.extraData, currentType == "PreviewImage"));
                outputs->set(id, ui);
                Object::Ptr nodeMeta = ordered();
                nodeMeta->set("node_id", id);
                nodeMeta->set("display_node", id);
                nodeMeta->set("parent_node", Var());
                nodeMeta->set("real_node_id", id);
                meta->set(id, nodeMeta);
                progressState(id, 1, 1, "finished");
                Object::Ptr done = ordered();
                done->set("node", id);
                done->set("display_node", id);
                done->set("output", ui);
                done->set("prompt_id", promptId);
                sendTargeted(sid, "executed", done);
            } catch (const ExecutionError& error) {
                failure = error;
                break;
            }
        } else {
            progressState(id, 1, 1, "finished");
        }
        executed->add(id);
    }

    if (interrupted) {
        statusStr = "error";
        Object::Ptr data = ordered();
        data->set("prompt_id", promptId);
        data->set("node_id", currentNode);
        data->set("node_type", currentType);
        data->set("executed", executed);
        data->set("timestamp", nowMs());
        sendTargetedOrBroadcast(sid, "execution_interrupted", event("execution_interrupted", data, true));
    } else if (failure) {
        statusStr = "error";
        Object::Ptr data = ordered();
        data->set("prompt_id", promptId);
        data->set("node_id", currentNode);
        data->set("node_type", currentType);
        data->set("executed", executed);
        data->set("exception_message", failure->message);
        data->set("exception_type", failure->type);
        Array::Ptr traceback = new Array;
        traceback->add("  File \"/ComfyUI/execution.py\", line 496, in execute\n");
        data->set("traceback", traceback);
        Object::Ptr currentInputs = ordered();
        Object::Ptr inputs = item.prompt->getObject(currentNode)->getObject("inputs");
        for (const auto& name : inputs->getNames()) {
            if (inputs->get(name).type() == typeid(Array::Ptr)) continue;
            Array::Ptr wrapped = new Array;
            wrapped->add(inputs->get(name));
            currentInputs->set(name, wrapped);
        }
        data->set("current_inputs", currentInputs);
        data->set("current_outputs", executed);
        data->set("timestamp", nowMs());
        sendTargeted(sid, "execution_error", event("execution_error", data, true));
    } else {
        Object::Ptr success = ordered();
        success->set("prompt_id", promptId);
        success->set("timestamp", nowMs());
        sendTargeted(sid, "execution_success", event("execution_success", success, true));
    }

    Object::Ptr status = ordered();
    status->set("status_str", statusStr);
    status->set("completed", statusStr == "success");
    status->set("messages", messages);
    Object::Ptr entry = ordered();
    entry->set("prompt", itemJson(item, false));
    entry->set("outputs", outputs);
    entry->set("status", status);
    entry->set("meta", meta);
    storeHistory(promptId, entry);
}

Array::Ptr ExecutionQueue::saveImages(const Object::Ptr& prompt, const std::string& nodeId, const Object::Ptr& extraData,
                                      bool temp)
{
    Object::Ptr inputs = prompt->getObject(nodeId)->getObject("inputs");
    std::string prefix = temp ? "ComfyUI_temp_" : inputs->optValue<std::string>("filename_prefix", "ComfyUI");
    if (temp) {
        static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
        Poco::Random random;
        random.seed();
        for (int i = 0; i < 5; ++i) prefix += letters[random.next(26)];
    }

    // Size and batch from the EmptyLatentImage upstream of the images input, if any.
    long long width = 512, height = 512, batch = 1;
    std::set<std::string> seen;
    std::vector<std::string> frontier{nodeId};
    while (!frontier.empty()) {
        const std::string id = frontier.back();
        frontier.pop_back();
        if (!seen.insert(id).second) continue;
        Object::Ptr node = prompt->getObject(id);
        if (!node) continue;
        Object::Ptr nodeInputs = node->getObject("inputs");
        if (node->optValue<std::string>("class_type", "") == "EmptyLatentImage") {
            width = nodeInputs->optValue<long long>("width", 512);
            height = nodeInputs->optValue<long long>("height", 512);
            batch = nodeInputs->optValue<long long>("batch_size", 1);
            break;
        }
        for (const auto& name : nodeInputs->getNames()) {
            const Var value = nodeInputs->get(name);
            if (value.type() == typeid(Array::Ptr) && value.extract<Array::Ptr>()->size() == 2)
                frontier.push_back(PythonFormat::str(value.extract<Array::Ptr>()->get(0)));
        }
    }

    const std::string baseDir = temp ? _tempDir : _outputDir;
    const std::string normalised = PosixPath::normalise(prefix);
    const auto slash = normalised.rfind('/');
    const std::string subfolder = slash == std::string::npos ? "" : normalised.substr(0, slash);
    const std::string filename = slash == std::string::npos ? normalised : normalised.substr(slash + 1);
    const std::string folder = PosixPath::normalise(PosixPath::join(baseDir, subfolder));
    if (!PosixPath::inside(baseDir, folder))
        throw ExecutionError{"**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: " +
                                 folder + "\n         output_dir: " + baseDir +
                                 "\n         commonpath: " + PosixPath::normalise(baseDir + "/.."),
                             "Exception"};

    long long counter = 1;
    std::error_code ec;
    if (fs::is_directory(folder, ec)) {
        for (const auto& entry : fs::directory_iterator(folder, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.size() <= filename.size() + 1 || name.compare(0, filename.size(), filename) != 0 ||
                name[filename.size()] != '_')
                continue;
            const std::string rest = name.substr(filename.size() + 1);
            const std::string digits = rest.substr(0, rest.find('_'));
            long long value = 0;
            if (!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit)) value = std::stoll(digits);
            counter = std::max(counter, value + 1);
        }
    } else {
        fs::create_directories(folder, ec);
    }

    std::map<std::string, std::string> text;
    text["prompt"] = toJson(prompt);
    if (Object::Ptr pngInfo = extraData->getObject("extra_pnginfo"))
        for (const auto& key : pngInfo->getNames()) text[key] = toJson(pngInfo->get(key));
    const std::string png = PngImage::encode(static_cast<unsigned>(std::clamp(width / 8, 1LL, 512LL)),
                                             static_cast<unsigned>(std::clamp(height / 8, 1LL, 512LL)), text);

    Array::Ptr images = new Array;
    for (long long i = 0; i < std::clamp(batch, 1LL, 64LL); ++i, ++counter) {
        char number[32];
        std::snprintf(number, sizeof number, "%05lld", counter);
        const std::string file = filename + "_" + number + "_.png";
        std::ofstream(folder + "/" + file, std::ios::binary) << png;
        Object::Ptr image = ordered();
        image->set("filename", file);
        image->set("subfolder", subfolder);
        image->set("type", temp ? "temp" : "output");
        images->add(image);
    }
    return images;
}

} // namespace comfygate::fakes

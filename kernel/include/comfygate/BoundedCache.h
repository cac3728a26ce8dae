#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace comfygate {

/// A thread-safe map from string keys to values of at most `capacity` entries (least recently
/// used dropped first; capacity 0 holds nothing), for results on the request hot path that
/// are derived from state which changes rarely. Every entry belongs to one `Generation` of
/// that state (an integer, or anything with ==): a lookup or insert under another generation
/// drops every entry at once, so the owner invalidates by advancing its generation and never
/// has to find the entries that depend on a change. Header-only, so a module may use it.
template <typename Value, typename Generation = std::uint64_t>
class BoundedCache
{
public:
    explicit BoundedCache(std::size_t capacity) : _capacity(capacity) {}

    /// The value of `key` if it was remembered under `current`.
    std::optional<Value> find(const std::string& key, const Generation& current)
    {
        if (_capacity == 0)
            return std::nullopt;
        std::lock_guard lock(_mutex);
        follow(current);
        const auto it = _entries.find(key);
        if (it == _entries.end()) {
            _misses.fetch_add(1, std::memory_order_relaxed);
            return std::nullopt;
        }
        _recency.splice(_recency.begin(), _recency, it->second.recency);
        _hits.fetch_add(1, std::memory_order_relaxed);
        return it->second.value;
    }

    /// Keeps `value`, computed from the state of `computedUnder`, unless the state is now at
    /// another generation (`current`): read the generation BEFORE computing, so a change that
    /// lands during the computation makes the value stale instead of hiding it.
    void remember(const std::string& key, Value value, const Generation& computedUnder, const Generation& current)
    {
        if (_capacity == 0)
            return;
        std::lock_guard lock(_mutex);
        follow(current);
        if (!(computedUnder == current))
            return;
        const auto it = _entries.find(key);
        if (it != _entries.end()) {
            it->second.value = std::move(value);
            _recency.splice(_recency.begin(), _recency, it->second.recency);
            return;
        }
        if (_entries.size() >= _capacity) {
            _entries.erase(_recency.back());
            _recency.pop_back();
        }
        _recency.push_front(key);
        _entries.emplace(key, Entry{std::move(value), _recency.begin()});
    }

    void forget(const std::string& key)
    {
        std::lock_guard lock(_mutex);
        const auto it = _entries.find(key);
        if (it == _entries.end())
            return;
        _recency.erase(it->second.recency);
        _entries.erase(it);
    }

    std::size_t capacity() const { return _capacity; }
    std::size_t size() const
    {
        std::lock_guard lock(_mutex);
        return _entries.size();
    }
    std::uint64_t hits() const { return _hits.load(std::memory_order_relaxed); }
    std::uint64_t misses() const { return _misses.load(std::memory_order_relaxed); }

private:
    struct Entry
    {
        Value value;
        std::list<std::string>::iterator recency;
    };

    void follow(const Generation& current)
    {
        if (_generation && *_generation == current)
            return;
        _entries.clear();
        _recency.clear();
        _generation = current;
    }

    const std::size_t _capacity;
    mutable std::mutex _mutex;
    std::unordered_map<std::string, Entry> _entries;
    std::list<std::string> _recency; // most recently used first
    std::optional<Generation> _generation;
    std::atomic<std::uint64_t> _hits{0}, _misses{0};
};

} // namespace comfygate

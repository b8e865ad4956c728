// Byte views and owned byte buffers used on every read and write path.
//
// ByteView is a non-owning (pointer, length) view, like LevelDB's Slice: the
// caller keeps the viewed memory alive. Buffer is an owned, growable byte
// array that, unlike std::vector<uint8_t>, does not zero memory on resize:
// decompressors write straight into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>

namespace mimicit {

using ByteView = std::span<const uint8_t>;

inline std::string_view as_string_view(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}
inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Owned bytes with uninitialised growth. Not copyable (copies of page-sized
// buffers should be deliberate: use assign()).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t size) { resize(size); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.data_ = nullptr;
      o.size_ = o.capacity_ = 0;
    }
    return *this;
  }
  ~Buffer() { std::free(data_); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return {data_, size_}; }
  operator ByteView() const { return view(); }

  void reserve(size_t capacity) {
    if (capacity <= capacity_) return;
    void* p = std::realloc(data_, capacity);
    if (p == nullptr) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
    capacity_ = capacity;
  }
  // New bytes are uninitialised.
  void resize(size_t size) {
    if (size > capacity_) reserve(size > 2 * capacity_ ? size : 2 * capacity_);
    size_ = size;
  }
  void clear() { size_ = 0; }
  void append(const void* p, size_t n) {
    size_t old = size_;
    resize(old + n);
    if (n) std::memcpy(data_ + old, p, n);
  }
  void append(ByteView v) { append(v.data(), v.size()); }
  void push_back(uint8_t b) { append(&b, 1); }
  void assign(ByteView v) {
    clear();
    append(v);
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace mimicit

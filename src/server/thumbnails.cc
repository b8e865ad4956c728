#include "server/thumbnails.h"

#include <algorithm>

#include "mimicit/image.h"

namespace mimicit::server {

std::string make_thumbnail(ByteView image_bytes, uint32_t side) {
  image::RgbImage rgb = image::decode_rgb(image_bytes);
  const uint32_t longer = std::max(rgb.width, rgb.height);
  if (longer > side) {
    // Round to nearest, at least one pixel.
    const auto scale = [&](uint32_t n) {
      return std::max<uint32_t>(1, static_cast<uint32_t>((uint64_t{n} * side + longer / 2) / longer));
    };
    rgb = image::resize_bicubic(rgb, scale(rgb.width), scale(rgb.height));
  }
  Buffer jpeg;
  image::encode_jpeg(rgb, jpeg, 85);
  return std::string(reinterpret_cast<const char*>(jpeg.data()), jpeg.size());
}

ThumbnailCache::Thumbnail ThumbnailCache::get(const std::string& id,
                                              const std::function<std::string()>& make) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = index_.find(id); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->jpeg;
    }
  }
  auto jpeg = std::make_shared<const std::string>(make());
  std::lock_guard<std::mutex> lock(mutex_);
  insert_locked(id, jpeg);
  return jpeg;
}

void ThumbnailCache::insert_locked(const std::string& id, Thumbnail jpeg) {
  const size_t cost = jpeg->size() + id.size();
  if (auto it = index_.find(id); it != index_.end()) {
    const auto entry = it->second;
    bytes_ -= entry->jpeg->size() + entry->id.size();
    index_.erase(it);  // the key views the entry's id: erase it before the entry
    lru_.erase(entry);
  }
  if (cost > capacity_) return;  // would evict everything and still not fit
  lru_.push_front({id, std::move(jpeg)});
  index_.emplace(lru_.front().id, lru_.begin());
  bytes_ += cost;
  while (bytes_ > capacity_) {
    const Entry& last = lru_.back();
    bytes_ -= last.jpeg->size() + last.id.size();
    index_.erase(last.id);
    lru_.pop_back();
  }
}

size_t ThumbnailCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

size_t ThumbnailCache::entries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lru_.size();
}

}  // namespace mimicit::server

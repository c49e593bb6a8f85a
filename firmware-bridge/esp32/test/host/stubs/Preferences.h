// Host stand-in for the ESP32 Preferences (NVS) library, backed by fake::nvs.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace fake {
struct NvsValue {
  char type;  // 'u' or 'd'
  uint32_t u;
  double d;
};
extern std::map<std::string, std::map<std::string, NvsValue>> nvs;
extern bool nvsFailWrites;
extern unsigned nvsOpen;  // open handles, to catch a missing end()
}  // namespace fake

class Preferences {
 public:
  bool begin(const char* name, bool readOnly = false, const char* = nullptr) {
    if (open_) return false;
    if (readOnly && fake::nvs.find(name) == fake::nvs.end()) return false;  // NOT_FOUND, as on the chip
    ns_ = name;
    ro_ = readOnly;
    open_ = true;
    ++fake::nvsOpen;
    return true;
  }
  void end() {
    if (open_) --fake::nvsOpen;
    open_ = false;
  }
  size_t putUInt(const char* key, uint32_t v) {
    if (!writable()) return 0;
    fake::nvs[ns_][key] = fake::NvsValue{'u', v, 0};
    return 4;
  }
  size_t putDouble(const char* key, double v) {
    if (!writable()) return 0;
    fake::nvs[ns_][key] = fake::NvsValue{'d', 0, v};
    return 8;
  }
  uint32_t getUInt(const char* key, uint32_t def = 0) {
    const fake::NvsValue* v = find(key, 'u');
    return v ? v->u : def;
  }
  double getDouble(const char* key, double def = NAN) {
    const fake::NvsValue* v = find(key, 'd');
    return v ? v->d : def;
  }

 private:
  bool writable() const { return open_ && !ro_ && !fake::nvsFailWrites; }
  const fake::NvsValue* find(const char* key, char type) const {
    if (!open_) return nullptr;
    auto ns = fake::nvs.find(ns_);
    if (ns == fake::nvs.end()) return nullptr;
    auto it = ns->second.find(key);
    return it != ns->second.end() && it->second.type == type ? &it->second : nullptr;
  }
  std::string ns_;
  bool ro_ = false;
  bool open_ = false;
};

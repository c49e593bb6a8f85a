#pragma once
#include <cstdint>
namespace fake {
extern uint64_t nowUs;
}
inline int64_t esp_timer_get_time() { return static_cast<int64_t>(fake::nowUs); }

// Host stand-in for the ESP32 Arduino core: just enough of its API for src/main.cpp, driven
// by a simulated clock and ADC (see fake.h). Not a model of the real core's timing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>

#define ESP_ARDUINO_VERSION_MAJOR 2

typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db, ADC_ATTENDB_MAX } adc_attenuation_t;

namespace fake {
extern uint64_t nowUs;                       // simulated time
extern uint16_t (*adcSource)(uint8_t pin);   // simulated ADC (uses nowUs)
extern unsigned adcReads;
extern uint8_t attenuation[40];
extern uint64_t efuseMac;
}  // namespace fake

inline unsigned long micros() { return static_cast<unsigned long>(static_cast<uint32_t>(fake::nowUs++)); }
inline unsigned long millis() { return static_cast<unsigned long>(static_cast<uint32_t>(fake::nowUs / 1000)); }
inline void delay(uint32_t ms) { fake::nowUs += 1000ULL * ms; }

inline uint16_t analogRead(uint8_t pin) {
  fake::nowUs += 10;  // an ESP32 analogRead takes ~10 us
  ++fake::adcReads;
  return fake::adcSource != nullptr ? fake::adcSource(pin) : 0;
}
inline void analogReadResolution(uint8_t) {}
inline void analogSetAttenuation(adc_attenuation_t a) {
  for (auto& p : fake::attenuation) p = static_cast<uint8_t>(a);
}
inline void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t a) {
  if (pin < 40) fake::attenuation[pin] = static_cast<uint8_t>(a);
}

class HardwareSerial {
 public:
  void begin(unsigned long baud) { baud_ = baud; }
  int available() { return static_cast<int>(rx.size()); }
  int read() {
    if (rx.empty()) return -1;
    const int c = static_cast<unsigned char>(rx.front());
    rx.pop_front();
    return c;
  }
  size_t write(uint8_t c) {
    tx.push_back(static_cast<char>(c));
    ++writes;
    return 1;
  }
  size_t write(const uint8_t* p, size_t n) {
    tx.append(reinterpret_cast<const char*>(p), n);
    ++writes;
    return n;
  }
  unsigned long baud_ = 0;
  std::deque<char> rx;  // host -> ESP32
  std::string tx;       // ESP32 -> host
  unsigned writes = 0;
};
extern HardwareSerial Serial;

class EspClass {
 public:
  uint64_t getEfuseMac() { return fake::efuseMac; }
};
extern EspClass ESP;

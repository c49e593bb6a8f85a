// Mieruka ESP32 firmware: CT clamp RMS current over USB serial (protocol v1, 115200 8N1).
//
// Thin Arduino shell around rms_core (all maths, parsing and JSON live there and are
// host-tested). This file: ADC sampling paced with micros(), the report clock, the serial
// command reader, and NVS storage via Preferences.
//
// Build-time options (platformio.ini build_flags, or #define before this point):
//   MIERUKA_CT_PINS        comma-separated ADC1 GPIOs, one per channel (default 34; max 4)
//   MIERUKA_SAMPLE_HZ      sample sets per second, each set reads every channel (default 4000)
//   MIERUKA_ADC_EFUSE_CAL  1: convert codes to mV with the chip's eFuse calibration (default)
//                          0: linear 0..3.3 V
#include <Arduino.h>
#include <Preferences.h>

#include "esp_timer.h"

#if !defined(MIERUKA_ADC_EFUSE_CAL)
#define MIERUKA_ADC_EFUSE_CAL 1
#endif
#if MIERUKA_ADC_EFUSE_CAL
#if defined(ESP_ARDUINO_VERSION_MAJOR) && ESP_ARDUINO_VERSION_MAJOR >= 3
#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_cali_scheme.h"
#define MIERUKA_ADC_CALI_IDF5 1
#else
#include "esp_adc_cal.h"
#endif
#endif

#include "rms_core.h"

#ifndef MIERUKA_FW_VERSION
#define MIERUKA_FW_VERSION "1.0.0"
#endif
#ifndef MIERUKA_CT_PINS
#define MIERUKA_CT_PINS 34
#endif
#ifndef MIERUKA_SAMPLE_HZ
#define MIERUKA_SAMPLE_HZ 4000
#endif

namespace {

using mieruka::CommandKind;

constexpr uint8_t kPins[] = {MIERUKA_CT_PINS};
constexpr unsigned kChannels = sizeof(kPins) / sizeof(kPins[0]);
static_assert(kChannels >= 1 && kChannels <= mieruka::kMaxChannels, "MIERUKA_CT_PINS: 1 to 4 pins");

constexpr bool isAdc1Pin(uint8_t pin) { return pin >= 32 && pin <= 39; }
constexpr bool allAdc1(unsigned i = 0) { return i >= kChannels || (isAdc1Pin(kPins[i]) && allAdc1(i + 1)); }
static_assert(allAdc1(), "MIERUKA_CT_PINS must be ADC1 pins (GPIO32..39): ADC2 is unusable while Wi-Fi runs");

static_assert(MIERUKA_SAMPLE_HZ >= 500 && MIERUKA_SAMPLE_HZ <= 20000, "MIERUKA_SAMPLE_HZ: 500..20000");
constexpr uint32_t kSamplePeriodUs = 1000000UL / MIERUKA_SAMPLE_HZ;
constexpr uint16_t kMaxCode = 4095;  // 12-bit
constexpr const char* kNvsNamespace = "mieruka";

uint16_t adcLut[kMaxCode + 1];
mieruka::AdcConfig adc = mieruka::AdcConfig::linear(kMaxCode, 3.3);
mieruka::Settings settings;
mieruka::RmsAccumulator acc[kChannels];
mieruka::LineReader reader;
Preferences prefs;
char chipId[13];
char out[256];
uint64_t seq = 0;
uint64_t intervalStartMs = 0;
uint32_t nextSampleUs = 0;

uint64_t uptimeMs() { return static_cast<uint64_t>(esp_timer_get_time()) / 1000ULL; }

// One complete line in one write, so that a line is never interleaved.
void writeLine(size_t len) {
  if (len == 0 || len >= sizeof out) return;  // formatters leave out[len] (the NUL) in range
  out[len] = '\n';
  Serial.write(reinterpret_cast<const uint8_t*>(out), len + 1);
}

void sendHello() {
  writeLine(mieruka::formatHello(out, sizeof out, MIERUKA_FW_VERSION, chipId, kChannels, settings.intervalMs));
}

void sendAck(const char* cmd, bool ok, const char* error) {
  writeLine(mieruka::formatAck(out, sizeof out, cmd, ok, error));
}

void keyFor(char* key, size_t cap, const char* prefix, unsigned ch) { snprintf(key, cap, "%s%u", prefix, ch); }

void loadSettings() {
  mieruka::Settings s;  // defaults
  if (prefs.begin(kNvsNamespace, true)) {  // fails harmlessly when nothing was ever saved
    char key[12];
    s.intervalMs = prefs.getUInt("interval", s.intervalMs);
    for (unsigned ch = 0; ch < mieruka::kMaxChannels; ++ch) {
      keyFor(key, sizeof key, "cal", ch);
      s.ampsPerVolt[ch] = prefs.getDouble(key, s.ampsPerVolt[ch]);
      keyFor(key, sizeof key, "noise", ch);
      s.noiseFloorA[ch] = prefs.getDouble(key, s.noiseFloorA[ch]);
    }
    prefs.end();
  }
  mieruka::sanitizeSettings(s);  // a corrupt or foreign value falls back to its default
  settings = s;
}

bool saveSettings() {
  if (!prefs.begin(kNvsNamespace, false)) return false;
  char key[12];
  bool ok = prefs.putUInt("interval", settings.intervalMs) == sizeof(uint32_t);
  for (unsigned ch = 0; ch < mieruka::kMaxChannels; ++ch) {
    keyFor(key, sizeof key, "cal", ch);
    ok = prefs.putDouble(key, settings.ampsPerVolt[ch]) == sizeof(double) && ok;
    keyFor(key, sizeof key, "noise", ch);
    ok = prefs.putDouble(key, settings.noiseFloorA[ch]) == sizeof(double) && ok;
  }
  prefs.end();
  return ok;
}

// Table raw code -> mV from the eFuse calibration (the same correction analogReadMilliVolts
// applies), so each sample costs one analogRead and one table lookup.
bool buildAdcLut() {
#if !MIERUKA_ADC_EFUSE_CAL
  return false;
#elif defined(MIERUKA_ADC_CALI_IDF5)
  adc_cali_handle_t handle = nullptr;
  adc_cali_line_fitting_config_t cfg = {};
  cfg.unit_id = ADC_UNIT_1;
  cfg.atten = static_cast<adc_atten_t>(3);  // 11 dB (renamed ADC_ATTEN_DB_12 in newer IDF)
  cfg.bitwidth = ADC_BITWIDTH_12;
  if (adc_cali_create_scheme_line_fitting(&cfg, &handle) != ESP_OK) return false;
  bool ok = true;
  for (int raw = 0; raw <= kMaxCode && ok; ++raw) {
    int mv = 0;
    ok = adc_cali_raw_to_voltage(handle, raw, &mv) == ESP_OK && mv >= 0 && mv <= 65535;
    adcLut[raw] = static_cast<uint16_t>(mv);
  }
  adc_cali_delete_scheme_line_fitting(handle);
  return ok;
#else
  esp_adc_cal_characteristics_t chars;
  esp_adc_cal_characterize(ADC_UNIT_1, ADC_ATTEN_DB_11, ADC_WIDTH_BIT_12, 1100, &chars);
  for (uint32_t raw = 0; raw <= kMaxCode; ++raw) {
    const uint32_t mv = esp_adc_cal_raw_to_voltage(raw, &chars);
    adcLut[raw] = static_cast<uint16_t>(mv > 65535u ? 65535u : mv);
  }
  return true;
#endif
}

void handleLine() {
  const mieruka::Command cmd = mieruka::parseCommand(reader.line(), reader.length(), kChannels, reader.truncated());
  if (cmd.kind == CommandKind::Empty) return;
  if (!cmd.ok) {
    sendAck(cmd.name, false, cmd.error);
    return;
  }
  switch (cmd.kind) {
    case CommandKind::Info:
      sendHello();
      sendAck(cmd.name, true, nullptr);
      break;
    case CommandKind::Save: {
      const bool ok = saveSettings();
      sendAck(cmd.name, ok, ok ? nullptr : "NVS write failed");
      break;
    }
    default: {  // interval, cal, noise: take effect at once, kept until reboot unless saved
      const bool ok = mieruka::applyCommand(settings, cmd);
      sendAck(cmd.name, ok, ok ? nullptr : "rejected");
      break;
    }
  }
}

void pollSerial() {
  for (int budget = 64; budget > 0 && Serial.available() > 0; --budget) {
    const int c = Serial.read();
    if (c < 0) break;
    if (reader.push(static_cast<char>(c))) handleLine();
  }
}

void sampleIfDue() {
  const uint32_t now = micros();
  if (static_cast<int32_t>(now - nextSampleUs) < 0) return;
  for (unsigned ch = 0; ch < kChannels; ++ch) acc[ch].add(adc, analogRead(kPins[ch]));
  nextSampleUs += kSamplePeriodUs;
  // Far behind (flash write, serial burst): restart the grid rather than sample in a burst.
  if (static_cast<int32_t>(now - nextSampleUs) > static_cast<int32_t>(4 * kSamplePeriodUs)) {
    nextSampleUs = now + kSamplePeriodUs;
  }
}

void reportIfDue() {
  const uint64_t now = uptimeMs();
  if (now - intervalStartMs < settings.intervalMs) return;
  double irms[kChannels];
  uint32_t clipped = 0;
  for (unsigned ch = 0; ch < kChannels; ++ch) {
    const mieruka::ChannelResult r = acc[ch].finish(adc, settings.ampsPerVolt[ch], settings.noiseFloorA[ch]);
    irms[ch] = r.irms;
    clipped += r.clipped;
    acc[ch].reset();
  }
  writeLine(mieruka::formatRms(out, sizeof out, seq++, now, irms, kChannels, clipped));
  intervalStartMs += settings.intervalMs;
  if (now - intervalStartMs >= settings.intervalMs) intervalStartMs = now;  // late, or interval shortened
}

}  // namespace

void setup() {
  // All state is (re)initialised here, not only by static initialisation, so that the host
  // simulation (test/host) can "reboot" the firmware.
  seq = 0;
  reader = mieruka::LineReader();
  for (unsigned ch = 0; ch < kChannels; ++ch) acc[ch].reset();
  adc = mieruka::AdcConfig::linear(kMaxCode, 3.3);

  Serial.begin(115200);
  loadSettings();
  mieruka::formatChipId(ESP.getEfuseMac(), chipId);

  analogReadResolution(12);
  analogSetAttenuation(ADC_11db);  // ~0..3.1 V input range; linear ~0.15..2.45 V
  for (unsigned ch = 0; ch < kChannels; ++ch) analogSetPinAttenuation(kPins[ch], ADC_11db);
  if (buildAdcLut()) adc = mieruka::AdcConfig::table(adcLut, kMaxCode);

  Serial.write(static_cast<uint8_t>('\n'));  // end whatever the ROM bootloader printed
  sendHello();
  intervalStartMs = uptimeMs();
  nextSampleUs = micros();
}

void loop() {
  sampleIfDue();
  reportIfDue();
  pollSerial();
}

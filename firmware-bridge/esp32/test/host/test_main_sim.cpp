// Runs src/main.cpp on the host against stubs/ (fake clock, ADC, UART and NVS): boot, the
// report cadence, every host command, NVS save/load, clipping, and a 4-channel build. It
// checks the shell's wiring, not the real core's timing.
#include <Arduino.h>
#include <Preferences.h>
#include <esp_adc_cal.h>
#include <esp_timer.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "../../src/rms_core.h"
#include "check.h"

// ---- fake hardware state (declared in stubs/)
namespace fake {
uint64_t nowUs = 0;
uint16_t (*adcSource)(uint8_t pin) = nullptr;
unsigned adcReads = 0;
uint8_t attenuation[40] = {};
uint64_t efuseMac = 0x0000ccbbaa286f24ULL;  // MAC 24:6f:28:aa:bb:cc
std::map<std::string, std::map<std::string, NvsValue>> nvs;
bool nvsFailWrites = false;
unsigned nvsOpen = 0;
}  // namespace fake
HardwareSerial Serial;
EspClass ESP;

// ---- the firmware, built twice: default (1 channel on GPIO34, eFuse table) and 4 channels
namespace sim1 {
#include "../../src/main.cpp"
}
#undef MIERUKA_CT_PINS
#undef MIERUKA_SAMPLE_HZ
#undef MIERUKA_ADC_EFUSE_CAL
#define MIERUKA_CT_PINS 34, 35, 32, 33
#define MIERUKA_SAMPLE_HZ 2000
#define MIERUKA_ADC_EFUSE_CAL 0
namespace sim4 {
#include "../../src/main.cpp"
}

namespace {

constexpr double kPi = 3.14159265358979323846;
double peakV[40];     // sine amplitude per pin, volts
double biasV = 1.65;  // common bias

uint16_t sineAdc(uint8_t pin) {
  const double t = static_cast<double>(fake::nowUs) * 1e-6;
  const double v = biasV + (pin < 40 ? peakV[pin] : 0.0) * std::sin(2 * kPi * 50.0 * t);
  double c = std::round(v / 3.3 * 4095);
  if (c < 0) c = 0;
  if (c > 4095) c = 4095;
  return static_cast<uint16_t>(c);
}

struct Firmware {
  void (*setup)();
  void (*loop)();
};
const Firmware kOne{&sim1::setup, &sim1::loop};
const Firmware kFour{&sim4::setup, &sim4::loop};

void boot(const Firmware& fw, bool wipeNvs = true) {
  if (wipeNvs) fake::nvs.clear();
  fake::nvsFailWrites = false;
  fake::nowUs = 350000;  // the ROM bootloader takes a while
  fake::adcSource = &sineAdc;
  fake::adcReads = 0;
  for (double& p : peakV) p = 0;
  peakV[34] = 1.0;
  biasV = 1.65;
  Serial.tx.clear();
  Serial.rx.clear();
  fw.setup();
}

void runMs(const Firmware& fw, uint64_t ms) {
  const uint64_t end = fake::nowUs + ms * 1000;
  while (fake::nowUs < end) fw.loop();
}

void send(const std::string& s) {
  for (char c : s) Serial.rx.push_back(c);
}

// Complete lines written since the last take(); a partial line stays.
std::vector<std::string> take() {
  std::vector<std::string> out;
  size_t pos;
  while ((pos = Serial.tx.find('\n')) != std::string::npos) {
    out.push_back(Serial.tx.substr(0, pos));
    Serial.tx.erase(0, pos + 1);
  }
  return out;
}

std::vector<std::string> ofType(const std::vector<std::string>& lines, const char* type) {
  std::vector<std::string> out;
  const std::string tag = std::string("{\"type\":\"") + type + "\"";
  for (const auto& l : lines)
    if (l.rfind(tag, 0) == 0) out.push_back(l);
  return out;
}

double number(const std::string& line, const char* key) {
  const std::string k = std::string("\"") + key + "\":";
  const size_t p = line.find(k);
  if (p == std::string::npos) return NAN;
  return std::strtod(line.c_str() + p + k.size(), nullptr);
}

std::vector<double> irms(const std::string& line) {
  std::vector<double> v;
  size_t p = line.find("\"irms\":[");
  if (p == std::string::npos) return v;
  const char* s = line.c_str() + p + 8;
  while (*s && *s != ']') {
    char* end = nullptr;
    v.push_back(std::strtod(s, &end));
    s = end;
    if (*s == ',') ++s;
  }
  return v;
}

const std::string kHello1 =
    "{\"type\":\"hello\",\"fw\":\"1.0.0\",\"id\":\"246f28aabbcc\",\"channels\":1,\"intervalMs\":1000}";

}  // namespace

TEST(sim_boot_sends_newline_then_hello) {
  boot(kOne);
  CHECK_EQ(Serial.baud_, 115200ul);
  CHECK_STR(Serial.tx, "\n" + kHello1 + "\n");
  CHECK_EQ(fake::attenuation[34], static_cast<uint8_t>(ADC_11db));
}

TEST(sim_rms_line_every_interval) {
  boot(kOne);
  take();
  runMs(kOne, 3050);
  const auto lines = take();
  const auto rms = ofType(lines, "rms");
  CHECK_EQ(lines.size(), 3u);
  CHECK_EQ(rms.size(), 3u);
  for (size_t i = 0; i < rms.size(); ++i) {
    CHECK_EQ(number(rms[i], "seq"), static_cast<double>(i));
    CHECK_NEAR(number(rms[i], "uptimeMs"), 350 + 1000.0 * (i + 1), 1.0);
    const auto v = irms(rms[i]);
    CHECK_EQ(v.size(), 1u);
    if (!v.empty()) CHECK_REL(v[0], 30.0 / std::sqrt(2.0), 0.005);  // 1 V peak at 30 A/V
    CHECK(rms[i].find("clipped") == std::string::npos);
  }
  // ~4000 sample sets per second over the 3.05 s run.
  CHECK(fake::adcReads > 12000 && fake::adcReads <= 12202);
}

TEST(sim_commands_are_acked_and_applied) {
  boot(kOne);
  take();
  send("cal 0 60\r\n");
  runMs(kOne, 5);
  auto lines = take();
  CHECK_EQ(lines.size(), 1u);
  if (!lines.empty()) CHECK_STR(lines[0], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":true}");
  runMs(kOne, 1000);
  auto rms = ofType(take(), "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK_REL(irms(rms[0]).at(0), 60.0 / std::sqrt(2.0), 0.005);

  // Noise floor above the reading: 0.
  send("noise 0 50\n");
  runMs(kOne, 1000);
  lines = take();
  CHECK_EQ(ofType(lines, "ack").size(), 1u);
  rms = ofType(lines, "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK_EQ(irms(rms[0]).at(0), 0.0);

  // Shorter interval.
  send("interval 250\n");
  runMs(kOne, 1010);
  lines = take();
  CHECK_STR(lines.at(0), "{\"type\":\"ack\",\"cmd\":\"interval\",\"ok\":true}");
  rms = ofType(lines, "rms");
  CHECK(rms.size() >= 4 && rms.size() <= 5);
  for (size_t i = 1; i < rms.size(); ++i)
    CHECK_NEAR(number(rms[i], "uptimeMs") - number(rms[i - 1], "uptimeMs"), 250.0, 1.0);
}

TEST(sim_info_answers_hello_then_ack) {
  boot(kOne);
  take();
  send("info\n");
  runMs(kOne, 5);
  const auto lines = take();
  CHECK_EQ(lines.size(), 2u);
  if (lines.size() == 2) {
    CHECK_STR(lines[0], kHello1);
    CHECK_STR(lines[1], "{\"type\":\"ack\",\"cmd\":\"info\",\"ok\":true}");
  }
}

TEST(sim_bad_commands_get_ok_false) {
  boot(kOne);
  take();
  send("reboot\nINTERVAL 50\ncal 1 30\ncal 0 nan\n\r\n   \n");
  send("cal 0 " + std::string(300, '9') + "\r\n");
  send("save\n");  // still parsed after the overlong line
  runMs(kOne, 20);
  const auto lines = take();
  CHECK_EQ(lines.size(), 6u);
  if (lines.size() == 6) {
    CHECK_STR(lines[0], "{\"type\":\"ack\",\"cmd\":\"reboot\",\"ok\":false,\"error\":\"unknown command\"}");
    CHECK_STR(lines[1],
              "{\"type\":\"ack\",\"cmd\":\"interval\",\"ok\":false,\"error\":\"interval out of range (100..60000 ms)\"}");
    CHECK_STR(lines[2], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":false,\"error\":\"channel out of range (0..0)\"}");
    CHECK_STR(lines[3], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":false,\"error\":\"bad number\"}");
    CHECK_STR(lines[4], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":false,\"error\":\"line too long\"}");
    CHECK_STR(lines[5], "{\"type\":\"ack\",\"cmd\":\"save\",\"ok\":true}");
  }
}

TEST(sim_save_persists_across_reboot) {
  boot(kOne);
  send("cal 0 45.5\ninterval 2000\nnoise 0 0.3\nsave\n");
  runMs(kOne, 10);
  CHECK_EQ(ofType(take(), "ack").size(), 4u);
  CHECK_EQ(fake::nvsOpen, 0u);
  CHECK_EQ(fake::nvs["mieruka"]["interval"].u, 2000u);
  CHECK_EQ(fake::nvs["mieruka"]["cal0"].d, 45.5);
  CHECK_EQ(fake::nvs["mieruka"]["noise0"].d, 0.3);

  boot(kOne, /*wipeNvs=*/false);
  auto lines = take();
  CHECK_EQ(lines.size(), 2u);  // blank + hello
  CHECK(lines.back().find("\"intervalMs\":2000") != std::string::npos);
  runMs(kOne, 2010);
  const auto rms = ofType(take(), "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK_REL(irms(rms[0]).at(0), 45.5 / std::sqrt(2.0), 0.005);
  CHECK_EQ(fake::nvsOpen, 0u);
}

TEST(sim_unsaved_changes_lost_on_reboot) {
  boot(kOne);
  send("interval 5000\n");
  runMs(kOne, 5);
  boot(kOne, false);
  CHECK_STR(take().back(), kHello1);
}

TEST(sim_save_failure_reported) {
  boot(kOne);
  take();
  fake::nvsFailWrites = true;
  send("save\n");
  runMs(kOne, 5);
  const auto lines = take();
  CHECK_EQ(lines.size(), 1u);
  if (!lines.empty())
    CHECK_STR(lines[0], "{\"type\":\"ack\",\"cmd\":\"save\",\"ok\":false,\"error\":\"NVS write failed\"}");
  CHECK_EQ(fake::nvsOpen, 0u);
}

TEST(sim_corrupt_nvs_falls_back_to_defaults) {
  fake::nvs.clear();
  fake::nvs["mieruka"]["interval"] = fake::NvsValue{'u', 5, 0};
  fake::nvs["mieruka"]["cal0"] = fake::NvsValue{'d', 0, NAN};
  fake::nvs["mieruka"]["noise0"] = fake::NvsValue{'d', 0, -3};
  boot(kOne, false);
  CHECK_STR(take().back(), kHello1);
  runMs(kOne, 1000);
  const auto rms = ofType(take(), "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK_REL(irms(rms[0]).at(0), 30.0 / std::sqrt(2.0), 0.005);
}

TEST(sim_zero_signal_reports_zero) {
  boot(kOne);
  peakV[34] = 0.0;
  take();
  runMs(kOne, 1000);
  const auto rms = ofType(take(), "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK_STR(rms[0], "{\"type\":\"rms\",\"seq\":0,\"uptimeMs\":1350,\"irms\":[0]}");
}

TEST(sim_clipping_reported) {
  boot(kOne);
  peakV[34] = 2.0;
  take();
  runMs(kOne, 1000);
  const auto rms = ofType(take(), "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) CHECK(number(rms[0], "clipped") > 100);
}

TEST(sim_four_channels) {
  boot(kFour);
  peakV[34] = 1.0;
  peakV[35] = 0.5;
  peakV[32] = 0.0;
  peakV[33] = 0.25;
  auto lines = take();
  CHECK_STR(lines.back(),
            "{\"type\":\"hello\",\"fw\":\"1.0.0\",\"id\":\"246f28aabbcc\",\"channels\":4,\"intervalMs\":1000}");
  send("cal 3 120\ncal 4 1\n");
  runMs(kFour, 1000);
  lines = take();
  const auto acks = ofType(lines, "ack");
  CHECK_EQ(acks.size(), 2u);
  if (acks.size() == 2) {
    CHECK_STR(acks[0], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":true}");
    CHECK_STR(acks[1], "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":false,\"error\":\"channel out of range (0..3)\"}");
  }
  const auto rms = ofType(lines, "rms");
  CHECK_EQ(rms.size(), 1u);
  if (!rms.empty()) {
    const auto v = irms(rms[0]);
    CHECK_EQ(v.size(), 4u);
    if (v.size() == 4) {
      CHECK_REL(v[0], 30 * 1.0 / std::sqrt(2.0), 0.005);
      CHECK_REL(v[1], 30 * 0.5 / std::sqrt(2.0), 0.005);
      CHECK_EQ(v[2], 0.0);
      CHECK_REL(v[3], 120 * 0.25 / std::sqrt(2.0), 0.005);
    }
  }
  CHECK(fake::adcReads > 4 * 1950 && fake::adcReads <= 4 * 2000 + 8);
}

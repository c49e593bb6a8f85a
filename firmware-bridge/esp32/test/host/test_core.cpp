// Host unit tests of the portable core (src/rms_core.*).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../../src/rms_core.h"
#include "check.h"

using namespace mieruka;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Deterministic PRNG (xorshift64*) and Box-Muller gaussian, so runs are reproducible
// whatever the C++ library.
struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ULL;
  double uniform() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<double>((s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
  }
  double gauss() {
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * uniform());
  }
};

struct Signal {
  double biasV = 1.65;
  double peakV = 1.0;
  double freqHz = 50.0;
  double phase = 0.0;
  double noiseRmsV = 0.0;
};

uint16_t toCode(double v, double fullScale = 3.3, uint16_t maxCode = 4095) {
  double c = std::round(v / fullScale * maxCode);
  if (c < 0) c = 0;
  if (c > maxCode) c = maxCode;
  return static_cast<uint16_t>(c);
}

// Feeds `seconds` of the signal at `sampleHz`; returns how many codes were at a rail.
uint32_t feed(RmsAccumulator& acc, const AdcConfig& adc, const Signal& sig, double sampleHz, double seconds,
              Rng* rng = nullptr) {
  const long n = std::lround(sampleHz * seconds);
  uint32_t rails = 0;
  for (long i = 0; i < n; ++i) {
    const double t = i / sampleHz;
    double v = sig.biasV + sig.peakV * std::sin(2 * kPi * sig.freqHz * t + sig.phase);
    if (rng != nullptr && sig.noiseRmsV > 0) v += sig.noiseRmsV * rng->gauss();
    const uint16_t code = toCode(v);
    if (code == 0 || code == 4095) ++rails;
    acc.add(adc, code);
  }
  return rails;
}

const AdcConfig kAdc = AdcConfig::linear(4095, 3.3);

std::string rmsLine(uint64_t seq, uint64_t up, std::vector<double> irms, uint32_t clipped = 0) {
  char buf[512];
  const size_t n = formatRms(buf, sizeof buf, seq, up, irms.data(), irms.size(), clipped);
  CHECK_EQ(n, std::strlen(buf));
  return buf;
}

std::string amps(double a) {
  char buf[32];
  formatAmps(buf, sizeof buf, a);
  return buf;
}

std::string ack(const char* cmd, bool ok, const char* error) {
  char buf[512];
  formatAck(buf, sizeof buf, cmd, ok, error);
  return buf;
}

bool hasNanOrInf(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l.find("nan") != std::string::npos || l.find("inf") != std::string::npos;
}

Command parse(const char* s, unsigned channels = 1, bool truncated = false) {
  return parseCommand(s, std::strlen(s), channels, truncated);
}

}  // namespace

// ------------------------------------------------------------------ ADC counts -> volts

TEST(adc_linear_codes_to_volts) {
  CHECK_NEAR(codeToVolts(kAdc, 0), 0.0, 1e-12);
  CHECK_NEAR(codeToVolts(kAdc, 4095), 3.3, 1e-12);
  CHECK_NEAR(codeToVolts(kAdc, 2048), 1.6504, 1e-4);
  CHECK_NEAR(codeToVolts(kAdc, 60000), 3.3, 1e-12);  // above full scale: clamped
  const AdcConfig ten = AdcConfig::linear(1023, 1.1);
  CHECK_NEAR(codeToVolts(ten, 1023), 1.1, 1e-12);
}

TEST(adc_table_codes_to_volts) {
  std::vector<uint16_t> lut(4096);
  for (unsigned i = 0; i < lut.size(); ++i) lut[i] = static_cast<uint16_t>(142 + i * 3000 / 4095);
  const AdcConfig adc = AdcConfig::table(lut.data(), 4095);
  CHECK_NEAR(codeToVolts(adc, 0), 0.142, 1e-12);
  CHECK_NEAR(codeToVolts(adc, 4095), 3.142, 1e-12);
  CHECK_EQ(codeToUnit(adc, 4095), lut[4095]);
  CHECK_EQ(codeToUnit(adc, 5000), lut[4095]);
}

// ------------------------------------------------------------------ RMS

TEST(sine_1v_peak_is_0_7071_vrms) {
  RmsAccumulator acc;
  feed(acc, kAdc, Signal{}, 4000, 1.0);
  const ChannelResult r = acc.finish(kAdc, 1.0, 0.0);
  CHECK_EQ(r.samples, 4000u);
  CHECK_REL(r.vrms, 1.0 / std::sqrt(2.0), 0.005);
  CHECK_REL(r.vrms, 1.0 / std::sqrt(2.0), 0.001);  // in fact much better than 0.5 %
  CHECK_EQ(r.clipped, 0u);
  CHECK(!r.clipping);
}

TEST(sine_amplitudes_within_half_percent) {
  for (double peak : {0.05, 0.2, 0.5, 1.0, 1.5}) {
    RmsAccumulator acc;
    Signal s;
    s.peakV = peak;
    s.phase = 0.3;
    feed(acc, kAdc, s, 4000, 1.0);
    CHECK_REL(acc.finish(kAdc, 1.0, 0.0).vrms, peak / std::sqrt(2.0), 0.005);
  }
}

TEST(sine_60hz_partial_cycles_and_other_rates) {
  // 60 Hz (west Japan), 2.7 kHz, 0.37 s: 22.2 cycles, not a whole number.
  RmsAccumulator acc;
  Signal s;
  s.freqHz = 60;
  s.phase = 1.1;
  feed(acc, kAdc, s, 2700, 0.37);
  CHECK_REL(acc.finish(kAdc, 1.0, 0.0).vrms, 0.70711, 0.005);
  // 100 ms interval (the shortest allowed) at 50 Hz: 5 cycles.
  RmsAccumulator a2;
  feed(a2, kAdc, Signal{}, 4000, 0.1);
  CHECK_REL(a2.finish(kAdc, 1.0, 0.0).vrms, 0.70711, 0.005);
}

TEST(sine_through_millivolt_table) {
  std::vector<uint16_t> lut(4096);
  for (unsigned i = 0; i < lut.size(); ++i) lut[i] = static_cast<uint16_t>(std::lround(i * 3300.0 / 4095.0));
  const AdcConfig adc = AdcConfig::table(lut.data(), 4095);
  RmsAccumulator acc;
  feed(acc, adc, Signal{}, 4000, 1.0);
  const ChannelResult r = acc.finish(adc, 30.0, 0.1);
  CHECK_REL(r.vrms, 0.70711, 0.005);
  CHECK_REL(r.irms, 21.2132, 0.005);
  CHECK_NEAR(r.offsetVolts, 1.65, 0.002);
}

TEST(dc_offset_at_mid_rail_removed) {
  RmsAccumulator flat;
  Signal s;
  s.peakV = 0;
  feed(flat, kAdc, s, 4000, 1.0);
  const ChannelResult r = flat.finish(kAdc, 30.0, 0.0);
  CHECK_NEAR(r.vrms, 0.0, 1e-9);
  CHECK_NEAR(r.irms, 0.0, 1e-9);
  CHECK_NEAR(r.offsetVolts, 1.65, 3.3 / 4095);

  // The same sine on a different bias gives the same RMS; the bias shows in offsetVolts.
  RmsAccumulator mid, low;
  Signal a, b;
  b.biasV = 1.2;
  feed(mid, kAdc, a, 4000, 1.0);
  feed(low, kAdc, b, 4000, 1.0);
  const ChannelResult rm = mid.finish(kAdc, 1.0, 0.0), rl = low.finish(kAdc, 1.0, 0.0);
  CHECK_REL(rl.vrms, rm.vrms, 0.001);
  CHECK_NEAR(rl.offsetVolts, 1.2, 0.002);
  CHECK_NEAR(rm.offsetVolts, 1.65, 0.002);
}

TEST(added_noise_adds_in_quadrature) {
  Rng rng;
  RmsAccumulator acc;
  Signal s;
  s.noiseRmsV = 0.02;
  feed(acc, kAdc, s, 4000, 2.0, &rng);
  CHECK_REL(acc.finish(kAdc, 1.0, 0.0).vrms, std::sqrt(0.5 + 0.02 * 0.02), 0.005);

  RmsAccumulator only;
  Signal n;
  n.peakV = 0;
  n.noiseRmsV = 0.02;
  feed(only, kAdc, n, 4000, 2.0, &rng);
  CHECK_REL(only.finish(kAdc, 1.0, 0.0).vrms, 0.02, 0.05);
}

TEST(adc_clipping_detected_and_counted) {
  RmsAccumulator acc;
  Signal s;
  s.peakV = 2.0;  // 1.65 +/- 2 V: beyond both rails
  const uint32_t rails = feed(acc, kAdc, s, 4000, 1.0);
  const ChannelResult r = acc.finish(kAdc, 1.0, 0.0);
  CHECK(rails > 0);
  CHECK_EQ(r.clipped, rails);
  CHECK(r.clipping);
  CHECK(r.vrms < 2.0 / std::sqrt(2.0));  // clipped peaks read low

  // Only the top rail.
  RmsAccumulator top;
  Signal t;
  t.biasV = 2.5;
  t.peakV = 1.0;
  const uint32_t topRails = feed(top, kAdc, t, 4000, 1.0);
  CHECK(topRails > 0);
  CHECK_EQ(top.finish(kAdc, 1.0, 0.0).clipped, topRails);

  // Codes above full scale count as clipped too; reset clears the count.
  RmsAccumulator x;
  x.add(kAdc, 5000);
  x.add(kAdc, 4095);
  x.add(kAdc, 0);
  x.add(kAdc, 1);
  x.add(kAdc, 4094);
  CHECK_EQ(x.clipped(), 3u);
  x.reset();
  CHECK_EQ(x.clipped(), 0u);
  CHECK_EQ(x.samples(), 0u);

  // A clean sine never clips.
  RmsAccumulator clean;
  CHECK_EQ(feed(clean, kAdc, Signal{}, 4000, 1.0), 0u);
  CHECK(!clean.finish(kAdc, 1.0, 0.0).clipping);
}

TEST(zero_signal_reports_0_after_noise_floor) {
  Rng rng;
  RmsAccumulator acc;
  Signal s;
  s.peakV = 0;
  s.noiseRmsV = 3 * 3.3 / 4095;  // ~3 LSB of ADC noise, as on a real ESP32
  feed(acc, kAdc, s, 4000, 1.0, &rng);
  const ChannelResult noFloor = acc.finish(kAdc, 30.0, 0.0);
  CHECK(noFloor.irms > 0.0);  // without a floor the noise shows (~0.07 A)
  CHECK(noFloor.irms < kDefaultNoiseFloorA);
  const ChannelResult floored = acc.finish(kAdc, 30.0, kDefaultNoiseFloorA);
  CHECK_EQ(floored.irms, 0.0);
  CHECK_STR(rmsLine(0, 1000, {floored.irms}), "{\"type\":\"rms\",\"seq\":0,\"uptimeMs\":1000,\"irms\":[0]}");
}

TEST(calibration_factor_applied) {
  RmsAccumulator acc;
  feed(acc, kAdc, Signal{}, 4000, 1.0);
  CHECK_REL(acc.finish(kAdc, 30.0, 0.1).irms, 30.0 / std::sqrt(2.0), 0.005);   // SCT-013-030
  CHECK_REL(acc.finish(kAdc, 60.6, 0.1).irms, 60.6 / std::sqrt(2.0), 0.005);   // 2000 turns / 33 ohm
  CHECK_EQ(acc.finish(kAdc, 0.0, 0.1).irms, 0.0);                             // cal 0 silences
  CHECK_NEAR(applyCalibration(0.5, 30.0, 0.0), 15.0, 1e-12);
}

TEST(noise_floor_boundary) {
  CHECK_EQ(applyCalibration(0.5, 2.0, 1.0), 1.0);        // at the floor: reported
  CHECK_EQ(applyCalibration(0.5, 2.0, 1.0000001), 0.0);  // below the floor: 0
  CHECK_EQ(applyCalibration(0.5, 2.0, 0.0), 1.0);
}

TEST(calibration_never_yields_nan_or_negative) {
  const double nan = std::nan(""), inf = INFINITY;
  CHECK_EQ(applyCalibration(nan, 30, 0.1), 0.0);
  CHECK_EQ(applyCalibration(inf, 30, 0.1), 0.0);
  CHECK_EQ(applyCalibration(0.5, nan, 0.1), 0.0);
  CHECK_EQ(applyCalibration(0.5, inf, 0.1), 0.0);
  CHECK_EQ(applyCalibration(0.5, -30, 0.1), 0.0);
  CHECK_EQ(applyCalibration(-0.5, 30, 0.1), 0.0);
  CHECK_EQ(applyCalibration(1e300, 1e300, 0.1), 0.0);  // overflow to inf
  CHECK_EQ(applyCalibration(0.5, 30, nan), 15.0);      // a NaN floor is ignored
}

TEST(empty_interval_is_zero_not_nan) {
  RmsAccumulator acc;
  const ChannelResult r = acc.finish(kAdc, 30.0, 0.1);
  CHECK_EQ(r.samples, 0u);
  CHECK_EQ(r.vrms, 0.0);
  CHECK_EQ(r.irms, 0.0);
  CHECK(!std::isnan(r.offsetVolts));
}

TEST(accumulator_reset_between_intervals) {
  RmsAccumulator acc;
  Signal big;
  big.peakV = 1.5;
  feed(acc, kAdc, big, 4000, 1.0);
  acc.reset();
  feed(acc, kAdc, Signal{}, 4000, 1.0);
  CHECK_REL(acc.finish(kAdc, 1.0, 0.0).vrms, 0.70711, 0.005);
  CHECK_EQ(acc.samples(), 4000u);
}

TEST(accumulator_stops_at_sample_cap) {
  RmsAccumulator acc;
  for (uint32_t i = 0; i < kMaxSamplesPerInterval + 10; ++i) acc.add(kAdc, (i & 1) ? 4094 : 1);
  CHECK_EQ(acc.samples(), kMaxSamplesPerInterval);
  const ChannelResult r = acc.finish(kAdc, 1.0, 0.0);
  CHECK_NEAR(r.vrms, 4093 / 2.0 * 3.3 / 4095, 1e-6);  // square wave: RMS = half the swing
}

// ------------------------------------------------------------------ settings

TEST(settings_defaults_and_sanitize) {
  Settings s;
  CHECK_EQ(s.intervalMs, 1000u);
  CHECK_EQ(s.ampsPerVolt[0], 30.0);
  CHECK_EQ(s.noiseFloorA[3], 0.1);
  CHECK_EQ(sanitizeSettings(s), 0u);
  s.intervalMs = 5;
  s.ampsPerVolt[1] = std::nan("");
  s.ampsPerVolt[2] = -1;
  s.noiseFloorA[0] = INFINITY;
  s.noiseFloorA[3] = 2000;
  CHECK_EQ(sanitizeSettings(s), 5u);
  CHECK_EQ(s.intervalMs, 1000u);
  CHECK_EQ(s.ampsPerVolt[1], 30.0);
  CHECK_EQ(s.ampsPerVolt[2], 30.0);
  CHECK_EQ(s.noiseFloorA[0], 0.1);
  CHECK_EQ(s.noiseFloorA[3], 0.1);
}

TEST(apply_command_changes_only_its_target) {
  Settings s;
  CHECK(applyCommand(s, parse("cal 2 60.5", 4)));
  CHECK_EQ(s.ampsPerVolt[2], 60.5);
  CHECK_EQ(s.ampsPerVolt[0], 30.0);
  CHECK(applyCommand(s, parse("noise 3 0.25", 4)));
  CHECK_EQ(s.noiseFloorA[3], 0.25);
  CHECK_EQ(s.noiseFloorA[2], 0.1);
  CHECK(applyCommand(s, parse("interval 250")));
  CHECK_EQ(s.intervalMs, 250u);
  CHECK(!applyCommand(s, parse("interval 50")));
  CHECK_EQ(s.intervalMs, 250u);
  CHECK(!applyCommand(s, parse("info")));
  CHECK(!applyCommand(s, parse("save")));
  CHECK(!applyCommand(s, parse("cal 5 1", 4)));
}

// ------------------------------------------------------------------ command parsing

TEST(parse_valid_commands) {
  Command c = parse("info");
  CHECK(c.ok);
  CHECK(c.kind == CommandKind::Info);
  CHECK_STR(c.name, "info");

  c = parse("save");
  CHECK(c.ok && c.kind == CommandKind::Save);

  c = parse("interval 1000");
  CHECK(c.ok && c.kind == CommandKind::Interval);
  CHECK_EQ(c.intervalMs, 1000u);
  CHECK(parse("interval 100").ok);
  CHECK(parse("interval 60000").ok);

  c = parse("cal 0 30");
  CHECK(c.ok && c.kind == CommandKind::Cal);
  CHECK_EQ(c.channel, 0u);
  CHECK_EQ(c.value, 30.0);
  CHECK_STR(c.name, "cal");

  c = parse("cal 3 60.606", 4);
  CHECK(c.ok);
  CHECK_EQ(c.channel, 3u);
  CHECK_EQ(c.value, 60.606);

  // What JavaScript's String(n) can produce (encodeHostCommand).
  CHECK_EQ(parse("cal 0 1e-7").value, 1e-7);
  CHECK_EQ(parse("cal 0 1.5e+3").value, 1500.0);
  CHECK_EQ(parse("cal 0 0").value, 0.0);
  CHECK_EQ(parse("cal 0 .5").value, 0.5);

  c = parse("noise 0 0.15");
  CHECK(c.ok && c.kind == CommandKind::Noise);
  CHECK_EQ(c.value, 0.15);
  CHECK(parse("noise 0 0").ok);
}

TEST(parse_whitespace_case_and_cr) {
  Command c = parse("  cal\t0   30  \r");
  CHECK(c.ok);
  CHECK_EQ(c.value, 30.0);
  CHECK(parse("INFO").ok);
  CHECK_STR(parse("INFO").name, "info");
  CHECK(parse("Interval 500\r\n").ok);
  CHECK(parse("").kind == CommandKind::Empty);
  CHECK(parse("   \t ").kind == CommandKind::Empty);
  CHECK(parse("\r").kind == CommandKind::Empty);
  // parseCommand reads only len bytes.
  const char buf[] = "info extra";
  CHECK(parseCommand(buf, 4, 1).ok);
}

TEST(parse_bad_numbers) {
  const char* bad[] = {"interval abc", "interval 1e3", "interval -100", "interval 1000.5", "interval +100",
                       "interval 99999999999", "cal 0 abc", "cal 0 nan", "cal 0 NaN", "cal 0 inf",
                       "cal 0 -inf", "cal 0 Infinity", "cal 0 0x10", "cal 0 1e", "cal 0 .", "cal 0 30A",
                       "cal 0 1e999", "cal 0 3,5", "noise 0 x", "cal 0 123456789012345678901234567890123"};
  for (const char* line : bad) {
    const Command c = parse(line);
    if (c.ok) std::printf("    accepted: %s\n", line);
    CHECK(!c.ok);
    CHECK(c.error != nullptr);
  }
  CHECK_STR(parse("cal 0 nan").error, "bad number");
  CHECK_STR(parse("interval 1e3").error, "bad number");
}

TEST(parse_out_of_range) {
  CHECK_STR(parse("interval 99").error, "interval out of range (100..60000 ms)");
  CHECK_STR(parse("interval 60001").error, "interval out of range (100..60000 ms)");
  CHECK_STR(parse("interval 0").error, "interval out of range (100..60000 ms)");
  CHECK_STR(parse("cal 1 30").error, "channel out of range (0..0)");
  CHECK_STR(parse("cal 4 30", 4).error, "channel out of range (0..3)");
  CHECK_STR(parse("noise 2 0.1", 2).error, "channel out of range (0..1)");
  CHECK_STR(parse("cal 999 30").error, "channel out of range (0..0)");
  CHECK_STR(parse("cal -1 30").error, "bad channel");
  CHECK_STR(parse("cal x 30").error, "bad channel");
  CHECK_STR(parse("cal 1000 30").error, "bad channel");
  CHECK_STR(parse("cal 0 -5").error, "amps-per-volt out of range (0..5000)");
  CHECK_STR(parse("cal 0 5000.1").error, "amps-per-volt out of range (0..5000)");
  CHECK(parse("cal 0 5000").ok);
  CHECK_STR(parse("noise 0 -1").error, "noise floor out of range (0..1000 A)");
  CHECK_STR(parse("noise 0 1001").error, "noise floor out of range (0..1000 A)");
}

TEST(parse_wrong_arity_and_unknown) {
  CHECK_STR(parse("cal 0").error, "usage: cal <ch> <amps-per-volt>");
  CHECK_STR(parse("cal").error, "usage: cal <ch> <amps-per-volt>");
  CHECK_STR(parse("cal 0 30 extra").error, "usage: cal <ch> <amps-per-volt>");
  CHECK_STR(parse("cal 0 30 a b c d").error, "usage: cal <ch> <amps-per-volt>");
  CHECK_STR(parse("noise 0").error, "usage: noise <ch> <amps>");
  CHECK_STR(parse("interval").error, "usage: interval <ms>");
  CHECK_STR(parse("interval 100 200").error, "usage: interval <ms>");
  CHECK_STR(parse("info now").error, "unexpected argument");
  CHECK_STR(parse("save all").error, "unexpected argument");

  Command c = parse("reboot");
  CHECK(!c.ok);
  CHECK(c.kind == CommandKind::Unknown);
  CHECK_STR(c.error, "unknown command");
  CHECK_STR(c.name, "reboot");
  CHECK_STR(parse("{\"type\":\"x\"}").name, "??type???x??");  // never a quote in the name
  CHECK_STR(parse("averyveryverylongcommandname").name, "averyveryverylon");  // 16 chars
  CHECK_STR(parse("caL2").name, "cal2");
}

TEST(parse_overlong_and_binary) {
  std::string longLine = "cal 0 " + std::string(200, '9');
  Command c = parseCommand(longLine.c_str(), kMaxCommandLine, 1, true);  // as the reader hands it over
  CHECK(!c.ok);
  CHECK(c.kind == CommandKind::Cal);
  CHECK_STR(c.name, "cal");
  CHECK_STR(c.error, "line too long");
  std::string spaces(kMaxCommandLine, ' ');
  c = parseCommand(spaces.c_str(), spaces.size(), 1, true);
  CHECK(!c.ok);
  CHECK_STR(c.name, "?");
  CHECK_STR(c.error, "line too long");

  const char binary[] = {'i', 'n', '\x01', 'f', 'o'};
  c = parseCommand(binary, sizeof binary, 1);
  CHECK(!c.ok);
  CHECK_STR(c.error, "invalid character");
  const char high[] = "cal 0 3\xff";
  CHECK_STR(parse(high).error, "invalid character");
  const char nul[] = {'\0'};
  c = parseCommand(nul, 1, 1);
  CHECK(!c.ok);
  CHECK_STR(c.error, "invalid character");
  CHECK(parseCommand(nullptr, 10, 1).kind == CommandKind::Empty);
}

// ------------------------------------------------------------------ line reader

namespace {
std::vector<std::string> readAll(LineReader& r, const std::string& bytes, std::vector<bool>* truncated = nullptr) {
  std::vector<std::string> lines;
  for (char c : bytes) {
    if (r.push(c)) {
      CHECK_EQ(std::strlen(r.line()), r.length());
      lines.emplace_back(r.line(), r.length());
      if (truncated) truncated->push_back(r.truncated());
    }
  }
  return lines;
}
}  // namespace

TEST(line_reader_lf_cr_crlf) {
  LineReader r;
  const auto lines = readAll(r, "info\ncal 0 30\r\nsave\rinterval 500\n\n\r\n\r\r");
  CHECK_EQ(lines.size(), 4u);
  if (lines.size() == 4) {
    CHECK_STR(lines[0], "info");
    CHECK_STR(lines[1], "cal 0 30");
    CHECK_STR(lines[2], "save");
    CHECK_STR(lines[3], "interval 500");
  }
  // A line without terminator is not delivered yet.
  LineReader p;
  CHECK(readAll(p, "inf").empty());
  CHECK_EQ(readAll(p, "o\n").size(), 1u);
  CHECK_STR(p.line(), "info");
}

TEST(line_reader_overlong_line) {
  LineReader r;
  std::vector<bool> trunc;
  const std::string longLine = "cal 0 " + std::string(500, '1');
  const auto lines = readAll(r, longLine + "\r\ninfo\n", &trunc);
  CHECK_EQ(lines.size(), 2u);
  if (lines.size() == 2) {
    CHECK_EQ(lines[0].size(), kMaxCommandLine);
    CHECK(trunc[0]);
    CHECK_STR(lines[1], "info");
    CHECK(!trunc[1]);
  }
  // Exactly the maximum is not truncated.
  LineReader e;
  std::vector<bool> t2;
  const auto exact = readAll(e, std::string(kMaxCommandLine, 'a') + "\n", &t2);
  CHECK_EQ(exact.size(), 1u);
  if (!t2.empty()) CHECK(!t2[0]);
  // One more is.
  LineReader o;
  std::vector<bool> t3;
  readAll(o, std::string(kMaxCommandLine + 1, 'a') + "\n", &t3);
  CHECK(!t3.empty() && t3[0]);
}

// ------------------------------------------------------------------ JSON lines

TEST(format_hello_exact) {
  char buf[256];
  const size_t n = formatHello(buf, sizeof buf, "1.0.0", "a4cf12345678", 1, 1000);
  CHECK_STR(buf, "{\"type\":\"hello\",\"fw\":\"1.0.0\",\"id\":\"a4cf12345678\",\"channels\":1,\"intervalMs\":1000}");
  CHECK_EQ(n, std::strlen(buf));
  formatHello(buf, sizeof buf, "1.0.0", "x", 4, 60000);
  CHECK_STR(buf, "{\"type\":\"hello\",\"fw\":\"1.0.0\",\"id\":\"x\",\"channels\":4,\"intervalMs\":60000}");
  CHECK_EQ(formatHello(buf, sizeof buf, "1.0.0", "", 1, 1000), 0u);
  CHECK_STR(buf, "");
  CHECK_EQ(formatHello(buf, sizeof buf, "1.0.0", "x", 0, 1000), 0u);
  CHECK_EQ(formatHello(buf, sizeof buf, "1.0.0", "x", 17, 1000), 0u);
  CHECK_EQ(formatHello(buf, sizeof buf, nullptr, "x", 1, 1000), 0u);
}

TEST(format_rms_exact) {
  CHECK_STR(rmsLine(42, 123456, {3.214}), "{\"type\":\"rms\",\"seq\":42,\"uptimeMs\":123456,\"irms\":[3.214]}");
  CHECK_STR(rmsLine(0, 0, {0}), "{\"type\":\"rms\",\"seq\":0,\"uptimeMs\":0,\"irms\":[0]}");
  CHECK_STR(rmsLine(7, 8000, {3.214, 0, 12.5, 0.007}),
            "{\"type\":\"rms\",\"seq\":7,\"uptimeMs\":8000,\"irms\":[3.214,0,12.5,0.007]}");
  CHECK_STR(rmsLine(9007199254740991ULL, 18446744073709551615ULL, {1}),
            "{\"type\":\"rms\",\"seq\":9007199254740991,\"uptimeMs\":18446744073709551615,\"irms\":[1]}");
  CHECK_STR(rmsLine(3, 4000, {21.2132}, 17),
            "{\"type\":\"rms\",\"seq\":3,\"uptimeMs\":4000,\"irms\":[21.213],\"clipped\":17}");
  std::vector<double> sixteen(16, 1.5);
  CHECK(rmsLine(1, 1, sixteen).find("[1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5,1.5]") !=
        std::string::npos);
  char buf[256];
  double v[17] = {};
  CHECK_EQ(formatRms(buf, sizeof buf, 0, 0, v, 0, 0), 0u);
  CHECK_EQ(formatRms(buf, sizeof buf, 0, 0, v, 17, 0), 0u);
  CHECK_EQ(formatRms(buf, sizeof buf, 0, 0, nullptr, 1, 0), 0u);
}

TEST(format_amps_rounding_to_3_decimals) {
  CHECK_STR(amps(3.214), "3.214");
  CHECK_STR(amps(3.2), "3.2");
  CHECK_STR(amps(3.0), "3");
  CHECK_STR(amps(0.0), "0");
  CHECK_STR(amps(0.1), "0.1");
  CHECK_STR(amps(0.01), "0.01");
  CHECK_STR(amps(0.999), "0.999");
  CHECK_STR(amps(0.9996), "1");
  CHECK_STR(amps(0.0004), "0");
  CHECK_STR(amps(0.0006), "0.001");
  CHECK_STR(amps(1234.5678), "1234.568");
  CHECK_STR(amps(21.21320343), "21.213");
  CHECK_STR(amps(9999.9999), "10000");
  CHECK_STR(amps(10000.5), "10000");
  CHECK_STR(amps(1e300), "10000");
}

TEST(format_never_prints_nan_or_inf) {
  const double weird[] = {std::nan(""), -std::nan(""), INFINITY, -INFINITY, -1.0, -0.0, 1e-320, 1e308, -1e308};
  for (double w : weird) {
    const std::string a = amps(w);
    CHECK(!hasNanOrInf(a));
    CHECK(a == "0" || a == "10000");
    const std::string line = rmsLine(1, 2, {w, 3.214});
    CHECK(!hasNanOrInf(line));
    CHECK(line.find("-") == std::string::npos);
  }
  CHECK_STR(rmsLine(1, 2, {std::nan(""), 3.214}), "{\"type\":\"rms\",\"seq\":1,\"uptimeMs\":2,\"irms\":[0,3.214]}");
  // Through the whole pipeline with a NaN calibration factor.
  RmsAccumulator acc;
  feed(acc, kAdc, Signal{}, 4000, 0.5);
  const double i = acc.finish(kAdc, std::nan(""), 0.1).irms;
  CHECK_EQ(i, 0.0);
  CHECK(!hasNanOrInf(rmsLine(0, 0, {i})));
}

TEST(format_ack_exact_and_escaped) {
  CHECK_STR(ack("cal", true, nullptr), "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":true}");
  CHECK_STR(ack("cal", true, "ignored"), "{\"type\":\"ack\",\"cmd\":\"cal\",\"ok\":true}");
  CHECK_STR(ack("interval", false, "interval out of range (100..60000 ms)"),
            "{\"type\":\"ack\",\"cmd\":\"interval\",\"ok\":false,\"error\":\"interval out of range (100..60000 ms)\"}");
  CHECK_STR(ack("x", false, "a\"b\\c\nd\x7f\xc3\xa9"),
            "{\"type\":\"ack\",\"cmd\":\"x\",\"ok\":false,\"error\":\"a\\\"b\\\\c\\u000ad???\"}");
  CHECK_STR(ack(nullptr, false, nullptr), "{\"type\":\"ack\",\"cmd\":\"?\",\"ok\":false,\"error\":\"error\"}");
  CHECK_STR(ack("", false, ""), "{\"type\":\"ack\",\"cmd\":\"?\",\"ok\":false,\"error\":\"error\"}");
  // Protocol limits: cmd <= 32 chars, error <= 200 chars.
  const std::string longCmd(40, 'c'), longErr(300, 'e');
  const std::string a = ack(longCmd.c_str(), false, longErr.c_str());
  CHECK(a.find("\"" + std::string(32, 'c') + "\"") != std::string::npos);
  CHECK(a.find("\"" + std::string(200, 'e') + "\"") != std::string::npos);
}

TEST(format_buffer_too_small_never_overruns) {
  char buf[128];
  std::memset(buf, 'X', sizeof buf);
  const double v[] = {3.214};
  CHECK_EQ(formatRms(buf, 10, 42, 123456, v, 1, 0), 0u);
  CHECK_EQ(buf[0], '\0');
  for (size_t i = 10; i < sizeof buf; ++i) CHECK_EQ(buf[i], 'X');
  const std::string full = "{\"type\":\"rms\",\"seq\":42,\"uptimeMs\":123456,\"irms\":[3.214]}";
  CHECK_EQ(formatRms(buf, full.size(), 42, 123456, v, 1, 0), 0u);          // no room for the NUL
  CHECK_EQ(formatRms(buf, full.size() + 1, 42, 123456, v, 1, 0), full.size());
  CHECK_STR(buf, full);
  CHECK_EQ(formatAck(buf, 5, "cal", true, nullptr), 0u);
  CHECK_EQ(formatHello(buf, 20, "1.0.0", "abc", 1, 1000), 0u);
  CHECK_EQ(formatAck(nullptr, 0, "cal", true, nullptr), 0u);
}

TEST(chip_id_from_efuse_mac) {
  char id[13];
  // ESP.getEfuseMac() of MAC 24:6f:28:aa:bb:cc (first byte lowest).
  formatChipId(0x0000ccbbaa286f24ULL, id);
  CHECK_STR(id, "246f28aabbcc");
  formatChipId(0, id);
  CHECK_STR(id, "000000000000");
}

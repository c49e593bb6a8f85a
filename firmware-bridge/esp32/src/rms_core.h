// Mieruka ESP32 firmware: portable core (C++17, no Arduino headers).
//
// Everything that can be wrong without hardware lives here and is unit-tested on the host
// (test/host/run.sh): ADC counts -> volts, DC offset removal, RMS, calibration, noise floor,
// ADC clipping detection, host command parsing, and the JSON lines of the v1 serial protocol
// (docs/serial-protocol.md, protocol/src/serial-line.ts). main.cpp only wires it to the ADC,
// the UART and NVS.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mieruka {

// ---------------------------------------------------------------------------------------
// Limits of the protocol and of this firmware
// ---------------------------------------------------------------------------------------

/// Most CT channels one ESP32 samples (the protocol itself allows 16).
constexpr unsigned kMaxChannels = 4;
constexpr uint32_t kMinIntervalMs = 100;
constexpr uint32_t kMaxIntervalMs = 60000;
constexpr uint32_t kDefaultIntervalMs = 1000;
/// Calibration factor bounds, amperes per volt RMS at the ADC pin. 0 silences a channel.
constexpr double kMaxAmpsPerVolt = 5000.0;
/// Noise floor bounds, amperes.
constexpr double kMaxNoiseFloorA = 1000.0;
/// SCT-013-030: 30 A gives 1 V RMS.
constexpr double kDefaultAmpsPerVolt = 30.0;
/// Readings below this are reported as 0 (ESP32 ADC noise is a few counts, ~0.07 A at 30 A/V).
constexpr double kDefaultNoiseFloorA = 0.1;
/// Largest value the hub accepts (protocol Amperes schema); the formatter clamps to it.
constexpr double kMaxReportedAmps = 10000.0;
/// Longest host command line kept; longer lines are answered with ok:false.
constexpr size_t kMaxCommandLine = 80;
/// Longest command name echoed back in an ack.
constexpr size_t kMaxCommandName = 16;
/// Samples per channel and interval beyond which accumulation stops (keeps the 64-bit sums
/// exact: 65535^2 * 2^24 < 2^64). 60 s at 4 kHz is 240 000.
constexpr uint32_t kMaxSamplesPerInterval = 1u << 24;

// ---------------------------------------------------------------------------------------
// ADC counts -> volts
// ---------------------------------------------------------------------------------------

/// How raw ADC codes become volts. Two modes:
///  * linear: unit = raw code, volts = code * voltsPerUnit (default 3.3 V / 4095);
///  * table: unit = lut[raw] (e.g. millivolts from the chip's eFuse calibration, which also
///    corrects part of the ESP32's non-linearity), volts = unit * voltsPerUnit (0.001).
/// Clipping is always judged on the raw code.
struct AdcConfig {
  uint16_t maxCode = 4095;                 ///< full-scale code (12 bit)
  double voltsPerUnit = 3.3 / 4095.0;      ///< volts per sample unit
  const uint16_t* lut = nullptr;           ///< optional table of maxCode+1 entries

  static AdcConfig linear(uint16_t maxCode, double fullScaleVolts);
  static AdcConfig table(const uint16_t* lutMillivolts, uint16_t maxCode);
};

/// Sample unit of a raw code (raw above maxCode is treated as maxCode).
uint16_t codeToUnit(const AdcConfig& adc, uint16_t raw);
/// Volts of a raw code.
double codeToVolts(const AdcConfig& adc, uint16_t raw);

// ---------------------------------------------------------------------------------------
// RMS accumulation with DC offset removal and clipping detection
// ---------------------------------------------------------------------------------------

/// Result of one channel over one interval.
struct ChannelResult {
  uint32_t samples = 0;     ///< samples accumulated
  uint32_t clipped = 0;     ///< samples at code 0 or at full scale
  bool clipping = false;    ///< clipped > 0
  double offsetVolts = 0;   ///< mean (the bias point, ~1.65 V when wired as documented)
  double vrms = 0;          ///< AC RMS volts at the pin, offset removed
  double irms = 0;          ///< amperes after calibration and noise floor; always finite, >= 0
};

/// Per-channel, per-interval accumulator.
///
/// DC removal is exact per interval: RMS_ac^2 = mean(v^2) - mean(v)^2, with both sums kept
/// in 64-bit integers (no rounding while accumulating, no settling time after boot, follows
/// a slowly drifting bias because the mean is recomputed every interval). This is the
/// "running mean" removal, restarted each report interval.
class RmsAccumulator {
 public:
  void add(const AdcConfig& adc, uint16_t raw);
  void reset();
  uint32_t samples() const { return n_; }
  uint32_t clipped() const { return clipped_; }
  /// Computes the interval's result. ampsPerVolt and noiseFloorA are applied here; a
  /// non-finite or negative factor yields 0 A, never NaN.
  ChannelResult finish(const AdcConfig& adc, double ampsPerVolt, double noiseFloorA) const;

 private:
  uint64_t sum_ = 0;
  uint64_t sumSq_ = 0;
  uint32_t n_ = 0;
  uint32_t clipped_ = 0;
};

/// Amperes from RMS volts: vrms * ampsPerVolt, then 0 if below the noise floor. Returns 0
/// for any non-finite or negative input (no NaN ever leaves this function).
double applyCalibration(double vrms, double ampsPerVolt, double noiseFloorA);

// ---------------------------------------------------------------------------------------
// Settings (stored in NVS by main.cpp on `save`)
// ---------------------------------------------------------------------------------------

struct Settings {
  uint32_t intervalMs = kDefaultIntervalMs;
  double ampsPerVolt[kMaxChannels] = {kDefaultAmpsPerVolt, kDefaultAmpsPerVolt, kDefaultAmpsPerVolt,
                                      kDefaultAmpsPerVolt};
  double noiseFloorA[kMaxChannels] = {kDefaultNoiseFloorA, kDefaultNoiseFloorA, kDefaultNoiseFloorA,
                                      kDefaultNoiseFloorA};
};

bool validIntervalMs(uint32_t ms);
bool validAmpsPerVolt(double f);
bool validNoiseFloor(double a);
/// Replaces every out-of-range value (e.g. read from a blank or corrupt NVS) by its default.
/// Returns the number of values replaced.
unsigned sanitizeSettings(Settings& s);

// ---------------------------------------------------------------------------------------
// Host commands
// ---------------------------------------------------------------------------------------

enum class CommandKind : uint8_t {
  Empty,     ///< blank line: ignore, no ack
  Info,
  Interval,
  Cal,
  Noise,
  Save,
  Unknown,   ///< not a known command word (ok is false)
};

struct Command {
  CommandKind kind = CommandKind::Empty;
  bool ok = false;                        ///< false: error says why
  const char* error = nullptr;            ///< static string, set when !ok
  char name[kMaxCommandName + 1] = {};    ///< command word for the ack: [a-z0-9_-], or "?"
  unsigned channel = 0;                   ///< cal, noise
  double value = 0;                       ///< cal: amps per volt; noise: amps
  uint32_t intervalMs = 0;                ///< interval
};

/// Parses one host line (without its terminator; a trailing CR is ignored). `channels` is the
/// number of channels this board samples (valid channel numbers are 0..channels-1).
/// `truncated` says the line reader dropped characters (line too long): the result is then
/// an error naming the command word. Pure function, never reads past `len`.
Command parseCommand(const char* line, size_t len, unsigned channels, bool truncated = false);

/// Applies a successful interval/cal/noise command to the settings. Returns false (and
/// changes nothing) for any other command or a failed one.
bool applyCommand(Settings& s, const Command& c);

/// Collects host bytes into lines. CR, LF and CRLF all end a line; empty lines are skipped;
/// a line longer than kMaxCommandLine keeps its first kMaxCommandLine characters and is
/// flagged truncated (the rest is discarded up to the next terminator).
class LineReader {
 public:
  /// Feeds one byte. Returns true when a line is complete; it stays readable through
  /// line()/length()/truncated() until the next push().
  bool push(char c);
  const char* line() const { return buf_; }
  size_t length() const { return len_; }
  bool truncated() const { return truncated_; }

 private:
  char buf_[kMaxCommandLine + 1] = {};
  size_t len_ = 0;
  bool truncated_ = false;
  bool complete_ = false;
};

// ---------------------------------------------------------------------------------------
// JSON lines (no trailing newline; each returns the length written, or 0 if the buffer is
// too small or the input cannot make a valid line; the buffer is NUL-terminated whenever
// cap > 0 and never overrun)
// ---------------------------------------------------------------------------------------

/// {"type":"hello","fw":"1.0.0","id":"<id>","channels":1,"intervalMs":1000}
size_t formatHello(char* buf, size_t cap, const char* fw, const char* id, unsigned channels,
                   uint32_t intervalMs);

/// {"type":"rms","seq":42,"uptimeMs":123456,"irms":[3.214]} plus ,"clipped":N when N > 0.
/// irms values are rounded to 3 decimals and printed without trailing zeros (the same text
/// JSON.stringify gives); NaN, infinities and negatives are printed as 0, values above
/// kMaxReportedAmps as that limit. n must be 1..16.
size_t formatRms(char* buf, size_t cap, uint64_t seq, uint64_t uptimeMs, const double* irms, size_t n,
                 uint32_t clipped);

/// {"type":"ack","cmd":"cal","ok":true} or {"type":"ack","cmd":"cal","ok":false,"error":"..."}
size_t formatAck(char* buf, size_t cap, const char* cmd, bool ok, const char* error);

/// Writes an amperes value as formatRms does (for tests and logs). Returns length or 0.
size_t formatAmps(char* buf, size_t cap, double amps);

/// Chip id for hello: the 6 factory MAC bytes as 12 lower-case hex digits, in MAC order.
/// efuseMac is ESP.getEfuseMac() (first MAC byte in the lowest 8 bits). buf needs 13 bytes.
void formatChipId(uint64_t efuseMac, char* buf);

}  // namespace mieruka

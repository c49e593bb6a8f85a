// Mieruka ESP32 firmware: portable core. See rms_core.h.
#include "rms_core.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace mieruka {

// ---------------------------------------------------------------------------------------
// ADC
// ---------------------------------------------------------------------------------------

AdcConfig AdcConfig::linear(uint16_t maxCode, double fullScaleVolts) {
  AdcConfig c;
  c.maxCode = maxCode == 0 ? 1 : maxCode;
  c.voltsPerUnit = fullScaleVolts / c.maxCode;
  c.lut = nullptr;
  return c;
}

AdcConfig AdcConfig::table(const uint16_t* lutMillivolts, uint16_t maxCode) {
  AdcConfig c;
  c.maxCode = maxCode == 0 ? 1 : maxCode;
  c.voltsPerUnit = 0.001;
  c.lut = lutMillivolts;
  return c;
}

uint16_t codeToUnit(const AdcConfig& adc, uint16_t raw) {
  if (raw > adc.maxCode) raw = adc.maxCode;
  return adc.lut != nullptr ? adc.lut[raw] : raw;
}

double codeToVolts(const AdcConfig& adc, uint16_t raw) {
  return codeToUnit(adc, raw) * adc.voltsPerUnit;
}

// ---------------------------------------------------------------------------------------
// RMS
// ---------------------------------------------------------------------------------------

void RmsAccumulator::add(const AdcConfig& adc, uint16_t raw) {
  if (n_ >= kMaxSamplesPerInterval) return;
  if (raw > adc.maxCode) raw = adc.maxCode;
  if (raw == 0 || raw == adc.maxCode) ++clipped_;
  const uint64_t u = codeToUnit(adc, raw);
  sum_ += u;
  sumSq_ += u * u;
  ++n_;
}

void RmsAccumulator::reset() {
  sum_ = 0;
  sumSq_ = 0;
  n_ = 0;
  clipped_ = 0;
}

ChannelResult RmsAccumulator::finish(const AdcConfig& adc, double ampsPerVolt, double noiseFloorA) const {
  ChannelResult r;
  r.samples = n_;
  r.clipped = clipped_;
  r.clipping = clipped_ > 0;
  if (n_ == 0) return r;
  const double n = static_cast<double>(n_);
  const double mean = static_cast<double>(sum_) / n;
  const double meanSq = static_cast<double>(sumSq_) / n;
  double variance = meanSq - mean * mean;  // exact sums; only the final subtraction rounds
  if (!(variance > 0.0)) variance = 0.0;   // also catches NaN
  r.offsetVolts = mean * adc.voltsPerUnit;
  r.vrms = std::sqrt(variance) * adc.voltsPerUnit;
  if (!std::isfinite(r.vrms)) r.vrms = 0.0;
  r.irms = applyCalibration(r.vrms, ampsPerVolt, noiseFloorA);
  return r;
}

double applyCalibration(double vrms, double ampsPerVolt, double noiseFloorA) {
  if (!std::isfinite(vrms) || vrms < 0.0) return 0.0;
  if (!std::isfinite(ampsPerVolt) || ampsPerVolt < 0.0) return 0.0;
  const double amps = vrms * ampsPerVolt;
  if (!std::isfinite(amps) || amps <= 0.0) return 0.0;
  if (std::isfinite(noiseFloorA) && amps < noiseFloorA) return 0.0;
  return amps;
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

bool validIntervalMs(uint32_t ms) { return ms >= kMinIntervalMs && ms <= kMaxIntervalMs; }
bool validAmpsPerVolt(double f) { return std::isfinite(f) && f >= 0.0 && f <= kMaxAmpsPerVolt; }
bool validNoiseFloor(double a) { return std::isfinite(a) && a >= 0.0 && a <= kMaxNoiseFloorA; }

unsigned sanitizeSettings(Settings& s) {
  unsigned fixed = 0;
  if (!validIntervalMs(s.intervalMs)) {
    s.intervalMs = kDefaultIntervalMs;
    ++fixed;
  }
  for (unsigned ch = 0; ch < kMaxChannels; ++ch) {
    if (!validAmpsPerVolt(s.ampsPerVolt[ch])) {
      s.ampsPerVolt[ch] = kDefaultAmpsPerVolt;
      ++fixed;
    }
    if (!validNoiseFloor(s.noiseFloorA[ch])) {
      s.noiseFloorA[ch] = kDefaultNoiseFloorA;
      ++fixed;
    }
  }
  return fixed;
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

namespace {

struct Token {
  const char* p = nullptr;
  size_t len = 0;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool tokenIs(const Token& t, const char* word) {
  const size_t n = std::strlen(word);
  if (t.len != n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (lower(t.p[i]) != word[i]) return false;
  }
  return true;
}

// Digits only, at most maxDigits of them.
bool parseUnsigned(const Token& t, size_t maxDigits, uint32_t& out) {
  if (t.len == 0 || t.len > maxDigits) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < t.len; ++i) {
    const char c = t.p[i];
    if (c < '0' || c > '9') return false;
    v = v * 10u + static_cast<uint32_t>(c - '0');
  }
  out = v;
  return true;
}

// A finite decimal number as JavaScript's String(n) writes it ("30", "0.5", "1e-7",
// "1.5e+21"). Letters other than e/E are refused up front so that strtod's "nan", "inf" and
// hex forms can never get through.
bool parseNumber(const Token& t, double& out) {
  char tmp[32];
  if (t.len == 0 || t.len >= sizeof tmp) return false;
  for (size_t i = 0; i < t.len; ++i) {
    const char c = t.p[i];
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
    if (!ok) return false;
    tmp[i] = c;
  }
  tmp[t.len] = '\0';
  char* end = nullptr;
  const double v = std::strtod(tmp, &end);
  if (end != tmp + t.len || !std::isfinite(v)) return false;
  out = v + 0.0;  // -0 becomes +0
  return true;
}

const char* channelRangeError(unsigned channels) {
  static const char* const kMessages[kMaxChannels] = {
      "channel out of range (0..0)", "channel out of range (0..1)", "channel out of range (0..2)",
      "channel out of range (0..3)"};
  if (channels == 0 || channels > kMaxChannels) return "channel out of range";
  return kMessages[channels - 1];
}

void setName(Command& c, const Token& word) {
  size_t n = 0;
  for (size_t i = 0; i < word.len && n < kMaxCommandName; ++i) {
    const char ch = lower(word.p[i]);
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    c.name[n++] = keep ? ch : '?';
  }
  if (n == 0) c.name[n++] = '?';
  c.name[n] = '\0';
}

Command fail(Command c, const char* error) {
  c.ok = false;
  c.error = error;
  return c;
}

}  // namespace

Command parseCommand(const char* line, size_t len, unsigned channels, bool truncated) {
  Command c;
  if (line == nullptr) len = 0;
  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) --len;

  bool badChar = false;
  for (size_t i = 0; i < len; ++i) {
    const unsigned char ch = static_cast<unsigned char>(line[i]);
    if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) badChar = true;
  }

  constexpr size_t kMaxTokens = 4;
  Token tok[kMaxTokens];
  size_t ntok = 0;
  size_t extra = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && isBlank(line[i])) ++i;
    if (i >= len) break;
    const size_t start = i;
    while (i < len && !isBlank(line[i])) ++i;
    if (ntok < kMaxTokens) {
      tok[ntok].p = line + start;
      tok[ntok].len = i - start;
      ++ntok;
    } else {
      ++extra;
    }
  }

  if (ntok == 0) {
    if (!truncated && !badChar) return c;  // blank line: Empty, no ack
    c.kind = CommandKind::Unknown;
    setName(c, Token{});
    return fail(c, truncated ? "line too long" : "invalid character");
  }

  setName(c, tok[0]);
  const Token& word = tok[0];
  if (tokenIs(word, "info")) c.kind = CommandKind::Info;
  else if (tokenIs(word, "interval")) c.kind = CommandKind::Interval;
  else if (tokenIs(word, "cal")) c.kind = CommandKind::Cal;
  else if (tokenIs(word, "noise")) c.kind = CommandKind::Noise;
  else if (tokenIs(word, "save")) c.kind = CommandKind::Save;
  else c.kind = CommandKind::Unknown;

  if (truncated) return fail(c, "line too long");
  if (badChar) return fail(c, "invalid character");
  const size_t args = ntok - 1 + extra;

  switch (c.kind) {
    case CommandKind::Info:
    case CommandKind::Save:
      if (args != 0) return fail(c, "unexpected argument");
      c.ok = true;
      return c;

    case CommandKind::Interval: {
      if (args != 1) return fail(c, "usage: interval <ms>");
      uint32_t ms = 0;
      if (!parseUnsigned(tok[1], 9, ms)) return fail(c, "bad number");
      if (!validIntervalMs(ms)) return fail(c, "interval out of range (100..60000 ms)");
      c.intervalMs = ms;
      c.ok = true;
      return c;
    }

    case CommandKind::Cal:
    case CommandKind::Noise: {
      const bool cal = c.kind == CommandKind::Cal;
      if (args != 2) return fail(c, cal ? "usage: cal <ch> <amps-per-volt>" : "usage: noise <ch> <amps>");
      uint32_t ch = 0;
      if (!parseUnsigned(tok[1], 3, ch)) return fail(c, "bad channel");
      if (ch >= channels || ch >= kMaxChannels) return fail(c, channelRangeError(channels));
      double v = 0;
      if (!parseNumber(tok[2], v)) return fail(c, "bad number");
      if (cal && !validAmpsPerVolt(v)) return fail(c, "amps-per-volt out of range (0..5000)");
      if (!cal && !validNoiseFloor(v)) return fail(c, "noise floor out of range (0..1000 A)");
      c.channel = ch;
      c.value = v;
      c.ok = true;
      return c;
    }

    case CommandKind::Empty:
    case CommandKind::Unknown:
      break;
  }
  return fail(c, "unknown command");
}

bool applyCommand(Settings& s, const Command& c) {
  if (!c.ok) return false;
  switch (c.kind) {
    case CommandKind::Interval:
      if (!validIntervalMs(c.intervalMs)) return false;
      s.intervalMs = c.intervalMs;
      return true;
    case CommandKind::Cal:
      if (c.channel >= kMaxChannels || !validAmpsPerVolt(c.value)) return false;
      s.ampsPerVolt[c.channel] = c.value;
      return true;
    case CommandKind::Noise:
      if (c.channel >= kMaxChannels || !validNoiseFloor(c.value)) return false;
      s.noiseFloorA[c.channel] = c.value;
      return true;
    default:
      return false;
  }
}

bool LineReader::push(char c) {
  if (complete_) {
    len_ = 0;
    truncated_ = false;
    complete_ = false;
    buf_[0] = '\0';
  }
  if (c == '\r' || c == '\n') {
    if (len_ == 0 && !truncated_) return false;  // empty line, or the LF of a CRLF
    buf_[len_] = '\0';
    complete_ = true;
    return true;
  }
  if (len_ < kMaxCommandLine) {
    buf_[len_++] = c;
    buf_[len_] = '\0';
  } else {
    truncated_ = true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

namespace {

constexpr unsigned kProtocolMaxChannels = 16;

class Writer {
 public:
  Writer(char* buf, size_t cap) : buf_(buf), cap_(cap) {}

  void put(char c) {
    if (buf_ == nullptr || len_ + 1 >= cap_) {  // keep room for the NUL
      ok_ = false;
      return;
    }
    buf_[len_++] = c;
  }
  void raw(const char* s) {
    while (*s) put(*s++);
  }
  void u64(uint64_t v) {
    char tmp[21];
    size_t n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(tmp[--n]);
  }
  // JSON string of printable ASCII: quotes and backslashes escaped, control characters as
  // \u00XX, bytes >= 0x7f replaced by '?' (so every line is plain ASCII). At most maxChars
  // source characters.
  void str(const char* s, size_t maxChars) {
    static const char kHex[] = "0123456789abcdef";
    put('"');
    for (size_t i = 0; s[i] != '\0' && i < maxChars; ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        put('\\');
        put(static_cast<char>(c));
      } else if (c < 0x20) {
        raw("\\u00");
        put(kHex[c >> 4]);
        put(kHex[c & 0xf]);
      } else if (c >= 0x7f) {
        put('?');
      } else {
        put(static_cast<char>(c));
      }
    }
    put('"');
  }
  void amps(double a) {
    if (!std::isfinite(a) || a < 0.0) a = 0.0;
    if (a > kMaxReportedAmps) a = kMaxReportedAmps;
    const long long milli = std::llround(a * 1000.0);
    u64(static_cast<uint64_t>(milli / 1000));
    unsigned frac = static_cast<unsigned>(milli % 1000);
    if (frac == 0) return;
    char digits[3] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                      static_cast<char>('0' + frac % 10)};
    size_t n = 3;
    while (digits[n - 1] == '0') --n;  // frac != 0, so at least one digit stays
    put('.');
    for (size_t i = 0; i < n; ++i) put(digits[i]);
  }

  size_t finish() {
    if (buf_ == nullptr || cap_ == 0) return 0;
    if (!ok_) {
      buf_[0] = '\0';
      return 0;
    }
    buf_[len_] = '\0';
    return len_;
  }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
  bool ok_ = true;
};

size_t failed(char* buf, size_t cap) {
  if (buf != nullptr && cap > 0) buf[0] = '\0';
  return 0;
}

}  // namespace

size_t formatAmps(char* buf, size_t cap, double amps) {
  Writer w(buf, cap);
  w.amps(amps);
  return w.finish();
}

size_t formatHello(char* buf, size_t cap, const char* fw, const char* id, unsigned channels,
                   uint32_t intervalMs) {
  if (fw == nullptr || id == nullptr || fw[0] == '\0' || id[0] == '\0') return failed(buf, cap);
  if (std::strlen(fw) > 32 || std::strlen(id) > 64) return failed(buf, cap);
  if (channels < 1 || channels > kProtocolMaxChannels) return failed(buf, cap);
  if (intervalMs < 10 || intervalMs > 3600000) return failed(buf, cap);
  Writer w(buf, cap);
  w.raw("{\"type\":\"hello\",\"fw\":");
  w.str(fw, 32);
  w.raw(",\"id\":");
  w.str(id, 64);
  w.raw(",\"channels\":");
  w.u64(channels);
  w.raw(",\"intervalMs\":");
  w.u64(intervalMs);
  w.put('}');
  return w.finish();
}

size_t formatRms(char* buf, size_t cap, uint64_t seq, uint64_t uptimeMs, const double* irms, size_t n,
                 uint32_t clipped) {
  if (irms == nullptr || n < 1 || n > kProtocolMaxChannels) return failed(buf, cap);
  // The hub's schema caps seq at Number.MAX_SAFE_INTEGER; uint64 seq at 10 Hz needs 28 My.
  Writer w(buf, cap);
  w.raw("{\"type\":\"rms\",\"seq\":");
  w.u64(seq);
  w.raw(",\"uptimeMs\":");
  w.u64(uptimeMs);
  w.raw(",\"irms\":[");
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) w.put(',');
    w.amps(irms[i]);
  }
  w.put(']');
  if (clipped > 0) {
    w.raw(",\"clipped\":");
    w.u64(clipped);
  }
  w.put('}');
  return w.finish();
}

size_t formatAck(char* buf, size_t cap, const char* cmd, bool ok, const char* error) {
  if (cmd == nullptr || cmd[0] == '\0') cmd = "?";
  Writer w(buf, cap);
  w.raw("{\"type\":\"ack\",\"cmd\":");
  w.str(cmd, 32);
  if (ok) {
    w.raw(",\"ok\":true}");
  } else {
    w.raw(",\"ok\":false,\"error\":");
    w.str(error != nullptr && error[0] != '\0' ? error : "error", 200);
    w.put('}');
  }
  return w.finish();
}

void formatChipId(uint64_t efuseMac, char* buf) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 6; ++i) {
    const unsigned byte = static_cast<unsigned>((efuseMac >> (8 * i)) & 0xffu);
    buf[2 * i] = kHex[byte >> 4];
    buf[2 * i + 1] = kHex[byte & 0xf];
  }
  buf[12] = '\0';
}

}  // namespace mieruka

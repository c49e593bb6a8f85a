// Tiny test harness for the host tests (no framework download).
// TEST(name) { CHECK(cond); CHECK_EQ(a, b); CHECK_NEAR(a, b, tol); CHECK_STR(a, b); }
#pragma once

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char* name;
  void (*fn)();
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

inline int& failures() {
  static int n = 0;
  return n;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back(Case{name, fn}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  ++failures();
  std::printf("    %s:%d: %s\n", file, line, what.c_str());
}

template <typename T>
std::string show(const T& v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}
inline std::string show(const std::string& v) { return "\"" + v + "\""; }
inline std::string show(const char* v) { return v == nullptr ? "(null)" : "\"" + std::string(v) + "\""; }

}  // namespace check

#define TEST(name)                                                   \
  static void name();                                                \
  static const check::Registrar registrar_##name(#name, &name);      \
  static void name()

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                              \
  do {                                                                                              \
    const auto va_ = (a);                                                                           \
    const auto vb_ = (b);                                                                           \
    if (!(va_ == vb_))                                                                              \
      check::fail(__FILE__, __LINE__,                                                               \
                  "CHECK_EQ(" #a ", " #b "): " + check::show(va_) + " != " + check::show(vb_));     \
  } while (0)

#define CHECK_STR(a, b) CHECK_EQ(std::string(a), std::string(b))

#define CHECK_NEAR(a, b, tol)                                                                       \
  do {                                                                                              \
    const double va_ = (a), vb_ = (b), tol_ = (tol);                                                \
    if (!(std::fabs(va_ - vb_) <= tol_))                                                            \
      check::fail(__FILE__, __LINE__,                                                               \
                  "CHECK_NEAR(" #a ", " #b "): " + check::show(va_) + " vs " + check::show(vb_) +   \
                      " (tolerance " + check::show(tol_) + ")");                                   \
  } while (0)

// Relative tolerance, e.g. CHECK_REL(vrms, 0.70711, 0.005) for 0.5 %.
#define CHECK_REL(a, b, rel) CHECK_NEAR(a, b, std::fabs(b) * (rel))

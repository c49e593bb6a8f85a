// The clutter station's per-frame pipeline in one native call, writing into Mats kept across
// frames: crop + rectify (warpPerspective), RGB→HSV, inRange, close + open, count.
// @u4/opencv4nodejs only binds these operations in the form that returns a fresh Mat, so each
// frame allocated ~20 MB at 1080p and paid first-touch page faults for it when malloc had
// given the freed buffers back to the system (docs/performance.md). The same OpenCV calls with
// the same arguments as native-backend.ts's fallback path, so results are identical.
// Raw N-API (node_api.h from Node's own headers): no extra package to install.
#include <node_api.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <cstring>
#include <string>

namespace {

// Per thread (a Worker gets its own): reused while the frame and region sizes stay the same.
struct Buffers {
  cv::Mat warped, hsv, mask, closed, inverted, kernel;
  int kernelSize = 0;
};
thread_local Buffers buffers;

napi_value Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, "MIERUKA_NATIVE_KERNEL", message.c_str());
  return nullptr;
}

bool GetInt(napi_env env, napi_value obj, const char* key, int32_t* out) {
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return false;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

bool GetBool(napi_env env, napi_value obj, const char* key) {
  napi_value v;
  bool b = false;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return false;
  napi_get_value_bool(env, v, &b);
  return b;
}

bool GetNumbers(napi_env env, napi_value obj, const char* key, double* out, uint32_t n) {
  napi_value arr;
  bool isArray = false;
  uint32_t length = 0;
  if (napi_get_named_property(env, obj, key, &arr) != napi_ok) return false;
  if (napi_is_array(env, arr, &isArray) != napi_ok || !isArray) return false;
  if (napi_get_array_length(env, arr, &length) != napi_ok || length != n) return false;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, arr, i, &item) != napi_ok || napi_get_value_double(env, item, &out[i]) != napi_ok) return false;
  }
  return true;
}

void SetInt(napi_env env, napi_value obj, const char* key, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

void SetCopy(napi_env env, napi_value obj, const char* key, const cv::Mat& m) {
  // Continuous by construction (created by OpenCV); copied so the kept Mat can be reused.
  size_t bytes = m.total() * m.elemSize();
  void* data = nullptr;
  napi_value buffer;
  napi_create_buffer_copy(env, bytes, m.data, &data, &buffer);
  napi_set_named_property(env, obj, key, buffer);
}

// analyze(rgb: Buffer, options) → { matPixels, regionPixels, regionWidth, regionHeight, region?, mask?, inverted? }
// options: { width, height, roi?: [x0,y0,…,x3,y3], outWidth, outHeight, lower: [h,s,v], upper: [h,s,v],
//            denoise, wantRegion, wantMask, wantInverted }
napi_value Analyze(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 2) return Throw(env, "analyze(rgb, options) needs two arguments");
  bool isBuffer = false;
  napi_is_buffer(env, argv[0], &isBuffer);
  if (!isBuffer) return Throw(env, "rgb must be a Buffer");
  void* data = nullptr;
  size_t length = 0;
  napi_get_buffer_info(env, argv[0], &data, &length);
  napi_value o = argv[1];
  int32_t width = 0, height = 0, denoise = 0;
  double lower[3], upper[3];
  if (!GetInt(env, o, "width", &width) || !GetInt(env, o, "height", &height) || width <= 0 || height <= 0) return Throw(env, "width and height must be positive integers");
  if (static_cast<size_t>(width) * static_cast<size_t>(height) * 3 != length) return Throw(env, "rgb is not width × height × 3 bytes");
  if (!GetNumbers(env, o, "lower", lower, 3) || !GetNumbers(env, o, "upper", upper, 3)) return Throw(env, "lower and upper must be [h, s, v]");
  if (!GetInt(env, o, "denoise", &denoise) || denoise < 0) return Throw(env, "denoise must be a non-negative integer");
  bool hasRoi = false;
  napi_value roiValue;
  napi_valuetype roiType = napi_undefined;
  if (napi_get_named_property(env, o, "roi", &roiValue) == napi_ok) napi_typeof(env, roiValue, &roiType);
  hasRoi = roiType == napi_object;
  double quad[8];
  int32_t outWidth = 0, outHeight = 0;
  if (hasRoi) {
    if (!GetNumbers(env, o, "roi", quad, 8)) return Throw(env, "roi must be 8 numbers (4 corners)");
    if (!GetInt(env, o, "outWidth", &outWidth) || !GetInt(env, o, "outHeight", &outHeight) || outWidth <= 0 || outHeight <= 0) return Throw(env, "outWidth and outHeight must be positive integers");
  }
  try {
    // The caller's bytes, not copied: the frame is read, never written.
    const cv::Mat input(height, width, CV_8UC3, data);
    const cv::Mat* region = &input;
    if (hasRoi) {
      const cv::Point2f src[4] = {{static_cast<float>(quad[0]), static_cast<float>(quad[1])}, {static_cast<float>(quad[2]), static_cast<float>(quad[3])},
                                  {static_cast<float>(quad[4]), static_cast<float>(quad[5])}, {static_cast<float>(quad[6]), static_cast<float>(quad[7])}};
      const cv::Point2f dst[4] = {{0.f, 0.f}, {static_cast<float>(outWidth), 0.f}, {static_cast<float>(outWidth), static_cast<float>(outHeight)}, {0.f, static_cast<float>(outHeight)}};
      const cv::Mat m = cv::getPerspectiveTransform(src, dst);
      cv::warpPerspective(input, buffers.warped, m, cv::Size(outWidth, outHeight), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      region = &buffers.warped;
    }
    cv::cvtColor(*region, buffers.hsv, cv::COLOR_RGB2HSV);
    cv::inRange(buffers.hsv, cv::Scalar(lower[0], lower[1], lower[2]), cv::Scalar(upper[0], upper[1], upper[2]), buffers.mask);
    if (denoise > 0) {
      if (buffers.kernelSize != denoise) {
        buffers.kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(denoise, denoise));
        buffers.kernelSize = denoise;
      }
      cv::morphologyEx(buffers.mask, buffers.closed, cv::MORPH_CLOSE, buffers.kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT);
      cv::morphologyEx(buffers.closed, buffers.mask, cv::MORPH_OPEN, buffers.kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT);
    }
    napi_value out;
    napi_create_object(env, &out);
    SetInt(env, out, "matPixels", cv::countNonZero(buffers.mask));
    SetInt(env, out, "regionPixels", static_cast<int64_t>(region->cols) * region->rows);
    SetInt(env, out, "regionWidth", region->cols);
    SetInt(env, out, "regionHeight", region->rows);
    if (GetBool(env, o, "wantRegion")) SetCopy(env, out, "region", *region);
    if (GetBool(env, o, "wantMask")) SetCopy(env, out, "mask", buffers.mask);
    if (GetBool(env, o, "wantInverted")) {
      cv::bitwise_not(buffers.mask, buffers.inverted);
      SetCopy(env, out, "inverted", buffers.inverted);
    }
    return out;
  } catch (const cv::Exception& e) {
    return Throw(env, std::string("OpenCV: ") + e.what());
  }
}

// release(): frees the kept buffers (the next call allocates them again).
napi_value Release(napi_env env, napi_callback_info) {
  buffers = Buffers();
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "analyze", NAPI_AUTO_LENGTH, Analyze, nullptr, &fn);
  napi_set_named_property(env, exports, "analyze", fn);
  napi_create_function(env, "release", NAPI_AUTO_LENGTH, Release, nullptr, &fn);
  napi_set_named_property(env, exports, "release", fn);
  napi_value version;
  napi_create_string_utf8(env, CV_VERSION, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "opencvVersion", version);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

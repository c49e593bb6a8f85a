{
  "targets": [
    {
      "target_name": "station",
      "sources": ["station.cc"],
      "include_dirs": ["<!@(pkg-config --variable=includedir opencv4)"],
      "libraries": ["-L<!@(pkg-config --variable=libdir opencv4)", "-lopencv_core", "-lopencv_imgproc"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

#pragma once

#include <string>

namespace hlslim {

/// True when LibTorch was built with CUDA and sees at least one device.
bool cuda_available();

/// Why `device` cannot be used here, or "" when it can ("cpu" always can; "auto" always can).
std::string device_problem(const std::string& device);

/// The concrete device for a setting: "cpu" or "cuda" ("auto" picks CUDA when available).
std::string resolve_device(const std::string& device);

/// Tells LibTorch how many threads to use (intra-op and inter-op) and returns the number.
int set_torch_threads(int threads);

}  // namespace hlslim

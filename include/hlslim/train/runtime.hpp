#pragma once

#include <string>

#include "hlslim/config/options.hpp"

namespace hlslim {

/// Where LibTorch trains, as a config asks: the CPU, a CUDA device, or CUDA when available.
enum class Device { kCpu, kCuda, kAuto };
const EnumNames<Device>& device_names();

/// True when LibTorch was built with CUDA and sees at least one device.
bool cuda_available();

/// Why `device` cannot be used here, or "" when it can ("cpu" always can; "auto" always can).
std::string device_problem(Device device);

/// The concrete device for a setting: "cpu" or "cuda" ("auto" picks CUDA when available).
std::string resolve_device(Device device);

/// Tells LibTorch how many threads to use (intra-op and inter-op) and returns the number.
int set_torch_threads(int threads);

}  // namespace hlslim

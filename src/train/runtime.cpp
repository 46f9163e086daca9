#include "hlslim/train/runtime.hpp"

#include <dlfcn.h>
// The two small LibTorch headers it needs, not <torch/torch.h> (about 8 s of compile time).
#include <ATen/Parallel.h>
#include <torch/cuda.h>

namespace hlslim {

bool cuda_available() {
  return torch::cuda::is_available();
}

const EnumNames<Device>& device_names() {
  static const EnumNames<Device> names{
      {"cpu", Device::kCpu}, {"cuda", Device::kCuda}, {"auto", Device::kAuto}};
  return names;
}

std::string device_problem(Device device) {
  if (device != Device::kCuda || cuda_available()) return "";
  return "device 'cuda' was requested, but no CUDA device is available to this hlslim (its "
         "LibTorch is CPU-only or no GPU is visible); use 'cpu' or 'auto'";
}

std::string resolve_device(Device device) {
  switch (device) {
    case Device::kCpu:
      return "cpu";
    case Device::kCuda:
      return "cuda";
    case Device::kAuto:
      return cuda_available() ? "cuda" : "cpu";
  }
  return "cpu";
}

int set_torch_threads(int threads) {
  // LibTorch parallelises its own loops; a threaded OpenBLAS underneath would start its own
  // threads inside each of them and oversubscribe the cores (measured: 2.5x slower training of
  // the default teacher on 2 cores). The symbol is looked up, not linked, because the BLAS is
  // whichever one the system's alternatives provide.
  using SetBlasThreads = void (*)(int);
  if (auto set_blas =
          reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(1);
  }
  at::set_num_threads(threads);
  // Inter-op threads can only be set once per process, before any parallel work.
  static const bool inter_op_set = [threads] {
    try {
      at::set_num_interop_threads(threads);
    } catch (const c10::Error&) {
    }
    return true;
  }();
  (void)inter_op_set;
  return at::get_num_threads();
}

}  // namespace hlslim

#include "hlslim/train/runtime.hpp"

#include <dlfcn.h>
#include <torch/torch.h>

namespace hlslim {

bool cuda_available() {
  return torch::cuda::is_available();
}

std::string device_problem(const std::string& device) {
  if (device != "cuda" || cuda_available()) return "";
  return "device 'cuda' was requested, but no CUDA device is available to this hlslim (its "
         "LibTorch is CPU-only or no GPU is visible); use 'cpu' or 'auto'";
}

std::string resolve_device(const std::string& device) {
  if (device == "auto") return cuda_available() ? "cuda" : "cpu";
  return device;
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
  torch::set_num_threads(threads);
  // Inter-op threads can only be set once per process, before any parallel work.
  static const bool inter_op_set = [threads] {
    try {
      torch::set_num_interop_threads(threads);
    } catch (const c10::Error&) {
    }
    return true;
  }();
  (void)inter_op_set;
  return torch::get_num_threads();
}

}  // namespace hlslim

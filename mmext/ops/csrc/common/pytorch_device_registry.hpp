// Per-device dispatch of the *_impl functions, in the style of mmcv's device registry: each device file
// registers its implementation with REGISTER_DEVICE_IMPL, and the device-agnostic entry calls
// DISPATCH_DEVICE_IMPL, which picks the implementation from the device of the tensor arguments.
#ifndef MMEXT_PYTORCH_DEVICE_REGISTRY_HPP
#define MMEXT_PYTORCH_DEVICE_REGISTRY_HPP

#include <ATen/ATen.h>

#include <array>
#include <optional>
#include <type_traits>
#include <utility>

namespace mmext {

// One registry per function pointer `f`; holds one implementation per device type.
template <typename FnPtr, FnPtr f>
class DeviceRegistry;

template <typename Ret, typename... Args, Ret (*f)(Args...)>
class DeviceRegistry<Ret (*)(Args...), f> {
 public:
  using FunctionType = Ret (*)(Args...);

  static DeviceRegistry& instance() {
    static DeviceRegistry registry;
    return registry;
  }
  void add(at::DeviceType device, FunctionType impl) { impls_[static_cast<size_t>(device)] = impl; }
  FunctionType find(at::DeviceType device) const { return impls_[static_cast<size_t>(device)]; }

 private:
  DeviceRegistry() { impls_.fill(nullptr); }
  std::array<FunctionType, static_cast<size_t>(at::DeviceType::COMPILE_TIME_MAX_DEVICE_TYPES)> impls_;
};

// Checks that every tensor argument sits on one device and returns it.
template <typename... Args>
at::Device common_device(const char* name, const Args&... args) {
  std::optional<at::Device> device;
  auto visit = [&](const auto& arg) {
    if constexpr (std::is_same_v<std::decay_t<decltype(arg)>, at::Tensor>) {
      if (!arg.defined()) return;
      if (!device) {
        device = arg.device();
      } else {
        TORCH_CHECK(arg.device() == *device, name, ": all tensors must be on one device, got ", *device, " and ",
                    arg.device());
      }
    }
  };
  (visit(args), ...);
  TORCH_CHECK(device.has_value(), name, ": no tensor argument to dispatch on");
  return *device;
}

template <typename Registry, typename... Args>
auto dispatch_device_impl(const Registry& registry, const char* name, Args&&... args) {
  const at::Device device = common_device(name, args...);
  auto impl = registry.find(device.type());
  TORCH_CHECK(impl != nullptr, name, ": no implementation for device ", device,
              device.is_cuda() ? " (rebuild mmext with FORCE_CUDA=1 to compile the CUDA kernels)" : "");
  return impl(std::forward<Args>(args)...);
}

}  // namespace mmext

#define REGISTER_DEVICE_IMPL(key, device, impl)                                                       \
  namespace {                                                                                         \
  struct key##_##device##_registerer {                                                                \
    key##_##device##_registerer() {                                                                   \
      ::mmext::DeviceRegistry<decltype(&key), key>::instance().add(at::DeviceType::device, impl);     \
    }                                                                                                 \
  };                                                                                                  \
  const key##_##device##_registerer key##_##device##_registerer_instance;                             \
  }

#define DISPATCH_DEVICE_IMPL(key, ...) \
  ::mmext::dispatch_device_impl(::mmext::DeviceRegistry<decltype(&key), key>::instance(), #key, __VA_ARGS__)

#endif  // MMEXT_PYTORCH_DEVICE_REGISTRY_HPP

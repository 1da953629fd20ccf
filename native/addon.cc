// mobilec verification addon.
//
// Loads a model's verification library (the generated C plus <name>_abi.c,
// compiled as a shared object) and exposes: one inference, one inference
// with every layer's output captured through the layer hook, and a timing
// loop. The ABI struct mirrors templates/abi.c.hbs (version 1).
#include <napi.h>
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
typedef void (*mobilec_layer_hook_fn)(void *ctx, int layer, const void *data, unsigned long bytes);
struct mobilec_abi_v1 {
  unsigned version;
  const char *name;
  unsigned long input_bytes;
  unsigned long output_bytes;
  int layer_count;
  void *(*input)(void);
  const void *(*output)(void);
  int (*invoke)(void);
  void (*set_layer_hook)(mobilec_layer_hook_fn fn, void *ctx);
};
typedef const struct mobilec_abi_v1 *(*mobilec_abi_fn)(void);
}

namespace {

struct LayerCapture {
  std::vector<std::vector<unsigned char>> layers;
};

void CaptureLayer(void *ctx, int layer, const void *data, unsigned long bytes) {
  auto *capture = static_cast<LayerCapture *>(ctx);
  if (layer < 0 || static_cast<size_t>(layer) >= capture->layers.size()) return;
  const auto *p = static_cast<const unsigned char *>(data);
  capture->layers[layer].assign(p, p + bytes);
}

class Model : public Napi::ObjectWrap<Model> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Model",
                       {
                           InstanceMethod("info", &Model::Info),
                           InstanceMethod("invoke", &Model::Invoke),
                           InstanceMethod("invokeLayers", &Model::InvokeLayers),
                           InstanceMethod("bench", &Model::Bench),
                       });
  }

  explicit Model(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Model>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString()) {
      Napi::TypeError::New(env, "Model(path): path must be a string").ThrowAsJavaScriptException();
      return;
    }
    std::string path = info[0].As<Napi::String>();
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      Napi::Error::New(env, std::string("cannot load ") + path + ": " + dlerror()).ThrowAsJavaScriptException();
      return;
    }
    auto fn = reinterpret_cast<mobilec_abi_fn>(dlsym(handle_, "mobilec_abi"));
    if (!fn) {
      Napi::Error::New(env, path + ": no mobilec_abi symbol").ThrowAsJavaScriptException();
      return;
    }
    abi_ = fn();
    if (!abi_ || abi_->version != 1) {
      Napi::Error::New(env, path + ": unsupported mobilec ABI version").ThrowAsJavaScriptException();
      abi_ = nullptr;
    }
  }

 private:
  bool Ready(Napi::Env env) {
    if (!abi_) Napi::Error::New(env, "model not loaded").ThrowAsJavaScriptException();
    return abi_ != nullptr;
  }

  // Copies the caller's input bytes into the model's input tensor.
  bool SetInput(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray()) {
      Napi::TypeError::New(env, "input must be a typed array").ThrowAsJavaScriptException();
      return false;
    }
    auto arr = info[0].As<Napi::TypedArray>();
    if (arr.ByteLength() != abi_->input_bytes) {
      Napi::RangeError::New(env, "input has " + std::to_string(arr.ByteLength()) + " bytes, model expects " +
                                     std::to_string(abi_->input_bytes))
          .ThrowAsJavaScriptException();
      return false;
    }
    const auto *src = static_cast<const unsigned char *>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    std::memcpy(abi_->input(), src, abi_->input_bytes);
    return true;
  }

  Napi::Value Info(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", abi_->name);
    o.Set("inputBytes", static_cast<double>(abi_->input_bytes));
    o.Set("outputBytes", static_cast<double>(abi_->output_bytes));
    o.Set("layerCount", abi_->layer_count);
    o.Set("layerHooks", abi_->set_layer_hook != nullptr);
    return o;
  }

  Napi::Value OutputCopy(Napi::Env env) {
    return Napi::Buffer<unsigned char>::Copy(env, static_cast<const unsigned char *>(abi_->output()),
                                             abi_->output_bytes);
  }

  Napi::Value Invoke(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Ready(env) || !SetInput(info)) return env.Null();
    int rc = abi_->invoke();
    if (rc != 0) {
      Napi::Error::New(env, "invoke returned " + std::to_string(rc)).ThrowAsJavaScriptException();
      return env.Null();
    }
    return OutputCopy(env);
  }

  Napi::Value InvokeLayers(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Ready(env)) return env.Null();
    if (!abi_->set_layer_hook) {
      Napi::Error::New(env, "this build has no layer hooks (compile with MOBILEC_LAYER_HOOKS)")
          .ThrowAsJavaScriptException();
      return env.Null();
    }
    if (!SetInput(info)) return env.Null();
    LayerCapture capture;
    capture.layers.resize(static_cast<size_t>(abi_->layer_count));
    abi_->set_layer_hook(CaptureLayer, &capture);
    int rc = abi_->invoke();
    abi_->set_layer_hook(nullptr, nullptr);
    if (rc != 0) {
      Napi::Error::New(env, "invoke returned " + std::to_string(rc)).ThrowAsJavaScriptException();
      return env.Null();
    }
    Napi::Array out = Napi::Array::New(env, capture.layers.size());
    for (size_t i = 0; i < capture.layers.size(); ++i) {
      const auto &l = capture.layers[i];
      out.Set(static_cast<uint32_t>(i), Napi::Buffer<unsigned char>::Copy(env, l.data(), l.size()));
    }
    return out;
  }

  // bench(input, repeat) -> Float64Array of milliseconds per inference.
  Napi::Value Bench(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!Ready(env) || !SetInput(info)) return env.Null();
    uint32_t repeat = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 1;
    if (repeat < 1) repeat = 1;
    Napi::Float64Array times = Napi::Float64Array::New(env, repeat);
    for (uint32_t i = 0; i < repeat; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      int rc = abi_->invoke();
      auto t1 = std::chrono::steady_clock::now();
      if (rc != 0) {
        Napi::Error::New(env, "invoke returned " + std::to_string(rc)).ThrowAsJavaScriptException();
        return env.Null();
      }
      times[i] = std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    return times;
  }

  void *handle_ = nullptr;  // kept open for the life of the process
  const mobilec_abi_v1 *abi_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Model", Model::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(mobilec_native, Init)

// JNI_OnLoad, the class cache and the logger for DJL's PyTorch JNI library, plus the 0.36.0 native
// methods that the sources used here lack. Built with scripts/build-djl-jni.sh.
#include <torch/torch.h>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <vector>

#include "ai_djl_pytorch_jni_PyTorchLibrary.h"
#include "djl_pytorch_jni_exception.h"
#include "djl_pytorch_jni_log.h"
#include "djl_pytorch_utils.h"

jclass ENGINE_EXCEPTION_CLASS = nullptr;
jclass NULL_PTR_EXCEPTION_CLASS = nullptr;
jclass ILLEGAL_STATE_EXCEPTION_CLASS = nullptr;

static jclass GlobalClass(JNIEnv* env, const char* name) {
  jclass local = env->FindClass(name);
  jclass global = static_cast<jclass>(env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void* reserved) {
  JNIEnv* env;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_8) != JNI_OK) {
    return JNI_ERR;
  }
  ENGINE_EXCEPTION_CLASS = GlobalClass(env, "ai/djl/engine/EngineException");
  NULL_PTR_EXCEPTION_CLASS = GlobalClass(env, "java/lang/NullPointerException");
  ILLEGAL_STATE_EXCEPTION_CLASS = GlobalClass(env, "java/lang/IllegalStateException");
  return JNI_VERSION_1_8;
}

// Messages go to stderr; debug and info only with DJL_JNI_LOG set.
Log::Log(JNIEnv* env) : env(env), logger(nullptr) {}
void Log::info(const std::string& message) {
  if (std::getenv("DJL_JNI_LOG")) std::cerr << "[djl_torch] " << message << std::endl;
}
void Log::debug(const std::string& message) {
  if (std::getenv("DJL_JNI_LOG")) std::cerr << "[djl_torch] " << message << std::endl;
}
void Log::error(const std::string& message) { std::cerr << "[djl_torch] " << message << std::endl; }

using TensorIndices = std::vector<torch::indexing::TensorIndex>;

static torch::Tensor* T(jlong handle) { return reinterpret_cast<torch::Tensor*>(handle); }
static jlong H(const torch::Tensor& tensor) { return reinterpret_cast<uintptr_t>(new torch::Tensor(tensor)); }
static TensorIndices* I(jlong handle) { return reinterpret_cast<TensorIndices*>(handle); }

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexInit(JNIEnv* env, jobject, jint jsize) {
  API_BEGIN()
  auto* indices = new TensorIndices();
  indices->reserve(jsize);
  return reinterpret_cast<uintptr_t>(indices);
  API_END_RETURN()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDeleteIndex(JNIEnv* env, jobject, jlong jindex) {
  API_BEGIN()
  delete I(jindex);
  API_END()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendNoneEllipsis(
    JNIEnv* env, jobject, jlong jindex, jboolean jellipsis) {
  API_BEGIN()
  if (jellipsis == JNI_TRUE) {
    I(jindex)->emplace_back(torch::indexing::Ellipsis);
  } else {
    I(jindex)->emplace_back(torch::indexing::None);
  }
  API_END()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendSlice(
    JNIEnv* env, jobject, jlong jindex, jlong jmin, jlong jmax, jlong jstep, jint jnull_slice_binary) {
  API_BEGIN()
  using torch::indexing::None;
  using torch::indexing::Slice;
  auto* indices = I(jindex);
  // bit 1: min is null, bit 0: max is null
  switch (jnull_slice_binary) {
    case 3: indices->emplace_back(Slice(None, None, jstep)); break;
    case 2: indices->emplace_back(Slice(None, jmax, jstep)); break;
    case 1: indices->emplace_back(Slice(jmin, None, jstep)); break;
    default: indices->emplace_back(Slice(jmin, jmax, jstep)); break;
  }
  API_END()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendFixed(
    JNIEnv* env, jobject, jlong jindex, jlong jidx) {
  API_BEGIN()
  I(jindex)->emplace_back(static_cast<int64_t>(jidx));
  API_END()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAppendArray(
    JNIEnv* env, jobject, jlong jindex, jlong jarray) {
  API_BEGIN()
  I(jindex)->emplace_back(*T(jarray));
  API_END()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAdvGet(
    JNIEnv* env, jobject, jlong jhandle, jlong jindex) {
  API_BEGIN()
  return H(T(jhandle)->index(*I(jindex)));
  API_END_RETURN()
}

JNIEXPORT void JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIndexAdvPut(
    JNIEnv* env, jobject, jlong jhandle, jlong jindex, jlong jdata) {
  API_BEGIN()
  T(jhandle)->index_put_(*I(jindex), *T(jdata));
  API_END()
}

JNIEXPORT jobject JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDirectByteBuffer(
    JNIEnv* env, jobject, jlong jhandle) {
  API_BEGIN()
  auto* tensor = T(jhandle);
  return env->NewDirectByteBuffer(tensor->data_ptr(), static_cast<jlong>(tensor->nbytes()));
  API_END_RETURN()
}

JNIEXPORT jboolean JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIsContiguous(
    JNIEnv* env, jobject, jlong jhandle) {
  API_BEGIN()
  return T(jhandle)->is_contiguous() ? JNI_TRUE : JNI_FALSE;
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchToContiguous(
    JNIEnv* env, jobject, jlong jhandle) {
  API_BEGIN()
  return H(T(jhandle)->contiguous());
  API_END_RETURN()
}

JNIEXPORT jlongArray JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchTopK(
    JNIEnv* env, jobject, jlong jhandle, jlong jk, jlong jaxis, jboolean jlargest, jboolean jsorted) {
  API_BEGIN()
  auto result = T(jhandle)->topk(jk, jaxis, jlargest == JNI_TRUE, jsorted == JNI_TRUE);
  std::vector<torch::Tensor> tensors{std::get<0>(result), std::get<1>(result)};
  return djl::utils::jni::GetPtrArrayFromContainer<std::vector<torch::Tensor>, torch::Tensor>(env, tensors);
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPut(
    JNIEnv* env, jobject, jlong jhandle, jlong jindex, jlong jvalue) {
  API_BEGIN()
  return H(T(jhandle)->put(*T(jindex), *T(jvalue)));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchScatter(
    JNIEnv* env, jobject, jlong jhandle, jlong jindex, jlong jvalue, jint jaxis) {
  API_BEGIN()
  return H(T(jhandle)->scatter(jaxis, *T(jindex), *T(jvalue)));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchPad(
    JNIEnv* env, jobject, jlong jhandle, jlongArray jshape, jdouble jvalue) {
  API_BEGIN()
  const auto pad = djl::utils::jni::GetVecFromJLongArray(env, jshape);
  return H(torch::constant_pad_nd(*T(jhandle), pad, jvalue));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchNNNormalize(
    JNIEnv* env, jobject, jlong jhandle, jdouble jp, jlong jdim, jdouble jeps) {
  API_BEGIN()
  namespace F = torch::nn::functional;
  return H(F::normalize(*T(jhandle), F::NormalizeFuncOptions().p(jp).dim(jdim).eps(jeps)));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchDiagonal(
    JNIEnv* env, jobject, jlong jhandle, jlong joffset, jlong jaxis1, jlong jaxis2) {
  API_BEGIN()
  return H(T(jhandle)->diagonal(joffset, jaxis1, jaxis2));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_conj(JNIEnv* env, jobject, jlong jhandle) {
  API_BEGIN()
  return H(T(jhandle)->conj().resolve_conj());
  API_END_RETURN()
}

static std::optional<int64_t> Length(jlong jlength) {
  return jlength < 0 ? std::nullopt : std::optional<int64_t>(jlength);
}

/** One of torch::fft's 1-D transforms over {@code jaxis}, with an optional length. */
template <typename Transform>
static jlong Fft1(JNIEnv* env, jlong jhandle, jlong jlength, jlong jaxis, Transform transform) {
  API_BEGIN()
  return H(transform(*T(jhandle), Length(jlength), jaxis));
  API_END_RETURN()
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIfft(
    JNIEnv* env, jobject, jlong jhandle, jlong jlength, jlong jaxis) {
  return Fft1(env, jhandle, jlength, jaxis,
      [](const torch::Tensor& t, std::optional<int64_t> n, int64_t dim) { return torch::fft::ifft(t, n, dim); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchRfft(
    JNIEnv* env, jobject, jlong jhandle, jlong jlength, jlong jaxis) {
  return Fft1(env, jhandle, jlength, jaxis,
      [](const torch::Tensor& t, std::optional<int64_t> n, int64_t dim) { return torch::fft::rfft(t, n, dim); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIrfft(
    JNIEnv* env, jobject, jlong jhandle, jlong jlength, jlong jaxis) {
  return Fft1(env, jhandle, jlength, jaxis,
      [](const torch::Tensor& t, std::optional<int64_t> n, int64_t dim) { return torch::fft::irfft(t, n, dim); });
}

JNIEXPORT jlong JNICALL Java_ai_djl_pytorch_jni_PyTorchLibrary_torchIfft2(
    JNIEnv* env, jobject, jlong jhandle, jlongArray jsizes, jlongArray jaxes) {
  API_BEGIN()
  const auto sizes = djl::utils::jni::GetVecFromJLongArray(env, jsizes);
  const auto axes = djl::utils::jni::GetVecFromJLongArray(env, jaxes);
  return H(torch::fft::ifft2(*T(jhandle), sizes, axes));
  API_END_RETURN()
}

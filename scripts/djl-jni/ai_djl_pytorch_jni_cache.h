// Global class references used by the JNI functions; filled in JNI_OnLoad.
#ifndef DJL_TORCH_AI_DJL_PYTORCH_JNI_CACHE_H
#define DJL_TORCH_AI_DJL_PYTORCH_JNI_CACHE_H
#include <jni.h>
extern jclass ENGINE_EXCEPTION_CLASS;
extern jclass NULL_PTR_EXCEPTION_CLASS;
extern jclass ILLEGAL_STATE_EXCEPTION_CLASS;
#endif

// glibc keeps what a process frees in the middle of its heap: free() gives back only the top of it, and only
// malloc_trim() hands the pages of free chunks inside it back to the system (madvise). Elsewhere (macOS, musl)
// there is no such call, and trim() answers false.
#include <stdlib.h> // first: glibc's headers define __GLIBC__
#include <node_api.h>
#include <stdbool.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#if defined(__GLIBC__)
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  if (napi_get_boolean(env, released, &result) != napi_ok) return NULL;
  return result;
}

static napi_value Supported(napi_env env) {
#if defined(__GLIBC__)
  const bool supported = true;
#else
  const bool supported = false;
#endif
  napi_value result;
  if (napi_get_boolean(env, supported, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value trim;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &trim) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", trim) != napi_ok) return NULL;
  napi_value supported = Supported(env);
  if (supported == NULL || napi_set_named_property(env, exports, "supported", supported) != napi_ok) return NULL;
  return exports;
}

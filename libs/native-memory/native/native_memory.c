// Memory an idle node can hand back to the system, which JavaScript cannot reach:
// - trim(): glibc keeps what a process frees in the middle of its heap (free() gives back only the top of it),
//   and only malloc_trim() hands the pages of free chunks inside it back (madvise). Elsewhere (macOS, musl)
//   there is no such call, and trim() answers false.
// - mapLatin1(path): a node's bundle as a V8 string whose characters stay in the file's read-only mapping
//   instead of a copy in the JavaScript heap (V8 keeps a running script's source). Its pages are the page
//   cache's, shared by every node that maps the same file, and releaseMapped() drops them from this process
//   (a later read faults them in again from the file), so an idle node holds none of them.
//   The file must not change in place while it is mapped: the build replaces it (a new file, renamed).
#define NAPI_EXPERIMENTAL // node_api_create_external_string_latin1 (Node.js 20.4 on; stable from Node-API 10)
#include <stdlib.h>       // first: glibc's headers define __GLIBC__
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
// External strings need Node-API's experimental part (Node.js 20.4 on); with older headers mapLatin1 maps nothing.
#if !defined(_WIN32) && defined(NODE_API_EXPERIMENTAL_HAS_EXTERNAL_STRINGS)
#include <fcntl.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define HAS_MMAP 1
#endif

static napi_value Undefined(napi_env env) {
  napi_value result;
  if (napi_get_undefined(env, &result) != napi_ok) return NULL;
  return result;
}

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

#if defined(HAS_MMAP)
// The live mappings, for releaseMapped(). A string's finalizer (the garbage collector) unlinks its own.
typedef struct Mapping {
  void *base;
  size_t length;
  struct Mapping *next;
} Mapping;
static Mapping *mappings = NULL;
static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;

static void Unmap(node_api_basic_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  Mapping *mapping = hint;
  pthread_mutex_lock(&mappings_lock);
  for (Mapping **link = &mappings; *link != NULL; link = &(*link)->next) {
    if (*link == mapping) {
      *link = mapping->next;
      break;
    }
  }
  pthread_mutex_unlock(&mappings_lock);
  munmap(mapping->base, mapping->length);
  free(mapping);
}

// A read-only private mapping of the whole file, or NULL (no such file, empty, not mappable).
static Mapping *MapFile(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  Mapping *mapping = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base != MAP_FAILED) {
      mapping = malloc(sizeof *mapping);
      if (mapping == NULL) {
        munmap(base, (size_t)st.st_size);
      } else {
        mapping->base = base;
        mapping->length = (size_t)st.st_size;
        mapping->next = NULL;
      }
    }
  }
  close(fd);
  return mapping;
}

static bool Ascii(const unsigned char *bytes, size_t length) {
  unsigned char any = 0;
  for (size_t i = 0; i < length; i++) any |= bytes[i];
  return (any & 0x80) == 0;
}
#endif

// mapLatin1(path): the file as a string over its mapping, when it is all ASCII (one byte is then one character
// in Latin-1 as in UTF-8); undefined when it cannot be mapped or has another byte, so the caller reads it as usual.
static napi_value MapLatin1(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  size_t path_length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &path_length) != napi_ok) {
    napi_throw_type_error(env, NULL, "mapLatin1(path): path must be a string");
    return NULL;
  }
#if defined(HAS_MMAP)
  char *path = malloc(path_length + 1);
  if (path == NULL) return Undefined(env);
  // A path with a NUL in it would name another file: not mapped.
  if (napi_get_value_string_utf8(env, argv[0], path, path_length + 1, &path_length) != napi_ok || strlen(path) != path_length) {
    free(path);
    return Undefined(env);
  }
  Mapping *mapping = MapFile(path);
  free(path);
  if (mapping == NULL) return Undefined(env);
  if (!Ascii(mapping->base, mapping->length)) {
    munmap(mapping->base, mapping->length);
    free(mapping);
    return Undefined(env);
  }
  pthread_mutex_lock(&mappings_lock);
  mapping->next = mappings;
  mappings = mapping;
  pthread_mutex_unlock(&mappings_lock);
  napi_value result;
  bool copied = false;
  // Where V8 copies the characters instead (a sandboxed V8), Unmap has already run when this returns. A failure
  // (never seen) leaves the mapping until the process ends, and the caller reads the file as usual.
  if (node_api_create_external_string_latin1(env, mapping->base, mapping->length, Unmap, mapping, &result, &copied) != napi_ok) {
    return Undefined(env);
  }
  return result;
#else
  return Undefined(env);
#endif
}

// releaseMapped(): drops the resident pages of every live mapping from this process; answers how many bytes are
// mapped. The pages stay in the page cache, and the next read of one maps it again.
static napi_value ReleaseMapped(napi_env env, napi_callback_info info) {
  (void)info;
  double mapped = 0;
#if defined(HAS_MMAP)
  pthread_mutex_lock(&mappings_lock);
  for (Mapping *mapping = mappings; mapping != NULL; mapping = mapping->next) {
    if (madvise(mapping->base, mapping->length, MADV_DONTNEED) == 0) mapped += (double)mapping->length;
  }
  pthread_mutex_unlock(&mappings_lock);
#endif
  napi_value result;
  if (napi_create_double(env, mapped, &result) != napi_ok) return NULL;
  return result;
}

static bool Export(napi_env env, napi_value exports, const char *name, napi_callback function) {
  napi_value value;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, function, NULL, &value) == napi_ok &&
         napi_set_named_property(env, exports, name, value) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!Export(env, exports, "trim", Trim) || !Export(env, exports, "mapLatin1", MapLatin1) ||
      !Export(env, exports, "releaseMapped", ReleaseMapped)) {
    return NULL;
  }
  return exports;
}

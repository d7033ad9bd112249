{
  "targets": [
    {
      "target_name": "native_memory",
      "sources": ["native/native_memory.c"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "malloc_trim",
      "sources": ["native/malloc_trim.c"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}

# ASan + UBSan for the `asan` preset; applied globally so that every library
# and test is instrumented the same way.
if(ORSA_SANITIZE)
  # vptr is off: its checks need the typeinfo of SOCI's classes, which
  # Debian's shared libraries do not export.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr)
endif()

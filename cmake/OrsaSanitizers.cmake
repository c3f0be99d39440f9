# ASan + UBSan for the `asan` preset; applied globally so that every library
# and test is instrumented the same way.
if(ORSA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

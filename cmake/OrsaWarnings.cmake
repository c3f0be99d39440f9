# Warning flags applied to every ORSA target through orsa_module()/orsa_app().
function(orsa_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast
                                           # designated initializers omit fields on purpose
                                           -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict overlaps in std::string concatenation at
    # -O2/-O3 (GCC bug 105651), fixed in GCC 13.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(ORSA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

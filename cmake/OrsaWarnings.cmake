# Warning flags applied to every ORSA target through orsa_module()/orsa_app().
function(orsa_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast
                                           # designated initializers omit fields on purpose
                                           -Wno-missing-field-initializers)
  if(ORSA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Warning flags applied to every ORSA target through orsa_module()/orsa_app().
function(orsa_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wold-style-cast)
  if(ORSA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

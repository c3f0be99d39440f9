# orsa_module(NAME SOURCES ... DEPS ... [TESTS ...] [TEST_DEPS ...])
# One static library per module (target orsa_NAME, alias orsa::NAME). Its
# public headers live in src/NAME/include/NAME/ and are included as
# "NAME/header.hpp"; that include/ folder is the only include root other
# modules get, so headers beside the sources are private to the module (its
# own files include them by their plain name). Tests beside the code are
# built into one orsa_NAME_test binary that links the same library the apps
# link.
function(orsa_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(orsa_${name} STATIC ${ARG_SOURCES})
  add_library(orsa::${name} ALIAS orsa_${name})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(orsa_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  target_link_libraries(orsa_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  orsa_set_warnings(orsa_${name})
  if(ORSA_BUILD_TESTS AND ARG_TESTS)
    add_executable(orsa_${name}_test ${ARG_TESTS})
    target_link_libraries(orsa_${name}_test PRIVATE orsa_${name} ${ARG_TEST_DEPS}
                                                    GTest::gtest GTest::gmock GTest::gtest_main)
    orsa_set_warnings(orsa_${name}_test)
    add_test(NAME unit.${name} COMMAND orsa_${name}_test)
    set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 300)
  endif()
endfunction()

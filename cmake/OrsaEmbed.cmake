# orsa_embed(TARGET target NAMESPACE ns BASE_DIR dir FILES f1 f2 ...)
# Compiles files into the target as a table of {relative path, bytes}, exposed
# by the generated header "<ns>_embedded.hpp" as `ns::embedded_files()`.
# Used for SQL migrations, the OpenAPI document and template starter files, so
# that orsa-deployer is one self-contained binary.
function(orsa_embed)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;BASE_DIR" "FILES" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/embedded)
  set(out_cpp ${out_dir}/${ARG_NAMESPACE}_embedded.cpp)
  set(out_hpp ${out_dir}/${ARG_NAMESPACE}_embedded.hpp)
  set(abs_files)
  foreach(f IN LISTS ARG_FILES)
    list(APPEND abs_files ${ARG_BASE_DIR}/${f})
  endforeach()
  # ';' would split the list in the generated shell command: pass '|' instead.
  string(REPLACE ";" "|" files_arg "${ARG_FILES}")
  add_custom_command(
    OUTPUT ${out_cpp} ${out_hpp}
    COMMAND ${CMAKE_COMMAND} -DOUT_CPP=${out_cpp} -DOUT_HPP=${out_hpp} -DNS=${ARG_NAMESPACE}
            -DBASE_DIR=${ARG_BASE_DIR} "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${abs_files} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${ARG_NAMESPACE} files"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE ${out_cpp} ${out_hpp})
  target_include_directories(${ARG_TARGET} PUBLIC ${out_dir})
endfunction()

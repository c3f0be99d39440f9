# Script mode helper for orsa_embed(): writes OUT_HPP and OUT_CPP.
string(REPLACE "|" ";" FILES "${FILES}")
file(WRITE ${OUT_HPP} "#pragma once\n#include <span>\n#include <string_view>\n\nnamespace ${NS} {\n"
     "struct EmbeddedFile {\n  std::string_view path;\n  std::string_view bytes;\n};\n"
     "/// Files compiled into the binary, sorted by path.\n"
     "std::span<const EmbeddedFile> embedded_files();\n}  // namespace ${NS}\n")
set(body "#include \"${NS}_embedded.hpp\"\n\nnamespace ${NS} {\nnamespace {\n")
set(table "")
set(i 0)
list(SORT FILES)
foreach(f IN LISTS FILES)
  file(READ ${BASE_DIR}/${f} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," chars "${hex}")
  string(APPEND body "constexpr char kData${i}[] = {${chars} 0};\n")
  string(APPEND table "    {\"${f}\", std::string_view(kData${i}, ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "constexpr EmbeddedFile kFiles[] = {\n${table}};\n}  // namespace\n\n"
       "std::span<const EmbeddedFile> embedded_files() { return kFiles; }\n}  // namespace ${NS}\n")
file(WRITE ${OUT_CPP} "${body}")

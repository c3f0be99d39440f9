#include "workers/service_templates.hpp"

#include <sys/stat.h>

#include "core/files.hpp"
#include "orsa_service_templates_embedded.hpp"

namespace orsa::workers {

Result<std::filesystem::path> install_service_templates(const std::filesystem::path& root) {
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  for (const auto& file : orsa_service_templates::embedded_files()) {
    const auto path = root / std::string(file.path);
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return fail(Error::unavailable("cannot create the templates directory"));
    // The embedding keeps bytes, not modes: scripts are recognised by their shebang.
    const unsigned mode = std::string_view(file.bytes).starts_with("#!") ? 0755 : 0644;
    if (auto ok = write_file_atomic(path, file.bytes, mode); !ok) return fail(ok.error());
  }
  return root;
}

}  // namespace orsa::workers

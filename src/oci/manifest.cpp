#include "oci/manifest.hpp"

#include <limits>
#include <set>
#include <utility>

#include "core/json.hpp"
#include "oci/media_types.hpp"

namespace orsa::oci {
namespace {

// Serialisation builds ordered_json so keys come out in the order we insert
// them: the canonical order is part of the digest, so it is spelled out here
// rather than left to nlohmann's sorted default.
using OrderedJson = nlohmann::ordered_json;

std::string join(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string at_index(std::string_view parent, std::size_t i) {
  return std::string(parent) + "[" + std::to_string(i) + "]";
}

Error missing(std::string_view path) {
  return Error::invalid_argument("missing field '" + std::string(path) + "'");
}

Error wrong_type(std::string_view path, std::string_view what) {
  return Error::invalid_argument("field '" + std::string(path) + "' must be " + std::string(what));
}

// A present, non-null field, or nullptr (Docker writes null for empty lists).
const Json* find(const Json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

Result<Json> parse_object(std::string_view text, std::string_view what) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return fail(Error::invalid_argument(std::string(what) + " is not valid JSON"));
  }
  if (!doc.is_object()) {
    return fail(Error::invalid_argument(std::string(what) + " must be a JSON object"));
  }
  return doc;
}

Result<std::string> required_string(const Json& object, std::string_view key,
                                    std::string_view parent) {
  const Json* v = find(object, key);
  if (v == nullptr) return fail(missing(join(parent, key)));
  if (!v->is_string()) return fail(wrong_type(join(parent, key), "a string"));
  return v->get<std::string>();
}

Result<std::string> optional_string(const Json& object, std::string_view key,
                                    std::string_view parent) {
  const Json* v = find(object, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return fail(wrong_type(join(parent, key), "a string"));
  return v->get<std::string>();
}

Result<std::vector<std::string>> optional_string_array(const Json& object, std::string_view key,
                                                       std::string_view parent) {
  std::vector<std::string> out;
  const Json* v = find(object, key);
  if (v == nullptr) return out;
  if (!v->is_array()) return fail(wrong_type(join(parent, key), "an array of strings"));
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return fail(wrong_type(at_index(join(parent, key), i), "a string"));
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> optional_string_map(const Json& object,
                                                               std::string_view key,
                                                               std::string_view parent) {
  std::map<std::string, std::string> out;
  const Json* v = find(object, key);
  if (v == nullptr) return out;
  if (!v->is_object()) return fail(wrong_type(join(parent, key), "an object of strings"));
  for (const auto& [name, value] : v->items()) {
    if (!value.is_string()) return fail(wrong_type(join(join(parent, key), name), "a string"));
    out.emplace(name, value.get<std::string>());
  }
  return out;
}

Result<Digest> required_digest(const Json& object, std::string_view key, std::string_view parent) {
  auto text = required_string(object, key, parent);
  if (!text) return fail(std::move(text.error()));
  auto digest = Digest::parse(*text);
  if (!digest) {
    return fail(
        Error::invalid_argument("field '" + join(parent, key) + "': " + digest.error().message));
  }
  return *digest;
}

Result<std::int64_t> required_size(const Json& object, std::string_view key,
                                   std::string_view parent) {
  const Json* v = find(object, key);
  if (v == nullptr) return fail(missing(join(parent, key)));
  if (!v->is_number_integer()) return fail(wrong_type(join(parent, key), "an integer"));
  if (v->is_number_unsigned() &&
      v->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return fail(Error::invalid_argument("field '" + join(parent, key) + "' is too large"));
  }
  const auto size = v->get<std::int64_t>();
  if (size < 0) return fail(wrong_type(join(parent, key), "non-negative"));
  return size;
}

Result<void> check_schema_version(const Json& doc) {
  const Json* v = find(doc, "schemaVersion");
  if (v == nullptr) return fail(missing("schemaVersion"));
  if (!v->is_number_integer()) return fail(wrong_type("schemaVersion", "an integer"));
  if (v->get<std::int64_t>() != 2) return fail(wrong_type("schemaVersion", "2"));
  return {};
}

Result<Platform> parse_platform(const Json& value, std::string_view path) {
  if (!value.is_object()) return fail(wrong_type(path, "an object"));
  Platform platform;
  auto architecture = required_string(value, "architecture", path);
  if (!architecture) return fail(std::move(architecture.error()));
  auto os = required_string(value, "os", path);
  if (!os) return fail(std::move(os.error()));
  platform.architecture = std::move(*architecture);
  platform.os = std::move(*os);
  return platform;
}

Result<Descriptor> parse_descriptor(const Json& value, std::string_view path) {
  if (!value.is_object()) return fail(wrong_type(path, "an object"));
  Descriptor d;
  auto media_type = required_string(value, "mediaType", path);
  if (!media_type) return fail(std::move(media_type.error()));
  if (media_type->empty()) return fail(wrong_type(join(path, "mediaType"), "non-empty"));
  auto digest = required_digest(value, "digest", path);
  if (!digest) return fail(std::move(digest.error()));
  auto size = required_size(value, "size", path);
  if (!size) return fail(std::move(size.error()));
  auto annotations = optional_string_map(value, "annotations", path);
  if (!annotations) return fail(std::move(annotations.error()));
  auto artifact_type = optional_string(value, "artifactType", path);
  if (!artifact_type) return fail(std::move(artifact_type.error()));
  if (const Json* platform = find(value, "platform")) {
    auto parsed = parse_platform(*platform, join(path, "platform"));
    if (!parsed) return fail(std::move(parsed.error()));
    d.platform = std::move(*parsed);
  }
  d.media_type = std::move(*media_type);
  d.digest = std::move(*digest);
  d.size = *size;
  d.annotations = std::move(*annotations);
  d.artifact_type = std::move(*artifact_type);
  return d;
}

// The image-spec v1.1 fields a manifest or an index may carry: what kind of
// artifact it is and the manifest it refers to (the referrers API's key).
struct ArtifactFields {
  std::string artifact_type;
  std::optional<Descriptor> subject;
};

Result<ArtifactFields> parse_artifact_fields(const Json& doc) {
  ArtifactFields out;
  auto artifact_type = optional_string(doc, "artifactType", "");
  if (!artifact_type) return fail(std::move(artifact_type.error()));
  out.artifact_type = std::move(*artifact_type);
  if (const Json* subject = find(doc, "subject")) {
    auto parsed = parse_descriptor(*subject, "subject");
    if (!parsed) return fail(std::move(parsed.error()));
    out.subject = std::move(*parsed);
  }
  return out;
}

Result<std::vector<Descriptor>> parse_descriptors(const Json& doc, std::string_view key,
                                                  bool required) {
  std::vector<Descriptor> out;
  const Json* v = find(doc, key);
  if (v == nullptr) {
    if (required) return fail(missing(key));
    return out;
  }
  if (!v->is_array()) return fail(wrong_type(key, "an array"));
  for (std::size_t i = 0; i < v->size(); ++i) {
    auto d = parse_descriptor((*v)[i], at_index(key, i));
    if (!d) return fail(std::move(d.error()));
    out.push_back(std::move(*d));
  }
  return out;
}

// The document's own mediaType, which must be one of `accepted` when present;
// absent means the OCI type (Docker schema2 always states its type).
Result<std::string> document_media_type(const Json& doc, std::string_view oci,
                                        std::string_view docker) {
  auto media_type = optional_string(doc, "mediaType", "");
  if (!media_type) return fail(std::move(media_type.error()));
  if (media_type->empty()) return std::string(oci);
  if (*media_type != oci && *media_type != docker) {
    return fail(Error::invalid_argument("field 'mediaType' must be '" + std::string(oci) +
                                        "' or '" + std::string(docker) + "', not '" + *media_type +
                                        "'"));
  }
  return media_type;
}

std::string_view strip_parameters(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (semicolon != std::string_view::npos) content_type = content_type.substr(0, semicolon);
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  return content_type;
}

std::optional<ManifestKind> kind_of_media_type(std::string_view media_type) {
  if (media_type == kOciManifest || media_type == kDockerManifest) {
    return ManifestKind::kImageManifest;
  }
  if (media_type == kOciIndex || media_type == kDockerManifestList) {
    return ManifestKind::kImageIndex;
  }
  return std::nullopt;
}

// Replacing invalid UTF-8 (instead of nlohmann's default of throwing) keeps
// serialize() total; valid input, the only kind the parsers produce, is unchanged.
std::string dump(const OrderedJson& doc) {
  return doc.dump(-1, ' ', /*ensure_ascii=*/false, OrderedJson::error_handler_t::replace);
}

OrderedJson string_map_json(const std::map<std::string, std::string>& map) {
  OrderedJson out = OrderedJson::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out;
}

OrderedJson descriptor_json(const Descriptor& d) {
  OrderedJson out = OrderedJson::object();
  out["mediaType"] = d.media_type;
  out["digest"] = d.digest.str();
  out["size"] = d.size;
  if (d.platform) {
    out["platform"] = {{"architecture", d.platform->architecture}, {"os", d.platform->os}};
  }
  if (!d.annotations.empty()) out["annotations"] = string_map_json(d.annotations);
  if (!d.artifact_type.empty()) out["artifactType"] = d.artifact_type;
  return out;
}

void artifact_fields_json(OrderedJson& out, const std::string& artifact_type,
                          const std::optional<Descriptor>& subject) {
  if (!artifact_type.empty()) out["artifactType"] = artifact_type;
  if (subject) out["subject"] = descriptor_json(*subject);
}

OrderedJson descriptors_json(const std::vector<Descriptor>& descriptors) {
  OrderedJson out = OrderedJson::array();
  for (const Descriptor& d : descriptors) out.push_back(descriptor_json(d));
  return out;
}

Result<void> parse_runtime_config(const Json& doc, ImageConfig& config) {
  const Json* runtime = find(doc, "config");
  if (runtime == nullptr) return {};
  if (!runtime->is_object()) return fail(wrong_type("config", "an object"));
  auto user = optional_string(*runtime, "User", "config");
  if (!user) return fail(std::move(user.error()));
  auto env = optional_string_array(*runtime, "Env", "config");
  if (!env) return fail(std::move(env.error()));
  auto entrypoint = optional_string_array(*runtime, "Entrypoint", "config");
  if (!entrypoint) return fail(std::move(entrypoint.error()));
  auto cmd = optional_string_array(*runtime, "Cmd", "config");
  if (!cmd) return fail(std::move(cmd.error()));
  auto working_dir = optional_string(*runtime, "WorkingDir", "config");
  if (!working_dir) return fail(std::move(working_dir.error()));
  auto labels = optional_string_map(*runtime, "Labels", "config");
  if (!labels) return fail(std::move(labels.error()));
  if (const Json* ports = find(*runtime, "ExposedPorts")) {
    if (!ports->is_object()) return fail(wrong_type("config.ExposedPorts", "an object"));
    // nlohmann's object is sorted, so ports come out in a stable order.
    for (const auto& [port, ignored] : ports->items()) config.exposed_ports.push_back(port);
  }
  config.user = std::move(*user);
  config.env = std::move(*env);
  config.entrypoint = std::move(*entrypoint);
  config.cmd = std::move(*cmd);
  config.working_dir = std::move(*working_dir);
  config.labels = std::move(*labels);
  return {};
}

Result<void> parse_rootfs(const Json& doc, ImageConfig& config) {
  const Json* rootfs = find(doc, "rootfs");
  if (rootfs == nullptr) return fail(missing("rootfs"));
  if (!rootfs->is_object()) return fail(wrong_type("rootfs", "an object"));
  auto type = required_string(*rootfs, "type", "rootfs");
  if (!type) return fail(std::move(type.error()));
  if (*type != "layers") return fail(wrong_type("rootfs.type", "\"layers\""));
  const Json* diff_ids = find(*rootfs, "diff_ids");
  if (diff_ids == nullptr) return fail(missing("rootfs.diff_ids"));
  if (!diff_ids->is_array()) return fail(wrong_type("rootfs.diff_ids", "an array"));
  for (std::size_t i = 0; i < diff_ids->size(); ++i) {
    const std::string path = at_index("rootfs.diff_ids", i);
    if (!(*diff_ids)[i].is_string()) return fail(wrong_type(path, "a string"));
    auto digest = Digest::parse((*diff_ids)[i].get<std::string>());
    if (!digest) {
      return fail(Error::invalid_argument("field '" + path + "': " + digest.error().message));
    }
    config.diff_ids.push_back(std::move(*digest));
  }
  return {};
}

Result<HistoryEntry> parse_history_entry(const Json& value, std::string_view path) {
  if (!value.is_object()) return fail(wrong_type(path, "an object"));
  HistoryEntry entry;
  auto created = optional_string(value, "created", path);
  if (!created) return fail(std::move(created.error()));
  auto created_by = optional_string(value, "created_by", path);
  if (!created_by) return fail(std::move(created_by.error()));
  auto comment = optional_string(value, "comment", path);
  if (!comment) return fail(std::move(comment.error()));
  if (const Json* empty = find(value, "empty_layer")) {
    if (!empty->is_boolean()) return fail(wrong_type(join(path, "empty_layer"), "a boolean"));
    entry.empty_layer = empty->get<bool>();
  }
  entry.created = std::move(*created);
  entry.created_by = std::move(*created_by);
  entry.comment = std::move(*comment);
  return entry;
}

Result<void> parse_history(const Json& doc, ImageConfig& config) {
  const Json* history = find(doc, "history");
  if (history == nullptr) return {};
  if (!history->is_array()) return fail(wrong_type("history", "an array"));
  for (std::size_t i = 0; i < history->size(); ++i) {
    auto entry = parse_history_entry((*history)[i], at_index("history", i));
    if (!entry) return fail(std::move(entry.error()));
    config.history.push_back(std::move(*entry));
  }
  return {};
}

Result<ImageConfig> parse_config_document(const Json& doc) {
  ImageConfig config;
  auto created = optional_string(doc, "created", "");
  if (!created) return fail(std::move(created.error()));
  auto architecture = required_string(doc, "architecture", "");
  if (!architecture) return fail(std::move(architecture.error()));
  auto os = required_string(doc, "os", "");
  if (!os) return fail(std::move(os.error()));
  config.created = std::move(*created);
  config.architecture = std::move(*architecture);
  config.os = std::move(*os);
  if (auto r = parse_runtime_config(doc, config); !r) return fail(std::move(r.error()));
  if (auto r = parse_rootfs(doc, config); !r) return fail(std::move(r.error()));
  if (auto r = parse_history(doc, config); !r) return fail(std::move(r.error()));
  return config;
}

OrderedJson string_array_json(const std::vector<std::string>& values) {
  OrderedJson out = OrderedJson::array();
  for (const std::string& v : values) out.push_back(v);
  return out;
}

OrderedJson runtime_config_json(const ImageConfig& c) {
  OrderedJson out = OrderedJson::object();
  if (!c.user.empty()) out["User"] = c.user;
  if (!c.env.empty()) out["Env"] = string_array_json(c.env);
  if (!c.entrypoint.empty()) out["Entrypoint"] = string_array_json(c.entrypoint);
  if (!c.cmd.empty()) out["Cmd"] = string_array_json(c.cmd);
  if (!c.working_dir.empty()) out["WorkingDir"] = c.working_dir;
  if (!c.exposed_ports.empty()) {
    // Ports are a set (JSON object keys); sorting makes the order canonical.
    const std::set<std::string> ports(c.exposed_ports.begin(), c.exposed_ports.end());
    OrderedJson exposed = OrderedJson::object();
    for (const std::string& port : ports) exposed[port] = OrderedJson::object();
    out["ExposedPorts"] = std::move(exposed);
  }
  if (!c.labels.empty()) out["Labels"] = string_map_json(c.labels);
  return out;
}

OrderedJson history_json(const std::vector<HistoryEntry>& history) {
  OrderedJson out = OrderedJson::array();
  for (const HistoryEntry& h : history) {
    OrderedJson entry = OrderedJson::object();
    if (!h.created.empty()) entry["created"] = h.created;
    if (!h.created_by.empty()) entry["created_by"] = h.created_by;
    if (!h.comment.empty()) entry["comment"] = h.comment;
    if (h.empty_layer) entry["empty_layer"] = true;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Result<ManifestKind> manifest_kind(std::string_view json, std::string_view content_type) {
  auto doc = parse_object(json, "manifest");
  if (!doc) return fail(std::move(doc.error()));
  if (const Json* media_type = find(*doc, "mediaType")) {
    if (!media_type->is_string()) return fail(wrong_type("mediaType", "a string"));
    const auto kind = kind_of_media_type(media_type->get<std::string>());
    if (!kind) {
      return fail(Error::invalid_argument("unsupported manifest mediaType '" +
                                          media_type->get<std::string>() + "'"));
    }
    return *kind;
  }
  const std::string_view declared = strip_parameters(content_type);
  if (const auto kind = kind_of_media_type(declared)) return *kind;
  if (doc->contains("manifests")) return ManifestKind::kImageIndex;
  if (doc->contains("layers") || doc->contains("config")) return ManifestKind::kImageManifest;
  return fail(Error::invalid_argument(
      "cannot tell the manifest kind: no mediaType, no known Content-Type, and neither "
      "'manifests' nor 'layers'/'config'"));
}

Result<ImageManifest> parse_manifest(std::string_view json) {
  try {
    auto doc = parse_object(json, "manifest");
    if (!doc) return fail(std::move(doc.error()));
    if (auto r = check_schema_version(*doc); !r) return fail(std::move(r.error()));
    auto media_type = document_media_type(*doc, kOciManifest, kDockerManifest);
    if (!media_type) return fail(std::move(media_type.error()));
    const Json* config = find(*doc, "config");
    if (config == nullptr) return fail(missing("config"));
    auto config_descriptor = parse_descriptor(*config, "config");
    if (!config_descriptor) return fail(std::move(config_descriptor.error()));
    auto layers = parse_descriptors(*doc, "layers", /*required=*/true);
    if (!layers) return fail(std::move(layers.error()));
    auto annotations = optional_string_map(*doc, "annotations", "");
    if (!annotations) return fail(std::move(annotations.error()));
    auto artifact = parse_artifact_fields(*doc);
    if (!artifact) return fail(std::move(artifact.error()));
    return ImageManifest{.media_type = std::move(*media_type),
                         .config = std::move(*config_descriptor),
                         .layers = std::move(*layers),
                         .annotations = std::move(*annotations),
                         .artifact_type = std::move(artifact->artifact_type),
                         .subject = std::move(artifact->subject)};
  } catch (const Json::exception& e) {
    return fail(Error::invalid_argument(std::string("manifest: ") + e.what()));
  }
}

Result<ImageIndex> parse_index(std::string_view json) {
  try {
    auto doc = parse_object(json, "index");
    if (!doc) return fail(std::move(doc.error()));
    if (auto r = check_schema_version(*doc); !r) return fail(std::move(r.error()));
    auto media_type = document_media_type(*doc, kOciIndex, kDockerManifestList);
    if (!media_type) return fail(std::move(media_type.error()));
    auto manifests = parse_descriptors(*doc, "manifests", /*required=*/true);
    if (!manifests) return fail(std::move(manifests.error()));
    auto annotations = optional_string_map(*doc, "annotations", "");
    if (!annotations) return fail(std::move(annotations.error()));
    auto artifact = parse_artifact_fields(*doc);
    if (!artifact) return fail(std::move(artifact.error()));
    return ImageIndex{.media_type = std::move(*media_type),
                      .manifests = std::move(*manifests),
                      .annotations = std::move(*annotations),
                      .artifact_type = std::move(artifact->artifact_type),
                      .subject = std::move(artifact->subject)};
  } catch (const Json::exception& e) {
    return fail(Error::invalid_argument(std::string("index: ") + e.what()));
  }
}

Result<ImageConfig> parse_config(std::string_view json) {
  try {
    auto doc = parse_object(json, "image config");
    if (!doc) return fail(std::move(doc.error()));
    return parse_config_document(*doc);
  } catch (const Json::exception& e) {
    return fail(Error::invalid_argument(std::string("image config: ") + e.what()));
  }
}

std::string serialize(const ImageManifest& manifest) {
  OrderedJson out = OrderedJson::object();
  out["schemaVersion"] = 2;
  if (!manifest.media_type.empty()) out["mediaType"] = manifest.media_type;
  out["config"] = descriptor_json(manifest.config);
  out["layers"] = descriptors_json(manifest.layers);
  if (!manifest.annotations.empty()) out["annotations"] = string_map_json(manifest.annotations);
  artifact_fields_json(out, manifest.artifact_type, manifest.subject);
  return dump(out);
}

std::string serialize(const ImageIndex& index) {
  OrderedJson out = OrderedJson::object();
  out["schemaVersion"] = 2;
  if (!index.media_type.empty()) out["mediaType"] = index.media_type;
  out["manifests"] = descriptors_json(index.manifests);
  if (!index.annotations.empty()) out["annotations"] = string_map_json(index.annotations);
  artifact_fields_json(out, index.artifact_type, index.subject);
  return dump(out);
}

std::string serialize(const ImageConfig& config) {
  OrderedJson out = OrderedJson::object();
  if (!config.created.empty()) out["created"] = config.created;
  out["architecture"] = config.architecture;
  out["os"] = config.os;
  OrderedJson runtime = runtime_config_json(config);
  if (!runtime.empty()) out["config"] = std::move(runtime);
  OrderedJson diff_ids = OrderedJson::array();
  for (const Digest& d : config.diff_ids) diff_ids.push_back(d.str());
  out["rootfs"] = {{"type", "layers"}, {"diff_ids", std::move(diff_ids)}};
  if (!config.history.empty()) out["history"] = history_json(config.history);
  return dump(out);
}

}  // namespace orsa::oci

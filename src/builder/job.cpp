#include "builder/job.hpp"

#include "core/json.hpp"
#include "core/slug.hpp"

namespace orsa::builder {
namespace {

constexpr std::int64_t kMaxTimeoutS = 3600;

bool is_hex_sha(std::string_view s) {
  if (s.size() != 40) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> required(const JsonObjectReader& job, std::string_view key) {
  auto value = job.required_string(key);
  if (!value) return fail(value.error());
  if (value->empty())
    return fail(Error::invalid_argument("field '" + std::string(key) + "' is empty"));
  return value;
}

Result<void> validate(const BuildJob& job) {
  if (auto ok = validate_slug(job.owner, "owner"); !ok) return ok;
  if (auto ok = validate_slug(job.project, "project"); !ok) return ok;
  if (!is_hex_sha(job.commit)) {
    return fail(Error::invalid_argument("field 'commit' must be a 40-character hex sha"));
  }
  if (job.target_repository != job.owner + "/" + job.project) {
    return fail(Error::invalid_argument("field 'target_repository' must be '<owner>/<project>'"));
  }
  if (!job.registry.starts_with("http://") && !job.registry.starts_with("https://")) {
    return fail(Error::invalid_argument("field 'registry' must be an http(s) URL"));
  }
  if (job.commit_time < 0) return fail(Error::invalid_argument("field 'commit_time' is negative"));
  if (job.timeout_s < 1 || job.timeout_s > kMaxTimeoutS) {
    return fail(Error::invalid_argument("field 'timeout_s' must be between 1 and 3600"));
  }
  return {};
}

}  // namespace

Result<BuildJob> parse_job(std::string_view json) {
  auto reader = JsonObjectReader::parse(json);
  if (!reader) return fail(reader.error());
  if (auto ok = reader->reject_unknown({"build_id", "owner", "project", "commit", "commit_time",
                                        "source_archive", "template_dir", "registry",
                                        "base_repository", "base_reference", "target_repository",
                                        "target_tag", "timeout_s"});
      !ok) {
    return fail(ok.error());
  }
  BuildJob job;
  for (auto [key, field] : {std::pair{"build_id", &job.build_id},
                            {"owner", &job.owner},
                            {"project", &job.project},
                            {"commit", &job.commit},
                            {"registry", &job.registry},
                            {"base_repository", &job.base_repository},
                            {"base_reference", &job.base_reference},
                            {"target_repository", &job.target_repository},
                            {"target_tag", &job.target_tag}}) {
    auto value = required(*reader, key);
    if (!value) return fail(value.error());
    *field = std::move(*value);
  }
  for (auto [key, field] :
       {std::pair{"source_archive", &job.source_archive}, {"template_dir", &job.template_dir}}) {
    auto value = required(*reader, key);
    if (!value) return fail(value.error());
    *field = *value;
  }
  auto time = reader->optional_int("commit_time");
  if (!time) return fail(time.error());
  const std::optional<std::int64_t> commit_time = *time;
  if (!commit_time) return fail(Error::invalid_argument("missing field 'commit_time'"));
  job.commit_time = *commit_time;
  auto timeout = reader->optional_int("timeout_s");
  if (!timeout) return fail(timeout.error());
  job.timeout_s = timeout->value_or(job.timeout_s);
  if (auto ok = validate(job); !ok) return fail(ok.error());
  return job;
}

}  // namespace orsa::builder

// ConsumerKeys::usage: the meter's hourly rows of a project, summed per key
// and/or per UTC day, for the owner's report and the billing CSV.

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <utility>

#include "services/consumer_keys.hpp"

namespace orsa::services {
namespace {

std::string utc_day(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_seconds(seconds(unix_seconds)));
  return fmt::format("{:%Y-%m-%d}", day);
}

}  // namespace

Result<std::vector<UsageLine>> ConsumerKeys::usage(const auth::Principal& who,
                                                   const ProjectRef& ref, std::int64_t from,
                                                   std::int64_t to, UsageGrouping grouping) {
  if (to <= from) return fail(Error::invalid_argument("to must be later than from"));
  if (to - from > kMaxUsageSpanSeconds) {
    return fail(Error::invalid_argument(fmt::format(
        "one report covers at most {} days; ask for several", kMaxUsageSpanSeconds / 86400)));
  }
  auto project = owned_project(who, ref, auth::Action::kRead);
  if (!project) return fail(project.error());
  auto rows = meter_.project_rows(project->id, from, to);
  if (!rows) return fail(rows.error());
  auto keys = keys_.list(OwnerScope::everyone(), project->id);
  if (!keys) return fail(keys.error());
  std::map<std::string, std::string> names;
  for (const auto& key : *keys) names[key.id] = key.name;

  std::map<std::pair<std::string, std::string>, store::UsageCounters> sums;  // (day, key)
  for (const auto& row : *rows) {
    std::pair<std::string, std::string> group;
    if (grouping.by_day) group.first = utc_day(row.key.hour);
    if (grouping.by_key) group.second = row.key.consumer_key_id;
    sums[group] += row.counters;
  }
  std::vector<UsageLine> lines;
  lines.reserve(sums.size());
  for (auto& [group, counters] : sums) {
    const auto name = names.find(group.second);
    lines.push_back({.day = group.first,
                     .key_id = group.second,
                     .key_name = name == names.end() ? std::string() : name->second,
                     .counters = counters});
  }
  return lines;
}

}  // namespace orsa::services

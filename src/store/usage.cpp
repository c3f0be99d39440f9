#include <soci/soci.h>

#include "sql_repositories.hpp"
#include "sql_rows.hpp"

namespace orsa::store {

UsageCounters& UsageCounters::operator+=(const UsageCounters& o) {
  requests_1xx += o.requests_1xx;
  requests_2xx += o.requests_2xx;
  requests_3xx += o.requests_3xx;
  requests_4xx += o.requests_4xx;
  requests_5xx += o.requests_5xx;
  refused += o.refused;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  runs += o.runs;
  run_wall_ms += o.run_wall_ms;
  run_cpu_ms += o.run_cpu_ms;
  return *this;
}

bool UsageCounters::empty() const {
  return requests() == 0 && refused == 0 && bytes_in == 0 && bytes_out == 0 && runs == 0 &&
         run_wall_ms == 0 && run_cpu_ms == 0;
}

namespace {

using sql::execute;
using sql::select_rows;

struct UsageRowBinding {
  std::string project_id, owner_id, consumer_key_id, user_id;
  long long hour = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, refused = 0, in = 0, out = 0,
            runs = 0, wall = 0, cpu = 0;

  void bind(soci::details::prepare_temp_type& p) {
    p, soci::into(project_id), soci::into(owner_id), soci::into(consumer_key_id),
        soci::into(user_id), soci::into(hour), soci::into(r1), soci::into(r2), soci::into(r3),
        soci::into(r4), soci::into(r5), soci::into(refused), soci::into(in), soci::into(out),
        soci::into(runs), soci::into(wall), soci::into(cpu);
  }
  UsageRow get() const {
    return {.key = {project_id, owner_id, consumer_key_id, user_id, hour},
            .counters = {.requests_1xx = r1,
                         .requests_2xx = r2,
                         .requests_3xx = r3,
                         .requests_4xx = r4,
                         .requests_5xx = r5,
                         .refused = refused,
                         .bytes_in = in,
                         .bytes_out = out,
                         .runs = runs,
                         .run_wall_ms = wall,
                         .run_cpu_ms = cpu}};
  }
};

constexpr std::string_view kCounterColumns =
    "requests_1xx, requests_2xx, requests_3xx, requests_4xx, requests_5xx, refused, bytes_in, "
    "bytes_out, runs, run_wall_ms, run_cpu_ms";

// Adds to the row of its key, creating it; a project deleted since the count
// was taken inserts nothing (the SELECT finds no project), so one vanished
// project cannot fail the batch.
constexpr std::string_view kUpsert =
    "INSERT INTO usage_hourly (project_id, owner_id, consumer_key_id, user_id, hour, "
    "requests_1xx, requests_2xx, requests_3xx, requests_4xx, requests_5xx, refused, bytes_in, "
    "bytes_out, runs, run_wall_ms, run_cpu_ms) SELECT p.id, p.owner_id, CAST(:key AS TEXT), "
    "CAST(:user AS TEXT), CAST(:hour AS BIGINT), CAST(:r1 AS BIGINT), CAST(:r2 AS BIGINT), "
    "CAST(:r3 AS BIGINT), CAST(:r4 AS BIGINT), CAST(:r5 AS BIGINT), CAST(:refused AS BIGINT), "
    "CAST(:bin AS BIGINT), CAST(:bout AS BIGINT), CAST(:runs AS BIGINT), CAST(:wall AS BIGINT), "
    "CAST(:cpu AS BIGINT) FROM projects p WHERE p.id = :project "
    "ON CONFLICT (project_id, consumer_key_id, user_id, hour) DO UPDATE SET "
    "requests_1xx = usage_hourly.requests_1xx + excluded.requests_1xx, "
    "requests_2xx = usage_hourly.requests_2xx + excluded.requests_2xx, "
    "requests_3xx = usage_hourly.requests_3xx + excluded.requests_3xx, "
    "requests_4xx = usage_hourly.requests_4xx + excluded.requests_4xx, "
    "requests_5xx = usage_hourly.requests_5xx + excluded.requests_5xx, "
    "refused = usage_hourly.refused + excluded.refused, "
    "bytes_in = usage_hourly.bytes_in + excluded.bytes_in, "
    "bytes_out = usage_hourly.bytes_out + excluded.bytes_out, "
    "runs = usage_hourly.runs + excluded.runs, "
    "run_wall_ms = usage_hourly.run_wall_ms + excluded.run_wall_ms, "
    "run_cpu_ms = usage_hourly.run_cpu_ms + excluded.run_cpu_ms";

void upsert(soci::session& sql, const UsageRow& row) {
  UsageRowBinding b = {.project_id = row.key.project_id,
                       .owner_id = row.key.owner_id,
                       .consumer_key_id = row.key.consumer_key_id,
                       .user_id = row.key.user_id,
                       .hour = row.key.hour,
                       .r1 = row.counters.requests_1xx,
                       .r2 = row.counters.requests_2xx,
                       .r3 = row.counters.requests_3xx,
                       .r4 = row.counters.requests_4xx,
                       .r5 = row.counters.requests_5xx,
                       .refused = row.counters.refused,
                       .in = row.counters.bytes_in,
                       .out = row.counters.bytes_out,
                       .runs = row.counters.runs,
                       .wall = row.counters.run_wall_ms,
                       .cpu = row.counters.run_cpu_ms};
  execute(sql, std::string(kUpsert), soci::use(b.consumer_key_id), soci::use(b.user_id),
          soci::use(b.hour), soci::use(b.r1), soci::use(b.r2), soci::use(b.r3), soci::use(b.r4),
          soci::use(b.r5), soci::use(b.refused), soci::use(b.in), soci::use(b.out),
          soci::use(b.runs), soci::use(b.wall), soci::use(b.cpu), soci::use(b.project_id));
}

class SqlUsageStore final : public UsageStore {
 public:
  explicit SqlUsageStore(Database& db) : db_(db) {}

  Result<void> add(const std::vector<UsageRow>& rows) override {
    if (rows.empty()) return {};
    return db_.run("add_usage", Access::kWrite, [&](soci::session& sql) -> Result<void> {
      soci::transaction tx(sql);
      for (const auto& row : rows) upsert(sql, row);
      tx.commit();
      return {};
    });
  }

  Result<std::vector<UsageRow>> project_rows(std::string_view project_id, std::int64_t from,
                                             std::int64_t to) override {
    return db_.run("project_usage", Access::kRead,
                   [&](soci::session& sql) -> Result<std::vector<UsageRow>> {
                     const std::string project(project_id);
                     const long long lo = from, hi = to;
                     return select_rows<UsageRowBinding>(
                         sql,
                         sql::concat("SELECT project_id, owner_id, consumer_key_id, user_id, "
                                     "hour, ",
                                     kCounterColumns) +
                             " FROM usage_hourly WHERE project_id = :project AND hour >= :lo "
                             "AND hour < :hi ORDER BY hour, consumer_key_id, user_id",
                         soci::use(project), soci::use(lo), soci::use(hi));
                   });
  }

  Result<KeyMonthUsage> key_usage_since(std::string_view consumer_key_id,
                                        std::int64_t from) override {
    return db_.run("key_usage", Access::kRead, [&](soci::session& sql) -> Result<KeyMonthUsage> {
      const std::string key(consumer_key_id);
      const long long since = from;
      long long requests = 0, run_ms = 0;
      sql << "SELECT COALESCE(SUM(requests_1xx + requests_2xx + requests_3xx + requests_4xx + "
             "requests_5xx - refused), 0), COALESCE(SUM(run_wall_ms), 0) FROM usage_hourly "
             "WHERE consumer_key_id = :key AND hour >= :since",
          soci::use(key), soci::use(since), soci::into(requests), soci::into(run_ms);
      return KeyMonthUsage{requests, run_ms};
    });
  }

  Result<std::int64_t> remove_before(std::int64_t before) override {
    return db_.run("remove_usage", Access::kWrite, [&](soci::session& sql) -> Result<std::int64_t> {
      const long long cutoff = before;
      return execute(sql, "DELETE FROM usage_hourly WHERE hour < :before", soci::use(cutoff));
    });
  }

 private:
  Database& db_;
};

}  // namespace

std::unique_ptr<UsageStore> sql_usage_store(Database& db) {
  return std::make_unique<SqlUsageStore>(db);
}

}  // namespace orsa::store

#pragma once

// Every run's Job as the cluster last told it, kept by one watch for all of
// them: a waiting run reads it instead of asking the API server each second,
// so the API's load does not grow with the runs in flight.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "api_client.hpp"
#include "core/json.hpp"

namespace orsa::runtime::kubernetes {

class JobWatch {
 public:
  /// Watches the Jobs at `jobs_path` ("/apis/batch/v1/namespaces/NS/jobs")
  /// that `selector` ("orsa.job=true") picks, from the first find() on.
  JobWatch(const ApiClient& api, std::string jobs_path, std::string selector);
  ~JobWatch();
  JobWatch(const JobWatch&) = delete;
  JobWatch& operator=(const JobWatch&) = delete;

  /// The Job named `name` as last seen; none when it has not been seen or
  /// the watch is not current (it is being made again): ask the server.
  std::optional<Json> find(const std::string& name);

 private:
  void run(const std::stop_token& stop);
  bool relist();
  bool on_event(std::string_view line);  // false: the watch must be made again
  void set_current(bool current);

  const ApiClient& api_;
  const std::string jobs_path_;
  const std::string selector_;
  std::mutex mu_;
  std::condition_variable_any retry_;
  std::map<std::string, Json> jobs_;  // by name
  std::string version_;               // the resourceVersion to watch from
  bool current_ = false;
  std::jthread thread_;  // started by the first find()
};

}  // namespace orsa::runtime::kubernetes

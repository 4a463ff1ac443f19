// Test helpers for the adapter tests: reading the vendors' example payloads,
// building fake HTTP responses, and waiting for an adapter's asynchronous
// callback.
#ifndef JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_TEST_UTIL_H_
#define JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_TEST_UTIL_H_

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/core/errors.h"
#include "adapters/http/http_engine.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace jobfacade::testing {

// /work/shared/vendor-apis/{vendor}/examples
inline std::string ExamplesDir(const std::string& vendor) {
  return absl::StrCat(JOBFACADE_SHARED_DIR, "/vendor-apis/", vendor, "/examples");
}

// The bytes of one example file; fails the test (and returns "") when it cannot
// be read.
inline std::string ReadExample(const std::string& vendor, const std::string& file) {
  const std::string path = absl::StrCat(ExamplesDir(vendor), "/", file);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The file names in a vendor's examples folder, sorted.
inline std::vector<std::string> ExampleFiles(const std::string& vendor) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(ExamplesDir(vendor), error)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// An RFC 3339 time, parsed independently of the code under test.
// What an example payload is: one job, a job list, or neither (an error, a request...).
enum class ExampleKind { kJob, kJobList, kNotAJob };

// Checks that `files` classifies every example of `vendor` (a new example file fails this until
// it is listed), and that each is accepted by exactly the normaliser its kind names and
// rejected by the other ones with INTERNAL / VENDOR_BAD_RESPONSE.
template <typename NormalizeJob, typename NormalizeList>
void ExpectExamplesClassified(const std::string& vendor,
                              const std::map<std::string, ExampleKind>& files,
                              NormalizeJob normalize_job, NormalizeList normalize_list) {
  std::vector<std::string> classified;
  for (const auto& [file, kind] : files) classified.push_back(file);
  EXPECT_EQ(ExampleFiles(vendor), classified);
  auto is_bad_response = [](const absl::Status& status) {
    return status.code() == absl::StatusCode::kInternal &&
           ErrorReason(status) == reason::kVendorBadResponse;
  };
  for (const auto& [file, kind] : files) {
    const std::string body = ReadExample(vendor, file);
    const absl::Status job = normalize_job(body).status();
    const absl::Status list = normalize_list(body).status();
    EXPECT_EQ(job.ok(), kind == ExampleKind::kJob) << file << ": " << job;
    EXPECT_EQ(list.ok(), kind == ExampleKind::kJobList) << file << ": " << list;
    if (!job.ok()) {
      EXPECT_TRUE(is_bad_response(job)) << file << ": " << job;
    }
    if (!list.ok()) {
      EXPECT_TRUE(is_bad_response(list)) << file << ": " << list;
    }
  }
}

inline absl::Time Rfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return t;
}

// A protobuf Timestamp as absl::Time.
inline absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// A protobuf Duration as absl::Duration.
inline absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// A complete HTTP response as the engine delivers it.
inline http::Response HttpResponse(int status, std::string body,
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

inline http::Response TransportFailure(http::TransportError error) {
  http::Response response;
  response.error = error;
  response.error_message = "transport failure";
  return response;
}

// ErrorInfo metadata value, or "" when absent.
inline std::string Metadata(const absl::Status& status, const std::string& key) {
  auto info = GetErrorInfo(status);
  if (!info.has_value()) return "";
  auto it = info->metadata().find(key);
  return it == info->metadata().end() ? "" : it->second;
}

inline bool HasMetadata(const absl::Status& status, const std::string& key) {
  auto info = GetErrorInfo(status);
  return info.has_value() && info->metadata().count(key) > 0;
}

// The RetryInfo delay of `status`, when it carries one.
inline std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::RetryInfo retry;
  if (!retry.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(retry.retry_delay().seconds()) +
         absl::Nanoseconds(retry.retry_delay().nanos());
}

// Every payload of `status` (message, ErrorInfo, BadRequest, RetryInfo) as one
// string, to check that a secret appears nowhere.
inline std::string EverythingIn(const absl::Status& status) {
  std::string all(status.message());
  status.ForEachPayload([&all](absl::string_view url, const absl::Cord& payload) {
    absl::StrAppend(&all, "|", url, "|", std::string(payload));
  });
  return all;
}

inline constexpr absl::Duration kCallbackWait = absl::Seconds(20);

// Runs one asynchronous adapter call and waits (bounded) for its callback;
// counts calls so a test can check `done` ran exactly once.
template <typename T>
class Awaiter {
 public:
  absl::AnyInvocable<void(absl::StatusOr<T>) &&> Callback() {
    return [state = state_](absl::StatusOr<T> value) {
      if (state->calls.fetch_add(1) == 0) {
        state->result = std::move(value);
        state->done.Notify();
      }
    };
  }
  absl::StatusOr<T> Wait() {
    if (!state_->done.WaitForNotificationWithTimeout(kCallbackWait)) {
      return absl::DeadlineExceededError("the adapter did not call back in time");
    }
    return state_->result;
  }
  int calls() const { return state_->calls.load(); }

 private:
  struct State {
    absl::Notification done;
    std::atomic<int> calls{0};
    absl::StatusOr<T> result = absl::UnknownError("no callback");
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class StatusAwaiter {
 public:
  absl::AnyInvocable<void(absl::Status) &&> Callback() {
    return [state = state_](absl::Status status) {
      if (state->calls.fetch_add(1) == 0) {
        state->result = std::move(status);
        state->done.Notify();
      }
    };
  }
  absl::Status Wait() {
    if (!state_->done.WaitForNotificationWithTimeout(kCallbackWait)) {
      return absl::DeadlineExceededError("the adapter did not call back in time");
    }
    return state_->result;
  }
  int calls() const { return state_->calls.load(); }

 private:
  struct State {
    absl::Notification done;
    std::atomic<int> calls{0};
    absl::Status result = absl::UnknownError("no callback");
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_TEST_UTIL_H_

// A test fixture for one vendor adapter built through the registry, talking
// through the real HTTP engine to a RecordingServer; it checks that every
// `done` ran exactly once.
#ifndef JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_HARNESS_H_
#define JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_HARNESS_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/adapters/core/recording_server.h"

namespace jobfacade::testing {

class AdapterHarness : public ::testing::Test {
 protected:
  // `path_prefix` is what the vendor's base URL adds to the server root
  // ("/api/v1").
  AdapterHarness(std::string vendor, std::string path_prefix, std::string api_key)
      : vendor_(std::move(vendor)),
        api_key_(std::move(api_key)),
        base_url_(server_.url() + path_prefix) {
    engine_ = std::make_unique<http::HttpEngine>();
    adapter_ = MakeVendorAdapter(vendor_, engine_.get(), VendorConfig{base_url_, api_key_});
  }

  void SetUp() override {
    ASSERT_NE(adapter_, nullptr);
    ASSERT_EQ(adapter_->vendor(), vendor_);
  }

  // Stopping the engine runs every callback still pending, so after it a second
  // call of any `done` would have been counted.
  void TearDown() override {
    adapter_.reset();
    engine_.reset();
    for (const auto& calls : call_counts_) EXPECT_EQ(calls(), 1) << "a done ran not once";
  }

  static CallContext Context() {
    CallContext ctx;
    ctx.deadline = absl::Now() + absl::Seconds(20);
    return ctx;
  }

  absl::StatusOr<v1::Job> Get(const std::string& id, v1::JobView view = v1::JOB_VIEW_BASIC,
                              const CallContext& ctx = Context()) {
    Awaiter<v1::Job> awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->GetJob(ctx, id, view, awaiter.Callback());
    return awaiter.Wait();
  }

  absl::StatusOr<ListResult> List(const ListRequest& request, const CallContext& ctx = Context()) {
    Awaiter<ListResult> awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->ListJobs(ctx, request, awaiter.Callback());
    return awaiter.Wait();
  }

  absl::Status Cancel(const std::string& id, const CallContext& ctx = Context()) {
    StatusAwaiter awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->CancelJob(ctx, id, awaiter.Callback());
    return awaiter.Wait();
  }

  absl::Status Delete(const std::string& id, const CallContext& ctx = Context()) {
    StatusAwaiter awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->DeleteJob(ctx, id, awaiter.Callback());
    return awaiter.Wait();
  }

  static ListRequest Page(int page_size, std::string cursor = "") {
    ListRequest request;
    request.page_size = page_size;
    request.cursor = std::move(cursor);
    return request;
  }

  RecordingServer server_;  // declared first: outlives the engine and its connections
  const std::string vendor_;
  const std::string api_key_;
  const std::string base_url_;
  std::unique_ptr<http::HttpEngine> engine_;
  std::unique_ptr<VendorAdapter> adapter_;
  std::vector<std::function<int()>> call_counts_;
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_ADAPTERS_CORE_ADAPTER_HARNESS_H_

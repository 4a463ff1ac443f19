// The IonQ Cloud API v0.4 adapter: builds the vendor requests and hands 2xx
// bodies to the IonQ normaliser.
#ifndef JOBFACADE_ADAPTERS_IONQ_IONQ_ADAPTER_H_
#define JOBFACADE_ADAPTERS_IONQ_IONQ_ADAPTER_H_

#include <string>

#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

class IonqAdapter final : public VendorAdapter {
 public:
  // Largest `limit` GET /jobs accepts.
  static constexpr int kMaxPageSize = 100;

  // `engine` must outlive the adapter; config.base_url is e.g.
  // https://api.ionq.co/v0.4 (without a trailing slash).
  IonqAdapter(http::HttpClient* engine, VendorConfig config);

  absl::string_view vendor() const override;
  void GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
              Callback<v1::Job> done) override;
  void ListJobs(const CallContext& ctx, const ListRequest& request,
                Callback<ListResult> done) override;
  void CancelJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) override;
  void DeleteJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) override;

 private:
  // A request with the common headers and `Authorization: apiKey <key>`.
  http::Request NewRequest(const CallContext& ctx, absl::string_view method, std::string url) const;
  std::string JobUrl(absl::string_view job_id) const;

  http::HttpClient* const engine_;
  const VendorConfig config_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_IONQ_IONQ_ADAPTER_H_

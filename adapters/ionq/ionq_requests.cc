// IonQ request builders and answer readers.
#include "adapters/ionq/ionq_requests.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/vendor_request.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/ionq/ionq_vendor.h"

namespace jobfacade {
namespace {

std::string JobUrl(const Endpoint& endpoint, absl::string_view job_id) {
  return absl::StrCat(endpoint.base_url, "/jobs/", PercentEncodePathSegment(job_id));
}

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(IonqVendor().spec().auth, endpoint.key, method, std::move(url));
}

constexpr absl::string_view kQasm3Type = "ionq.qasm3.v1";
constexpr absl::string_view kMultiCircuitType = "ionq.multi-circuit.v1";

// The widest bitstring a result is written with: beyond any IonQ system, and small enough that
// a wild stats.qubits or key cannot turn a result into gigabytes of zeros.
constexpr size_t kMaxResultQubits = 256;
// 2^256 - 1 has 78 decimal digits; a longer key is refused before any arithmetic on it.
constexpr size_t kMaxStateDigits = 78;
// A probability may exceed 1 by a rounding error (float32 precision is about 1.2e-7), never
// by more. The distribution's sum is not checked: the docs' own example sums to 1.02.
constexpr double kProbabilityTolerance = 1e-6;

absl::Status Unsupported(absl::string_view what) {
  ErrorDetails details;
  details.vendor = std::string(kIonqVendor);
  return MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                   absl::StrCat(kIonqVendor, ": ", what), details);
}

void Set(json::Struct& object, absl::string_view key, json::Value value) {
  (*object.mutable_fields())[std::string(key)] = std::move(value);
}

// The CircuitJobCreationPayload of an OpenQASM 3 program. The request id rides in metadata so
// that a submission whose answer was lost can be found in the listing.
json::Struct CreateBody(const CreateRequest& request) {
  const v1::JobSpec& spec = request.spec;
  json::Struct input;
  Set(input, "data", json::Str(spec.quantum_program().source()));
  json::Struct metadata;
  for (const auto& [key, value] : spec.tags()) Set(metadata, key, json::Str(value));
  Set(metadata, kRequestIdTag, json::Str(request.request_id));

  json::Struct body;
  Set(body, "type", json::Str(kQasm3Type));
  Set(body, "backend", json::Str(spec.device()));
  Set(body, "shots", json::Num(static_cast<double>(spec.shots())));
  Set(body, "input", json::Obj(std::move(input)));
  if (!spec.display_name().empty()) Set(body, "name", json::Str(spec.display_name()));
  Set(body, "metadata", json::Obj(std::move(metadata)));
  if (spec.vendor_options().fields_size() > 0) {
    Set(body, "settings", json::Obj(spec.vendor_options()));
  }
  return body;
}

// A multi-circuit job has one distribution per child, which one JobResult cannot hold.
bool IsMultiCircuit(const v1::Job& job) {
  if (job.job_type() == kMultiCircuitType) return true;
  const json::ListValue* children = json::GetList(job.vendor_payload(), "child_job_ids");
  return children != nullptr && children->values_size() > 0;
}

// The job's stats.qubits, or 0 when it does not say. A value beyond kMaxResultQubits is taken
// as not saying: the keys still tell the width, and a job's odd stats should not cost its result.
size_t StatsQubits(const v1::Job& job) {
  const json::Struct* stats = json::GetObject(job.vendor_payload(), "stats");
  if (stats == nullptr) return 0;
  const int64_t qubits = json::GetInt(*stats, "qubits").value_or(0);
  return qubits > 0 && static_cast<size_t>(qubits) <= kMaxResultQubits ? static_cast<size_t>(qubits)
                                                                       : 0;
}

// The binary digits of a decimal state key, most significant first and without leading zeros
// ("" for 0); nullopt when `key` is not a non-negative decimal integer of at most
// kMaxResultQubits bits. Long division, so that no integer type bounds the qubit count.
std::optional<std::string> StateBits(absl::string_view key) {
  if (key.empty() || key.size() > kMaxStateDigits ||
      !std::all_of(key.begin(), key.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  std::string decimal(key);  // halved in place until nothing but zeros is left
  std::string bits;          // least significant first
  for (size_t start = decimal.find_first_not_of('0'); start != std::string::npos;
       start = decimal.find_first_not_of('0', start)) {
    int carry = 0;
    for (size_t i = start; i < decimal.size(); ++i) {
      const int digit = carry * 10 + (decimal[i] - '0');
      decimal[i] = static_cast<char>('0' + digit / 2);
      carry = digit % 2;
    }
    bits.push_back(static_cast<char>('0' + carry));
  }
  if (bits.size() > kMaxResultQubits) return std::nullopt;
  std::reverse(bits.begin(), bits.end());
  return bits;
}

bool IsProbability(const json::Value& value) {
  if (value.kind_case() != json::Value::kNumberValue) return false;
  const double p = value.number_value();
  return std::isfinite(p) && p >= 0 && p <= 1 + kProbabilityTolerance;
}

// round(p * shots), never more than the shots (p may exceed 1 by a rounding error), computed in
// double so that no shot count can overflow it.
int64_t EstimatedCount(double p, int64_t shots) {
  const double count = std::round(p * static_cast<double>(shots));
  return count >= static_cast<double>(shots) ? shots : static_cast<int64_t>(count);
}

}  // namespace

absl::StatusOr<http::Request> IonqGetJobRequest(const Endpoint& endpoint,
                                                absl::string_view job_id) {
  return New(endpoint, "GET", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> IonqListJobsRequest(const Endpoint& endpoint,
                                                  const ListRequest& request) {
  std::string url = absl::StrCat(
      endpoint.base_url, "/jobs?limit=", VendorPageSize(request.page_size, kIonqMaxPageSize));
  if (!request.cursor.empty()) {
    absl::StrAppend(&url, "&next=", PercentEncodeQueryValue(request.cursor));
  }
  AppendQueryParams(request.filter, &url);
  return New(endpoint, "GET", std::move(url));
}

absl::StatusOr<http::Request> IonqCancelJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id) {
  return New(endpoint, "PUT", absl::StrCat(JobUrl(endpoint, job_id), "/status/cancel"));
}

absl::StatusOr<http::Request> IonqDeleteJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id) {
  return New(endpoint, "DELETE", JobUrl(endpoint, job_id));
}

absl::StatusOr<ListResult> ReadIonqJobList(const http::Response& response,
                                           const ListRequest& request) {
  absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(response.body, request.view);
  if (!list.ok()) return list.status();
  ListResult result;
  if (list->next != request.cursor) result.next_cursor = std::move(list->next);
  result.jobs = std::move(list->jobs);
  result.skipped = list->skipped;
  return result;
}

absl::StatusOr<http::Request> IonqCreateJobRequest(const Endpoint& endpoint,
                                                   const CreateRequest& request) {
  if (!request.spec.has_quantum_program() ||
      request.spec.quantum_program().format() != v1::QuantumProgram::FORMAT_OPENQASM3) {
    return Unsupported("only OpenQASM 3 programs are submitted (ionq.qasm3.v1); nothing was sent");
  }
  http::Request http_request = New(endpoint, "POST", absl::StrCat(endpoint.base_url, "/jobs"));
  http_request.headers.emplace_back("Content-Type", "application/json");
  http_request.body = json::ToJson(CreateBody(request));
  return http_request;
}

absl::StatusOr<v1::Job> ReadIonqCreatedJob(const http::Response& response) {
  return NormalizeIonqJob(response.body, v1::JOB_VIEW_BASIC);
}

absl::StatusOr<http::Request> IonqGetResultRequest(const Endpoint& endpoint, const v1::Job& job) {
  if (IsMultiCircuit(job)) {
    return Unsupported("results of multi-circuit jobs are not supported; nothing was sent");
  }
  return New(endpoint, "GET",
             absl::StrCat(JobUrl(endpoint, job.vendor_job_id()), "/results/probabilities"));
}

absl::StatusOr<v1::JobResult> ReadIonqResult(const http::Response& response, const v1::Job& job,
                                             v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct distribution, ParseVendorObject(kIonqVendor, response.body));
  // Every key's bits first: the widest key widens all bitstrings.
  std::vector<std::pair<std::string, double>> states;
  size_t width = std::max<size_t>(StatsQubits(job), 1);
  for (const auto& [key, value] : distribution.fields()) {
    std::optional<std::string> bits = StateBits(key);
    if (!bits.has_value()) {
      return BadVendorResponse(kIonqVendor, "a probability's key is not a decimal state");
    }
    if (!IsProbability(value)) {
      return BadVendorResponse(kIonqVendor, "a probability is not a number from 0 to 1");
    }
    width = std::max(width, bits->size());
    states.emplace_back(*std::move(bits), value.number_value());
  }

  v1::JobResult result;
  result.set_name(job.name());
  result.set_state(job.state());
  v1::QuantumResult& quantum = *result.mutable_quantum();
  const int64_t shots = job.shots();
  for (const auto& [bits, p] : states) {
    // Zero-padded to the width, the key's least significant bit (qubit 0) rightmost.
    std::string bitstring = absl::StrCat(std::string(width - bits.size(), '0'), bits);
    if (quantum.probabilities().count(bitstring) > 0) {
      return BadVendorResponse(kIonqVendor, "two probabilities name the same state");
    }
    (*quantum.mutable_probabilities())[bitstring] = p;
    // Like a measured histogram, the estimate lists only outcomes that occur.
    if (shots > 0) {
      if (const int64_t count = EstimatedCount(p, shots); count > 0) {
        (*quantum.mutable_counts())[bitstring] = count;
      }
    }
  }
  if (shots > 0) {
    quantum.set_shots(shots);
    quantum.set_counts_estimated(true);
  }
  if (view == v1::JOB_VIEW_FULL) *result.mutable_vendor_payload() = std::move(distribution);
  return result;
}

absl::StatusOr<http::Request> IonqGetResultCostRequest(const Endpoint& endpoint,
                                                       const v1::Job& job) {
  return New(endpoint, "GET", absl::StrCat(JobUrl(endpoint, job.vendor_job_id()), "/cost"));
}

std::optional<v1::Cost> ReadIonqResultCost(const http::Response& response) {
  absl::StatusOr<json::Struct> body = ParseVendorObject(kIonqVendor, response.body);
  if (!body.ok()) return std::nullopt;
  const json::Struct* cost = json::GetObject(*body, "cost");  // null until the job is billed
  if (cost == nullptr) return std::nullopt;
  const std::string unit = StringOr(*cost, "unit");
  if (unit.empty()) return std::nullopt;
  return GetCost(*cost, "value", LowerAscii(unit));
}

}  // namespace jobfacade

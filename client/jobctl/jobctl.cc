// jobctl: the command-line client of jobfacade.v1.JobService (API.md, "jobctl").
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "jobfacade/v1/job_service.grpc.pb.h"

namespace {

namespace v1 = ::jobfacade::v1;
using google::protobuf::util::TimeUtil;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 64;
constexpr int kExitJobUnsuccessful = 65;
constexpr char kDefaultServer[] = "127.0.0.1:50051";
constexpr auto kUnaryTimeout = std::chrono::seconds(30);
// Plain UNAVAILABLE during a watch: retried with backoff, this many times in a row at most.
constexpr int kWatchMaxUnavailableRetries = 5;
constexpr auto kWatchBackoffMin = std::chrono::milliseconds(200);
constexpr auto kWatchBackoffMax = std::chrono::seconds(2);
// SHUTTING_DOWN re-opens after a short pause, longer for each re-open in a row; bounded so
// that a fleet that keeps going away cannot keep jobctl forever.
constexpr int kWatchMaxReopens = 1000;
constexpr auto kWatchReopenPauseStep = std::chrono::milliseconds(50);
constexpr auto kWatchReopenPauseMax = std::chrono::seconds(1);
// How long a re-open waits for the channel to reach a serving replica.
constexpr auto kWatchReconnectTimeout = std::chrono::seconds(10);

constexpr char kMainHelp[] =
    "usage: jobctl [--server HOST:PORT] [--tls] [--ca FILE] [--token-file FILE] [--json]\n"
    "              COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  get NAME                 show one job\n"
    "  list PARENT              list jobs (vendors/{vendor} or vendors/-)\n"
    "  cancel NAME              ask the vendor to stop a job\n"
    "  delete NAME              delete a finished job\n"
    "  watch NAME               follow a job until it ends\n"
    "  submit PARENT ...        submit a job once (see 'jobctl submit --help')\n"
    "  result NAME              show the result of a completed job\n"
    "\n"
    "Global options:\n"
    "  --server HOST:PORT       server address (default $JOBFACADE_SERVER, else 127.0.0.1:50051)\n"
    "  --tls                    connect with TLS\n"
    "  --ca FILE                PEM roots to trust for TLS (implies --tls)\n"
    "  --token-file FILE        send 'authorization: Bearer <token>' read from FILE\n"
    "  --json                   one JSON object per job per line\n"
    "  --help                   this help; 'jobctl COMMAND --help' for a command\n"
    "\n"
    "Exit codes: 0 success, the gRPC code number on an RPC error, 64 usage error,\n"
    "65 watch ended FAILED or CANCELLED.\n";

struct GlobalOptions {
  std::string server;
  bool tls = false;
  std::string ca_file;
  std::string token_file;
  bool json = false;
};

// What a command needs: the options, a stub and per-call metadata.
class Client {
 public:
  Client(GlobalOptions options, std::shared_ptr<grpc::Channel> channel, std::string token)
      : options_(std::move(options)),
        channel_(std::move(channel)),
        stub_(v1::JobService::NewStub(channel_)),
        token_(std::move(token)) {}

  const GlobalOptions& options() const { return options_; }
  v1::JobService::Stub& stub() { return *stub_; }
  grpc::Channel& channel() { return *channel_; }

  // A context carrying the bearer token; unary calls get a deadline, watches do not.
  std::unique_ptr<grpc::ClientContext> NewContext(bool unary) const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token_.empty()) context->AddMetadata("authorization", "Bearer " + token_);
    if (unary) context->set_deadline(std::chrono::system_clock::now() + kUnaryTimeout);
    return context;
  }

 private:
  GlobalOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::JobService::Stub> stub_;
  std::string token_;
};

struct Command {
  const char* name;
  const char* help;
  int (*run)(Client& client, const std::vector<std::string>& args);
};

int UsageError(const std::string& message) {
  std::cerr << "jobctl: " << message << "\n"
            << "Try 'jobctl --help'.\n";
  return kExitUsage;
}

const char* CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[index];
}

// The ErrorInfo reason of the google.rpc.Status in the grpc-status-details-bin trailer.
std::string ErrorReason(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return "";
  }
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

int RpcError(const grpc::Status& status) {
  std::string line = absl::StrCat("jobctl: ", CodeName(status.error_code()));
  const std::string reason = ErrorReason(status);
  if (!reason.empty()) absl::StrAppend(&line, " ", reason);
  if (!status.error_message().empty()) absl::StrAppend(&line, ": ", status.error_message());
  std::cerr << line << "\n";
  return static_cast<int>(status.error_code());
}

bool IsHelp(const std::string& arg) { return arg == "--help" || arg == "-h"; }

int UnknownOption(const char* command, const std::string& arg) {
  for (const char* global : {"--server", "--tls", "--ca", "--token-file", "--json"}) {
    if (arg == global) {
      return UsageError(
          absl::StrCat(command, ": ", arg, " is a global option: put it before the command"));
    }
  }
  return UsageError(absl::StrCat(command, ": unknown option ", arg));
}

// Exactly one positional argument and no options: NAME for get, cancel, delete and watch.
std::optional<std::string> SingleName(const char* command, const std::vector<std::string>& args,
                                      int* exit_code) {
  std::vector<std::string> positional;
  for (const std::string& arg : args) {
    if (absl::StartsWith(arg, "-")) {
      *exit_code = UnknownOption(command, arg);
      return std::nullopt;
    }
    positional.push_back(arg);
  }
  if (positional.size() != 1) {
    *exit_code = UsageError(
        absl::StrCat(command, ": expected one NAME, got ", positional.size(), " arguments"));
    return std::nullopt;
  }
  return positional[0];
}

std::string StateName(v1::Job::State state) { return v1::Job::State_Name(state); }

std::string FormatTime(const google::protobuf::Timestamp& time) { return TimeUtil::ToString(time); }

std::string FormatCost(const v1::Cost& cost) {
  std::ostringstream out;
  out << cost.amount();
  if (!cost.unit().empty()) out << " " << cost.unit();
  return out.str();
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}";
  return json;
}

void PrintJobFields(const v1::Job& job) {
  std::vector<std::pair<std::string, std::string>> fields;
  auto add = [&fields](const char* key, const std::string& value) {
    if (!value.empty()) fields.emplace_back(key, value);
  };
  add("name", job.name());
  add("vendor", job.vendor());
  add("vendor_job_id", job.vendor_job_id());
  add("provider", job.provider());
  add("device", job.device());
  add("display_name", job.display_name());
  add("state", StateName(job.state()));
  add("vendor_state", job.vendor_state());
  add("state_message", job.state_message());
  add("failure_code", job.failure_code());
  add("job_type", job.job_type());
  if (job.shots() != 0) add("shots", absl::StrCat(job.shots()));
  if (job.has_create_time()) add("create_time", FormatTime(job.create_time()));
  if (job.has_start_time()) add("start_time", FormatTime(job.start_time()));
  if (job.has_end_time()) add("end_time", FormatTime(job.end_time()));
  if (job.has_execution_duration()) {
    add("execution_duration", TimeUtil::ToString(job.execution_duration()));
  }
  if (job.has_queue_position()) add("queue_position", absl::StrCat(job.queue_position()));
  if (job.has_cost()) add("cost", FormatCost(job.cost()));
  if (job.has_estimated_cost()) add("estimated_cost", FormatCost(job.estimated_cost()));
  if (!job.tags().empty()) {
    std::vector<std::string> tags;
    for (const auto& [key, value] : job.tags()) tags.push_back(absl::StrCat(key, "=", value));
    std::sort(tags.begin(), tags.end());
    add("tags", absl::StrJoin(tags, ", "));
  }
  add("batch_id", job.batch_id());
  size_t width = 0;
  for (const auto& field : fields) width = std::max(width, field.first.size() + 1);
  for (const auto& [key, value] : fields) {
    std::string label = key + ":";
    label.resize(width, ' ');
    std::cout << label << " " << value << "\n";
  }
}

void PrintJob(const Client& client, const v1::Job& job) {
  if (client.options().json) {
    std::cout << ToJson(job) << "\n";
  } else {
    PrintJobFields(job);
  }
}

// Rows (the first is the header) in columns two spaces apart.
void PrintRows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

void PrintTable(const std::vector<v1::Job>& jobs) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "STATE", "VENDOR JOB ID", "DEVICE", "CREATED"}};
  for (const v1::Job& job : jobs) {
    rows.push_back({job.name(), StateName(job.state()), job.vendor_job_id(),
                    job.device().empty() ? "-" : job.device(),
                    job.has_create_time() ? FormatTime(job.create_time()) : "-"});
  }
  PrintRows(rows);
}

constexpr char kGetHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] get NAME\n"
    "\n"
    "Shows the job NAME (vendors/{vendor}/jobs/{job}) as aligned 'field: value' lines,\n"
    "or one JSON object with --json.\n";

int RunGet(Client& client, const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  const auto name = SingleName("get", args, &exit_code);
  if (!name) return exit_code;
  v1::GetJobRequest request;
  request.set_name(*name);
  v1::Job job;
  const grpc::Status status = client.stub().GetJob(client.NewContext(true).get(), request, &job);
  if (!status.ok()) return RpcError(status);
  PrintJob(client, job);
  return kExitOk;
}

constexpr char kListHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] list PARENT [--filter F] [--page-size N] [--all]\n"
    "\n"
    "Lists the jobs of PARENT: vendors/{vendor}, or vendors/- for every vendor.\n"
    "  --filter F       an AIP-160 filter, e.g. 'state = RUNNING AND vendor = \"ionq\"'\n"
    "  --page-size N    jobs per page (server default 50, at most 200)\n"
    "  --all            fetch every page, not only the first\n";

int RunList(Client& client, const std::vector<std::string>& args) {
  v1::ListJobsRequest request;
  bool all = false;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--all") {
      all = true;
    } else if (arg == "--filter" || arg == "--page-size") {
      if (i + 1 >= args.size()) return UsageError(absl::StrCat("list: ", arg, " needs a value"));
      const std::string& value = args[++i];
      if (arg == "--filter") {
        request.set_filter(value);
      } else {
        int32_t page_size = 0;
        if (!absl::SimpleAtoi(value, &page_size)) {
          return UsageError(absl::StrCat("list: --page-size: not a number: ", value));
        }
        request.set_page_size(page_size);
      }
    } else if (absl::StartsWith(arg, "-")) {
      return UnknownOption("list", arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1) return UsageError("list: expected one PARENT");
  request.set_parent(positional[0]);

  std::vector<v1::Job> jobs;
  std::vector<std::string> unreachable;
  std::string next_page_token;
  do {
    v1::ListJobsResponse response;
    const grpc::Status status =
        client.stub().ListJobs(client.NewContext(true).get(), request, &response);
    if (!status.ok()) return RpcError(status);
    for (const v1::Job& job : response.jobs()) {
      if (client.options().json) {
        std::cout << ToJson(job) << "\n";
      } else {
        jobs.push_back(job);
      }
    }
    for (const std::string& parent : response.unreachable()) {
      if (std::find(unreachable.begin(), unreachable.end(), parent) == unreachable.end()) {
        unreachable.push_back(parent);
      }
    }
    next_page_token = response.next_page_token();
    request.set_page_token(next_page_token);
  } while (all && !next_page_token.empty());

  if (!client.options().json) PrintTable(jobs);
  std::cout.flush();
  if (!unreachable.empty()) {
    std::cerr << "jobctl: unreachable: " << absl::StrJoin(unreachable, ", ") << "\n";
  }
  if (!next_page_token.empty() && !client.options().json) {
    std::cerr << "jobctl: more jobs follow; --all lists every page\n";
  }
  return kExitOk;
}

constexpr char kCancelHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] cancel NAME\n"
    "\n"
    "Asks the vendor to stop the job NAME and shows the job as read after the cancel.\n"
    "A COMPLETED or FAILED job is refused (FAILED_PRECONDITION, exit 9).\n";

int RunCancel(Client& client, const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  const auto name = SingleName("cancel", args, &exit_code);
  if (!name) return exit_code;
  v1::CancelJobRequest request;
  request.set_name(*name);
  v1::Job job;
  const grpc::Status status = client.stub().CancelJob(client.NewContext(true).get(), request, &job);
  if (!status.ok()) return RpcError(status);
  PrintJob(client, job);
  return kExitOk;
}

constexpr char kDeleteHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] delete NAME\n"
    "\n"
    "Deletes the finished job NAME and its data at the vendor; prints nothing on success.\n"
    "A job that is not finished is refused (FAILED_PRECONDITION, exit 9): cancel it first.\n";

int RunDelete(Client& client, const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  const auto name = SingleName("delete", args, &exit_code);
  if (!name) return exit_code;
  v1::DeleteJobRequest request;
  request.set_name(*name);
  google::protobuf::Empty empty;
  const grpc::Status status =
      client.stub().DeleteJob(client.NewContext(true).get(), request, &empty);
  if (!status.ok()) return RpcError(status);
  return kExitOk;
}

constexpr char kWatchHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] watch NAME\n"
    "\n"
    "Follows the job NAME until it ends: one status line kept up to date on a terminal,\n"
    "one line per change otherwise (one JSON object per change with --json).\n"
    "Re-opens the watch by itself when the server shuts down or is briefly unavailable.\n"
    "Exits 0 when the job ends COMPLETED, 65 when it ends FAILED or CANCELLED.\n";

bool IsTerminal(v1::Job::State state) {
  return state == v1::Job::COMPLETED || state == v1::Job::FAILED || state == v1::Job::CANCELLED;
}

// What a watch reports as a change (API.md, WatchJob).
bool SameStatus(const v1::Job& a, const v1::Job& b) {
  return a.state() == b.state() && a.state_message() == b.state_message() &&
         a.has_queue_position() == b.has_queue_position() &&
         a.queue_position() == b.queue_position();
}

std::string StatusLine(const v1::Job& job) {
  std::string line = absl::StrCat(job.name(), "  ", StateName(job.state()));
  if (job.has_queue_position()) absl::StrAppend(&line, "  queue position ", job.queue_position());
  if (!job.state_message().empty()) absl::StrAppend(&line, "  ", job.state_message());
  return line;
}

int RunWatch(Client& client, const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  const auto name = SingleName("watch", args, &exit_code);
  if (!name) return exit_code;
  const bool live_line = !client.options().json && isatty(STDOUT_FILENO);
  v1::WatchJobRequest request;
  request.set_name(*name);

  std::optional<v1::Job> last;
  int reopens = 0;
  int reopens_in_a_row = 0;
  int unavailable_in_a_row = 0;
  auto backoff = std::chrono::milliseconds(kWatchBackoffMin);
  while (true) {
    auto context = client.NewContext(false);
    auto reader = client.stub().WatchJob(context.get(), request);
    v1::Job job;
    while (reader->Read(&job)) {
      unavailable_in_a_row = 0;
      reopens_in_a_row = 0;
      backoff = kWatchBackoffMin;
      if (last && SameStatus(*last, job)) continue;
      last = job;
      if (client.options().json) {
        std::cout << ToJson(job) << "\n";
      } else if (live_line) {
        std::cout << "\r\033[2K" << StatusLine(job);
      } else {
        std::cout << StatusLine(job) << "\n";
      }
      std::cout.flush();
    }
    const grpc::Status status = reader->Finish();
    if (status.ok() && last && IsTerminal(last->state())) break;
    const bool shutting_down = status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                               ErrorReason(status) == "SHUTTING_DOWN";
    if (shutting_down && ++reopens <= kWatchMaxReopens) {
      ++reopens_in_a_row;
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          kWatchReopenPauseStep * reopens_in_a_row, kWatchReopenPauseMax));
      // The replica that went away stays in the channel's address list for a while; waiting
      // for a connection lets the channel move on to one that serves instead of failing fast.
      client.channel().WaitForConnected(std::chrono::system_clock::now() + kWatchReconnectTimeout);
      continue;
    }
    // Plain UNAVAILABLE, or a stream that ended without a terminal state: retry, bounded.
    if ((status.ok() || status.error_code() == grpc::StatusCode::UNAVAILABLE) &&
        ++unavailable_in_a_row <= kWatchMaxUnavailableRetries) {
      std::this_thread::sleep_for(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kWatchBackoffMax);
      client.channel().WaitForConnected(std::chrono::system_clock::now() + backoff);
      continue;
    }
    if (live_line && last) std::cout << "\n" << std::flush;
    if (status.ok()) {
      std::cerr << "jobctl: the watch ended before the job did\n";
      return static_cast<int>(grpc::StatusCode::UNAVAILABLE);
    }
    return RpcError(status);
  }
  if (live_line) std::cout << "\n" << std::flush;
  return last->state() == v1::Job::COMPLETED ? kExitOk : kExitJobUnsuccessful;
}

constexpr char kSubmitHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] submit PARENT (--qasm3 FILE | --qasm2 FILE | --prompt TEXT)\n"
    "              [--device D] [--shots N] [--name N] [--tag K=V]... [--request-id ID]\n"
    "\n"
    "Submits a job to PARENT (vendors/{vendor}) at most once: the request id (a fresh UUID\n"
    "when not given) is printed first, on stderr, so that the same call can be repeated\n"
    "safely with --request-id after a failure. Shows the created job.\n"
    "  --qasm3 FILE     an OpenQASM 3 program (qBraid, IonQ)\n"
    "  --qasm2 FILE     an OpenQASM 2 program (qBraid)\n"
    "  --prompt TEXT    an agent run (PraisonAI)\n"
    "  --device D       qBraid device QRN, IonQ backend (simulator, qpu.aria-1)\n"
    "  --shots N        1 to 1000000 (quantum vendors)\n"
    "  --name N         the job's display name\n"
    "  --tag K=V        a tag (qBraid, IonQ); repeat for more\n"
    "  --request-id ID  the request's UUID, to repeat an earlier submit\n";

// A fresh version 4 UUID from /dev/urandom.
std::string NewUuid() {
  unsigned char bytes[16] = {};
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(reinterpret_cast<char*>(bytes), sizeof(bytes));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

bool ReadFile(const std::string& path, std::string* contents);

int RunSubmit(Client& client, const std::vector<std::string>& args) {
  v1::CreateJobRequest request;
  v1::JobSpec& spec = *request.mutable_job();
  std::vector<std::string> positional;
  int programs = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    if (i + 1 >= args.size()) return UsageError(absl::StrCat("submit: ", arg, " needs a value"));
    const std::string& value = args[++i];
    if (arg == "--qasm3" || arg == "--qasm2") {
      std::string source;
      if (!ReadFile(value, &source)) return UsageError(absl::StrCat("submit: cannot read ", value));
      spec.mutable_quantum_program()->set_format(arg == "--qasm3"
                                                     ? v1::QuantumProgram::FORMAT_OPENQASM3
                                                     : v1::QuantumProgram::FORMAT_OPENQASM2);
      spec.mutable_quantum_program()->set_source(source);
      ++programs;
    } else if (arg == "--prompt") {
      spec.mutable_agent_run()->set_prompt(value);
      ++programs;
    } else if (arg == "--device") {
      spec.set_device(value);
    } else if (arg == "--shots") {
      int64_t shots = 0;
      if (!absl::SimpleAtoi(value, &shots)) {
        return UsageError(absl::StrCat("submit: --shots: not a number: ", value));
      }
      spec.set_shots(shots);
    } else if (arg == "--name") {
      spec.set_display_name(value);
    } else if (arg == "--tag") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        return UsageError(absl::StrCat("submit: --tag wants KEY=VALUE, not ", value));
      }
      (*spec.mutable_tags())[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (arg == "--request-id") {
      request.set_request_id(value);
    } else {
      return UnknownOption("submit", arg);
    }
  }
  if (positional.size() != 1) return UsageError("submit: expected one PARENT");
  if (programs != 1) return UsageError("submit: give exactly one of --qasm3, --qasm2, --prompt");
  request.set_parent(positional[0]);
  if (request.request_id().empty()) request.set_request_id(NewUuid());
  std::cerr << "request id: " << request.request_id() << "\n";
  v1::Job job;
  const grpc::Status status = client.stub().CreateJob(client.NewContext(true).get(), request, &job);
  if (!status.ok()) {
    std::cerr << "jobctl: repeat with --request-id " << request.request_id()
              << " to retry without a second submission\n";
    return RpcError(status);
  }
  PrintJob(client, job);
  return kExitOk;
}

constexpr char kResultHelp[] =
    "usage: jobctl [GLOBAL OPTIONS] result NAME\n"
    "\n"
    "Shows the result of the COMPLETED job NAME: counts by bitstring (and probabilities) for\n"
    "a circuit, the text of an agent run; one JSON object with --json. A job that has not\n"
    "finished, or ended FAILED or CANCELLED, is refused (FAILED_PRECONDITION, exit 9).\n";

int RunResult(Client& client, const std::vector<std::string>& args) {
  int exit_code = kExitOk;
  const auto name = SingleName("result", args, &exit_code);
  if (!name) return exit_code;
  v1::GetJobResultRequest request;
  request.set_name(*name);
  v1::JobResult result;
  const grpc::Status status =
      client.stub().GetJobResult(client.NewContext(true).get(), request, &result);
  if (!status.ok()) return RpcError(status);
  if (client.options().json) {
    std::cout << ToJson(result) << "\n";
    return kExitOk;
  }
  std::cout << "name:   " << result.name() << "\nstate:  " << StateName(result.state()) << "\n";
  if (result.has_cost()) std::cout << "cost:   " << FormatCost(result.cost()) << "\n";
  if (result.has_agent()) std::cout << result.agent().text() << "\n";
  if (result.has_quantum()) {
    const v1::QuantumResult& q = result.quantum();
    std::cout << "shots:  " << q.shots() << (q.counts_estimated() ? " (counts estimated)" : "")
              << "\n";
    std::vector<std::pair<std::string, int64_t>> counts(q.counts().begin(), q.counts().end());
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    std::vector<std::vector<std::string>> rows = {{"OUTCOME", "COUNT", "PROBABILITY"}};
    for (const auto& [outcome, count] : counts) {
      auto p = q.probabilities().find(outcome);
      rows.push_back({outcome, absl::StrCat(count),
                      p == q.probabilities().end() ? "-" : absl::StrCat(p->second)});
    }
    PrintRows(rows);
  }
  return kExitOk;
}

const Command kCommands[] = {
    {"get", kGetHelp, RunGet},          {"list", kListHelp, RunList},
    {"cancel", kCancelHelp, RunCancel}, {"delete", kDeleteHelp, RunDelete},
    {"watch", kWatchHelp, RunWatch},    {"submit", kSubmitHelp, RunSubmit},
    {"result", kResultHelp, RunResult},
};

const Command* FindCommand(const std::string& name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

bool ReadFile(const std::string& path, std::string* contents) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream out;
  out << in.rdbuf();
  *contents = out.str();
  return !in.bad();
}

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& options, std::string* error) {
  if (!options.tls) {
    return grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions ssl;
  if (!options.ca_file.empty() && !ReadFile(options.ca_file, &ssl.pem_root_certs)) {
    *error = "cannot read --ca " + options.ca_file;
    return nullptr;
  }
  return grpc::CreateChannel(options.server, grpc::SslCredentials(ssl));
}

}  // namespace

int main(int argc, char** argv) {
  GlobalOptions options;
  const char* env_server = std::getenv("JOBFACADE_SERVER");
  options.server = env_server != nullptr && *env_server != '\0' ? env_server : kDefaultServer;

  // Global options come before the command; everything after it belongs to the command.
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (IsHelp(arg)) {
      std::cout << kMainHelp;
      return kExitOk;
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--server" || arg == "--ca" || arg == "--token-file") {
      if (i + 1 >= argc) return UsageError(arg + " needs a value");
      std::string value = argv[++i];
      if (arg == "--server") {
        options.server = value;
      } else if (arg == "--ca") {
        options.ca_file = value;
        options.tls = true;
      } else {
        options.token_file = value;
      }
    } else if (absl::StartsWith(arg, "-")) {
      return UsageError("unknown option " + arg);
    } else {
      break;
    }
  }
  if (i >= argc) return UsageError("no command");
  const Command* command = FindCommand(argv[i]);
  if (command == nullptr) return UsageError(absl::StrCat("unknown command ", argv[i]));
  std::vector<std::string> args(argv + i + 1, argv + argc);
  if (std::any_of(args.begin(), args.end(), IsHelp)) {
    std::cout << command->help;
    return kExitOk;
  }

  std::string token;
  if (!options.token_file.empty()) {
    if (!ReadFile(options.token_file, &token)) {
      return UsageError("cannot read --token-file " + options.token_file);
    }
    token = std::string(absl::StripTrailingAsciiWhitespace(token));
  }
  std::string error;
  auto channel = MakeChannel(options, &error);
  if (channel == nullptr) return UsageError(error);
  Client client(options, std::move(channel), std::move(token));
  return command->run(client, args);
}

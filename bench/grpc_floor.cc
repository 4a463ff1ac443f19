// gRPC's own floor for the GetJob benchmark: a server of the same JobService whose GetJob
// answers at once with a small fixed job, no vendor, no cache, no checks. Measured beside
// jobfacade, it separates what a GetJob costs in gRPC on this machine from what jobfacade adds.
//
//   grpc_floor --api callback   the callback API (what jobfacade uses)
//   grpc_floor --api cq         the completion-queue API, one polling thread per core
//
// Prints "grpc_floor listening on HOST:PORT" once serving, then serves until killed.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "jobfacade/v1/job_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "where to listen");
ABSL_FLAG(std::string, api, "callback", "callback or cq");
ABSL_FLAG(bool, minimal_stack, false, "gRPC's minimal filter stack (GRPC_ARG_MINIMAL_STACK)");

namespace {

using jobfacade::v1::GetJobRequest;
using jobfacade::v1::Job;
using jobfacade::v1::JobService;

void Answer(const GetJobRequest& request, Job* job) {
  job->set_name(request.name());
  job->set_vendor("ionq");
  job->set_state(Job::RUNNING);
}

class CallbackFloor final : public JobService::CallbackService {
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const GetJobRequest* request, Job* job) override {
    Answer(*request, job);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// One GetJob on the completion-queue API: requested, answered, freed.
class CqCall {
 public:
  CqCall(JobService::AsyncService* service, grpc::ServerCompletionQueue* cq)
      : service_(service), cq_(cq), responder_(&context_) {
    service_->RequestGetJob(&context_, &request_, &responder_, cq_, cq_, this);
  }

  void Proceed() {
    if (answered_) {
      delete this;
      return;
    }
    new CqCall(service_, cq_);  // the next call
    Job job;
    Answer(request_, &job);
    answered_ = true;
    responder_.Finish(job, grpc::Status::OK, this);
  }

 private:
  JobService::AsyncService* service_;
  grpc::ServerCompletionQueue* cq_;
  grpc::ServerContext context_;
  GetJobRequest request_;
  grpc::ServerAsyncResponseWriter<Job> responder_;
  bool answered_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const bool cq = absl::GetFlag(FLAGS_api) == "cq";
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  if (absl::GetFlag(FLAGS_minimal_stack)) builder.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1);
  CallbackFloor callback_service;
  JobService::AsyncService async_service;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (cq) {
    builder.RegisterService(&async_service);
    for (unsigned i = 0; i < threads; ++i) queues.push_back(builder.AddCompletionQueue());
  } else {
    builder.RegisterService(&callback_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "grpc_floor: cannot listen on %s\n", absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::printf("grpc_floor listening on %s:%d\n", listen.substr(0, listen.rfind(':')).c_str(), port);
  std::fflush(stdout);
  if (!cq) {
    server->Wait();
    return 0;
  }
  std::vector<std::thread> pollers;
  for (auto& queue : queues) {
    pollers.emplace_back([&async_service, queue = queue.get()] {
      new CqCall(&async_service, queue);
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) {
        if (ok) static_cast<CqCall*>(tag)->Proceed();
      }
    });
  }
  server->Wait();
  for (auto& poller : pollers) poller.join();
  return 0;
}

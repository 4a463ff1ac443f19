// FileReloader: one thread that reads a handful of small files every few seconds.
#include "service/file_reloader.h"

#include <utility>

#include "absl/strings/str_join.h"
#include "service/config.h"
#include "service/log.h"

namespace jobfacade {

FileReloader::FileReloader() : state_(std::make_shared<State>()) {}

FileReloader::~FileReloader() {
  absl::MutexLock lock(&state_->mu);
  // A poll running now holds the lock: it has finished once this line runs. One that has not
  // started finds `stopped`, or is cancelled here.
  state_->stopped = true;
  if (state_->scheduler != nullptr && state_->next != 0) state_->scheduler->Cancel(state_->next);
}

void FileReloader::Watch(std::vector<File> files, Apply apply) {
  Group group{std::move(files), std::move(apply), {}, {}};
  Refresh(group, /*log_change=*/false);
  absl::MutexLock lock(&state_->mu);
  state_->groups.push_back(std::move(group));
}

void FileReloader::Poll() {
  absl::MutexLock lock(&state_->mu);
  for (Group& group : state_->groups) Refresh(group, /*log_change=*/true);
}

void FileReloader::Start(Scheduler* scheduler, absl::Duration interval) {
  absl::MutexLock lock(&state_->mu);
  if (state_->groups.empty()) return;
  state_->scheduler = scheduler;
  state_->next = scheduler->RunAt(scheduler->Now() + interval, [state = state_, interval] {
    PollAndReschedule(state, interval);
  });
}

void FileReloader::PollAndReschedule(const std::shared_ptr<State>& state, absl::Duration interval) {
  absl::MutexLock lock(&state->mu);
  if (state->stopped) return;
  for (Group& group : state->groups) Refresh(group, /*log_change=*/true);
  state->next = state->scheduler->RunAt(state->scheduler->Now() + interval,
                                        [state, interval] { PollAndReschedule(state, interval); });
}

void FileReloader::Refresh(Group& group, bool log_change) {
  std::vector<std::string> contents;
  absl::Status status;
  for (const File& file : group.files) {
    auto content = ReadSettingFile(file.setting, file.path);
    if (!content.ok()) {
      status = content.status();
      break;
    }
    contents.push_back(*std::move(content));
  }
  if (status.ok() && contents == group.applied) {
    if (!group.failure.empty()) {
      LogLine(LogLevel::kInfo, "setting file readable again")
          .Str("setting", group.files.front().setting);
      group.failure.clear();
    }
    return;
  }
  if (status.ok()) status = group.apply(contents);
  std::vector<std::string> settings;
  for (const File& file : group.files) settings.push_back(file.setting);
  if (!status.ok()) {
    // The message names the setting and the path, never the content.
    std::string failure(status.message());
    if (failure != group.failure) {
      LogLine(LogLevel::kWarn, "setting file not applied; the last good value stays in use")
          .Str("setting", absl::StrJoin(settings, ","))
          .Str("error", failure);
      group.failure = std::move(failure);
    }
    return;
  }
  group.applied = std::move(contents);
  group.failure.clear();
  if (log_change) {
    LogLine(LogLevel::kInfo, "setting file reloaded").Str("setting", absl::StrJoin(settings, ","));
  }
}

}  // namespace jobfacade

// Default options of the sanitizer runtimes in JOBFACADE_SANITIZE builds. They are compiled into
// every executable because the tests start the server and the emulator with an environment of
// their own: each process then stops at its first report and writes it to the build's report
// folder, which tests/run_all.sh checks. ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS and
// TSAN_OPTIONS given to a process are applied after these.

#ifndef JOBFACADE_SANITIZER_REPORT_DIR
#error "JOBFACADE_SANITIZER_REPORT_DIR must name the folder reports are written to"
#endif
#ifndef JOBFACADE_SANITIZER_SOURCE_DIR
#error "JOBFACADE_SANITIZER_SOURCE_DIR must name tests/sanitizers"
#endif

#define JF_SANITIZER_EXPORT extern "C" __attribute__((visibility("default"), used))

JF_SANITIZER_EXPORT const char* __asan_default_options() {
  return "halt_on_error=1:detect_leaks=1:check_initialization_order=1:"
         "log_path=" JOBFACADE_SANITIZER_REPORT_DIR "/asan";
}

JF_SANITIZER_EXPORT const char* __lsan_default_options() {
  return "suppressions=" JOBFACADE_SANITIZER_SOURCE_DIR "/lsan.supp";
}

JF_SANITIZER_EXPORT const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:log_path=" JOBFACADE_SANITIZER_REPORT_DIR "/ubsan";
}

JF_SANITIZER_EXPORT const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:"
         "suppressions=" JOBFACADE_SANITIZER_SOURCE_DIR
         "/tsan.supp:"
         "log_path=" JOBFACADE_SANITIZER_REPORT_DIR "/tsan";
}

// The process's own CPU time, for the benchmark's load drivers.
#ifndef JOBFACADE_BENCH_CPU_TIME_H_
#define JOBFACADE_BENCH_CPU_TIME_H_

#include <sys/resource.h>

namespace jobfacade::bench {

// User plus system CPU seconds this process has used so far.
inline double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace jobfacade::bench

#endif  // JOBFACADE_BENCH_CPU_TIME_H_

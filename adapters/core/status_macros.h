// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status code paths (Debian's Abseil lacks them).
#ifndef JOBFACADE_ADAPTERS_CORE_STATUS_MACROS_H_
#define JOBFACADE_ADAPTERS_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define JF_STATUS_CONCAT_INNER_(a, b) a##b
#define JF_STATUS_CONCAT_(a, b) JF_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function when it is not OK.
#define JF_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status jf_status_ = (expr);      \
    if (!jf_status_.ok()) return jf_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs` (which may be a declaration such as `auto x`).
#define JF_ASSIGN_OR_RETURN(lhs, rexpr) \
  JF_ASSIGN_OR_RETURN_IMPL_(JF_STATUS_CONCAT_(jf_statusor_, __LINE__), lhs, rexpr)

#define JF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)    \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // JOBFACADE_ADAPTERS_CORE_STATUS_MACROS_H_

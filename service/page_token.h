// Opaque, URL-safe, HMAC-SHA256-protected ListJobs page tokens bound to their arguments.
#ifndef JOBFACADE_SERVICE_PAGE_TOKEN_H_
#define JOBFACADE_SERVICE_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/reloadable.h"

namespace jobfacade {

// The arguments a token is bound to: reusing it with other ones is INVALID_PAGE_TOKEN.
struct ListBinding {
  std::string parent;
  std::string filter;
  int view = 0;
};

// Where one vendor's stream stands.
struct VendorPosition {
  std::string vendor;
  std::string cursor;        // the adapter's cursor of the vendor page to read next
  int64_t skip = 0;          // jobs of that vendor page already served
  bool done = false;         // the vendor's stream is exhausted
  int vendor_page_size = 0;  // the page size vendor pages are read with (0: not yet chosen)
};

struct PageTokenState {
  ListBinding binding;
  std::vector<VendorPosition> positions;
};

class PageTokenCodec {
 public:
  // `key` signs and checks tokens; replicas that share it accept each other's tokens.
  // `previous` (empty: none), a retired key, is still accepted for decoding during a key
  // rotation; tokens are always signed with `key`.
  explicit PageTokenCodec(std::string key, std::string previous = "");

  // Replaces both keys at once (a rotation read from the key files): tokens encoded from now on
  // are signed with `key`; a list call in flight finishes with the keys it started with.
  void SetKeys(std::string key, std::string previous) const;

  std::string Encode(const PageTokenState& state) const;

  // Checks integrity and binding. Every failure is INVALID_ARGUMENT / INVALID_PAGE_TOKEN with
  // a BadRequest on "page_token".
  absl::StatusOr<PageTokenState> Decode(absl::string_view token, const ListBinding& expected) const;

 private:
  struct Keys {
    std::string key;
    std::string previous;
  };
  Reloadable<Keys> keys_;
};

// 32 random bytes from the OS, for a per-process key.
absl::StatusOr<std::string> RandomPageTokenKey();

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_PAGE_TOKEN_H_

// Page token layout: base64url( version byte | JSON state | HMAC-SHA256(key, version|JSON) ).
#include "service/page_token.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/json.h"

namespace jobfacade {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 32;
// Tokens longer than this are rejected before any decoding work.
constexpr size_t kMaxTokenBytes = 8192;

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

absl::Status BadToken(absl::string_view why) {
  return InvalidArgument(reason::kInvalidPageToken, "page_token",
                         absl::StrCat("invalid page_token: ", why));
}

}  // namespace

PageTokenCodec::PageTokenCodec(std::string key, std::string previous)
    : keys_(Keys{std::move(key), std::move(previous)}) {}

void PageTokenCodec::SetKeys(std::string key, std::string previous) const {
  keys_.Set(Keys{std::move(key), std::move(previous)});
}

std::string PageTokenCodec::Encode(const PageTokenState& state) const {
  json::Struct root;
  auto& f = *root.mutable_fields();
  f["p"] = json::Str(state.binding.parent);
  f["f"] = json::Str(state.binding.filter);
  f["v"] = json::Num(state.binding.view);
  auto* positions = f["s"].mutable_list_value();
  for (const VendorPosition& p : state.positions) {
    json::Struct s;
    (*s.mutable_fields())["n"] = json::Str(p.vendor);
    (*s.mutable_fields())["c"] = json::Str(p.cursor);
    (*s.mutable_fields())["k"] = json::Num(static_cast<double>(p.skip));
    (*s.mutable_fields())["d"] = json::Bool(p.done);
    (*s.mutable_fields())["z"] = json::Num(p.vendor_page_size);
    *positions->add_values() = json::Obj(std::move(s));
  }
  std::string body = absl::StrCat(absl::string_view(&kVersion, 1), json::ToJson(root));
  return absl::WebSafeBase64Escape(absl::StrCat(body, Hmac(keys_.Get()->key, body)));
}

absl::StatusOr<PageTokenState> PageTokenCodec::Decode(absl::string_view token,
                                                      const ListBinding& expected) const {
  if (token.size() > kMaxTokenBytes) return BadToken("too long");
  std::string raw;
  // Only the canonical encoding is accepted: base64 leaves spare bits in the last character,
  // and a token that differs in them must not pass as the same token.
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 1 + kMacBytes ||
      absl::WebSafeBase64Escape(raw) != token) {
    return BadToken("not a token issued by this service");
  }
  absl::string_view body = absl::string_view(raw).substr(0, raw.size() - kMacBytes);
  auto signed_with = [&](const std::string& key) {
    const std::string mac = Hmac(key, body);
    return CRYPTO_memcmp(mac.data(), raw.data() + body.size(), kMacBytes) == 0;
  };
  const std::shared_ptr<const Keys> keys = keys_.Get();
  if (!signed_with(keys->key) && (keys->previous.empty() || !signed_with(keys->previous))) {
    return BadToken("not a token issued by this service, or altered");
  }
  if (body[0] != kVersion) return BadToken("unsupported version");
  auto root = json::ParseObject(body.substr(1));
  if (!root.ok()) return BadToken("malformed");
  PageTokenState state;
  state.binding.parent = json::GetString(*root, "p").value_or("");
  state.binding.filter = json::GetString(*root, "f").value_or("");
  state.binding.view = static_cast<int>(json::GetInt(*root, "v").value_or(-1));
  if (state.binding.parent != expected.parent || state.binding.filter != expected.filter ||
      state.binding.view != expected.view) {
    return BadToken("it was issued for other parent, filter or view arguments");
  }
  if (const json::ListValue* list = json::GetList(*root, "s"); list != nullptr) {
    for (const json::Value& v : list->values()) {
      if (v.kind_case() != json::Value::kStructValue) return BadToken("malformed");
      const json::Struct& s = v.struct_value();
      VendorPosition p;
      p.vendor = json::GetString(s, "n").value_or("");
      p.cursor = json::GetString(s, "c").value_or("");
      p.skip = json::GetInt(s, "k").value_or(-1);
      p.done = json::GetBool(s, "d").value_or(false);
      p.vendor_page_size = static_cast<int>(json::GetInt(s, "z").value_or(-1));
      if (p.vendor.empty() || p.skip < 0 || p.vendor_page_size < 0 || p.vendor_page_size > 200) {
        return BadToken("malformed");
      }
      state.positions.push_back(std::move(p));
    }
  }
  return state;
}

absl::StatusOr<std::string> RandomPageTokenKey() {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) {
    return absl::InternalError("cannot read random bytes for the page-token key");
  }
  return std::string(reinterpret_cast<const char*>(key), sizeof(key));
}

}  // namespace jobfacade

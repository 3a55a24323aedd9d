#include "http/encoding.hpp"

#include <zlib.h>

#include <cctype>
#include <cstdlib>
#include <optional>
#include <stdexcept>

namespace ypa::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// The weight of one `coding;q=0.5` element: its q parameter, 1 without one. A malformed q makes the
// element count for nothing (0), like an element the client did not send.
double weight(std::string_view params) {
  while (!params.empty()) {
    auto semicolon = params.find(';');
    std::string_view param = trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? std::string_view{} : params.substr(semicolon + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' || param[1] != '=')
      continue;
    std::string value(trim(param.substr(2)));
    char* end = nullptr;
    double q = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(q >= 0 && q <= 1)) return 0;
    return q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<double> gzip_q, any_q;
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    std::string_view element = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    auto semicolon = element.find(';');
    std::string_view coding = trim(element.substr(0, semicolon));
    double q = semicolon == std::string_view::npos ? 1.0 : weight(element.substr(semicolon + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      gzip_q = q;
    } else if (coding == "*") {
      any_q = q;
    }
  }
  if (gzip_q) return *gzip_q > 0;
  return any_q && *any_q > 0;
}

std::string gzip(std::string_view data, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

const std::string& SharedBody::gzipped() const {
  std::call_once(once_, [this] {
    if (plain_.size() < kMinGzipBytes) return;
    std::string packed = gzip(plain_, kGzipLevelShared);
    if (packed.size() < plain_.size()) gzipped_ = std::move(packed);
  });
  return gzipped_;
}

EncodedBody encode_body(const std::shared_ptr<const SharedBody>& shared, std::string own, bool gzip_ok) {
  if (shared) {
    const std::string* chosen = &shared->plain();
    if (gzip_ok && !shared->gzipped().empty()) chosen = &shared->gzipped();
    return {std::shared_ptr<const std::string>(shared, chosen), chosen != &shared->plain()};
  }
  bool packed = false;
  if (gzip_ok && own.size() >= kMinGzipBytes) {
    std::string smaller = gzip(own, kGzipLevelOnce);
    if (smaller.size() < own.size()) {
      own = std::move(smaller);
      packed = true;
    }
  }
  return {std::make_shared<const std::string>(std::move(own)), packed};
}

}  // namespace ypa::http

// The HTTP layer without servers: query strings and links as DRF writes them, django-filter parsing,
// and simplejwt token checks.
#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/time.hpp"
#include "http/form.hpp"
#include "http/jwt.hpp"
#include "http/query_string.hpp"
#include "http/settings.hpp"
#include "wire/transport.hpp"

namespace ypa::http {
namespace {

TEST(QueryStringTest, ParsesLikeDjangoAndEncodesLikeUrlencode) {
  auto q = QueryParams::parse("b=2&a=x+y&&flag&a=%E6%9D%B1&bad=%zz");
  EXPECT_EQ(q.get("a").value(), "東");  // the last value wins
  EXPECT_EQ(q.get("flag").value(), "");
  EXPECT_EQ(q.get("bad").value(), "%zz");
  EXPECT_FALSE(q.get("missing"));
  q.set("limit", "5");
  EXPECT_EQ(q.encode_sorted(), "a=x+y&a=%E6%9D%B1&b=2&bad=%25zz&flag=&limit=5");
  EXPECT_EQ(quote_plus("iphone:3,4 ~"), "iphone%3A3%2C4+~");
  EXPECT_EQ(repair_utf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
}

TEST(PaginationTest, LinksFollowLimitOffsetPagination) {
  auto q = QueryParams::parse("iphone=3&offset=5&limit=2");
  PageRequest page = page_param(q);
  EXPECT_EQ(page.limit, 2u);
  EXPECT_EQ(page.offset, 5u);
  EXPECT_EQ(next_link("http://h/api/x/", q, page, 10).value(), "http://h/api/x/?iphone=3&limit=2&offset=7");
  EXPECT_EQ(previous_link("http://h/api/x/", q, page).value(), "http://h/api/x/?iphone=3&limit=2&offset=3");
  EXPECT_FALSE(next_link("http://h/api/x/", q, page, 7));
  PageRequest second{2, 2};
  EXPECT_EQ(previous_link("http://h/api/x/", q, second).value(), "http://h/api/x/?iphone=3&limit=2");
  EXPECT_EQ(page_param(QueryParams::parse("limit=0&offset=-1")).limit, kDefaultLimit);
  EXPECT_EQ(page_param(QueryParams::parse("limit=20000")).limit, kMaxLimit);
  EXPECT_EQ(page_param(QueryParams::parse("limit=%201_0%20&offset=%2B5")).limit, 10u);
  EXPECT_FALSE(python_int("1__0"));
  EXPECT_FALSE(python_int("5.0"));
}

TEST(FormTest, NumbersDatesChoicesAndRunIds) {
  EXPECT_EQ(parse_decimal("3.0")->id.value(), 3u);
  EXPECT_EQ(parse_decimal("1e1")->id.value(), 10u);
  EXPECT_EQ(parse_decimal("_1_0")->id.value(), 10u);
  EXPECT_FALSE(parse_decimal("3.5")->id);
  EXPECT_FALSE(parse_decimal("99999999999")->id);
  EXPECT_FALSE(parse_decimal("NaN"));
  EXPECT_FALSE(parse_decimal("abc"));
  TimeZone tokyo("Asia/Tokyo");
  EXPECT_EQ(parse_datetime("2025-04-01", tokyo)->seconds, 1743433200);
  EXPECT_EQ(parse_datetime("2025-04-01T00:00", tokyo)->seconds, 1743433200);
  EXPECT_EQ(parse_datetime("2025-03-31T15:00:00Z", tokyo)->seconds, 1743433200);
  EXPECT_EQ(parse_datetime("2025-03-31T16:00:00.5+01:00", tokyo)->microseconds, 500000);
  EXPECT_FALSE(parse_datetime("2025-02-30", tokyo));
  EXPECT_FALSE(parse_datetime("2025-04-01T24:00", tokyo));
  EXPECT_FALSE(parse_datetime("yesterday", tokyo));

  FormErrors e;
  auto q = QueryParams::parse("iphone=x&run_id=a-b&name=nope&bucket__gte=bad");
  EXPECT_FALSE(number_filter(q, "iphone", e));
  EXPECT_EQ(run_id_param(q, e), "live");
  EXPECT_FALSE(choice_filter(q, "name", {"ema_120"}, e));
  bucket_bounds(q, "bucket__gte", "bucket__lte", tokyo, e);
  EXPECT_EQ(e.to_json().dump(),
            R"({"iphone":["Enter a number."],"run_id":["Enter a valid run id: 1 to 64 letters, digits or )"
            R"(underscores."],"name":["Select a valid choice. nope is not one of the available choices."],)"
            R"("bucket__gte":["Enter a valid date/time."]})");
  auto order = ordering_param(QueryParams::parse("ordering=-mean,unknown,bucket"), {"bucket", "mean"}, {});
  ASSERT_EQ(order.size(), 2u);
  EXPECT_TRUE(order[0].descending);
  EXPECT_EQ(order[1].field, "bucket");
}

TEST(JwtTest, AcceptsAccessTokensAndRefusesTheRest) {
  const EpochSeconds now = 1'800'000'000;
  nlohmann::ordered_json payload{{"token_type", "access"}, {"exp", now + 60}, {"iat", now}, {"jti", "j"},
                                 {"user_id", 42}};
  auto ok = authenticate_bearer("Bearer " + sign_hs256(payload, "k"), "k", now);
  EXPECT_EQ(ok.kind, AuthOutcome::Kind::kAuthenticated);
  EXPECT_EQ(ok.user_id, "42");
  auto message = [&](const nlohmann::ordered_json& p, const std::string& key) {
    auto o = authenticate_bearer("Bearer " + sign_hs256(p, key), "k", now);
    EXPECT_EQ(o.kind, AuthOutcome::Kind::kRejected);
    return o.body.contains("messages") ? o.body["messages"][0]["message"].get<std::string>()
                                       : o.body["detail"].get<std::string>();
  };
  auto with = [&](const char* k, nlohmann::ordered_json v) {
    auto p = payload;
    p[k] = v;
    return p;
  };
  auto without = [&](const char* k) {
    auto p = payload;
    p.erase(k);
    return p;
  };
  EXPECT_EQ(message(with("exp", now - 1), "k"), "Token is invalid or expired");
  EXPECT_EQ(message(payload, "other"), "Token is invalid or expired");
  EXPECT_EQ(message(with("token_type", "refresh"), "k"), "Token has wrong type");
  EXPECT_EQ(message(without("jti"), "k"), "Token has no id");
  EXPECT_EQ(message(without("exp"), "k"), "Token has no 'exp' claim");
  EXPECT_EQ(message(without("user_id"), "k"), "Token contained no recognizable user identification");
  EXPECT_EQ(authenticate_bearer(std::nullopt, "k", now).kind, AuthOutcome::Kind::kAnonymous);
  EXPECT_EQ(authenticate_bearer("Basic abc", "k", now).kind, AuthOutcome::Kind::kAnonymous);
  EXPECT_EQ(authenticate_bearer("Bearer a b", "k", now).body["code"], "bad_authorization_header");
  EXPECT_EQ(base64url_decode(base64url_encode("any bytes\xff")).value(), "any bytes\xff");
}

TEST(ApiSettingsTest, ListenAndLoopback) {
  ApiSettings s;
  s.set_listen("[::1]:9000", "--listen");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 9000);
  EXPECT_TRUE(wire::is_loopback("127.0.0.1"));
  EXPECT_TRUE(wire::is_loopback("::1"));
  EXPECT_FALSE(wire::is_loopback("0.0.0.0"));
  EXPECT_FALSE(wire::is_loopback("127.evil.com"));
  EXPECT_THROW(s.set_listen("8000", "--listen"), InputError);
}

}  // namespace
}  // namespace ypa::http

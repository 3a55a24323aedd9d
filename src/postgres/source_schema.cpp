#include "postgres/source_schema.hpp"

#include <fmt/format.h>

#include "core/env.hpp"

namespace ypa::postgres {

SourceTables SourceTables::from_env() {
  SourceTables t;
  t.price_record = env::get_or("YPA_TABLE_PRICE_RECORD", t.price_record);
  t.shop = env::get_or("YPA_TABLE_SHOP", t.shop);
  t.iphone = env::get_or("YPA_TABLE_IPHONE", t.iphone);
  t.cohort = env::get_or("YPA_TABLE_COHORT", t.cohort);
  t.cohort_member = env::get_or("YPA_TABLE_COHORT_MEMBER", t.cohort_member);
  t.shop_weight_profile = env::get_or("YPA_TABLE_SHOP_WEIGHT_PROFILE", t.shop_weight_profile);
  t.shop_weight_item = env::get_or("YPA_TABLE_SHOP_WEIGHT_ITEM", t.shop_weight_item);
  return t;
}

void create_source_schema(Connection& conn, const SourceTables& t) {
  auto q = [](const std::string& name) { return quote_identifier(name); };
  // Index names are derived from the table names so that renamed tables never collide.
  auto idx = [](const std::string& table, const char* suffix) { return quote_identifier(table + "_" + suffix); };
  conn.exec(fmt::format(R"sql(
BEGIN;
SET LOCAL client_min_messages = warning;  -- no "already exists, skipping" notice per table on reruns
CREATE TABLE IF NOT EXISTS {shop} (
  id   bigserial PRIMARY KEY,
  name varchar(255) NOT NULL
);
CREATE TABLE IF NOT EXISTS {iphone} (
  id          bigserial PRIMARY KEY,
  part_number varchar(64) NOT NULL UNIQUE,
  model_name  varchar(128) NOT NULL,
  capacity_gb integer NOT NULL,
  color       varchar(64) NOT NULL
);
CREATE TABLE IF NOT EXISTS {price_record} (
  id            bigserial PRIMARY KEY,
  shop_id       bigint NOT NULL REFERENCES {shop} (id) DEFERRABLE INITIALLY DEFERRED,
  iphone_id     bigint NOT NULL REFERENCES {iphone} (id) DEFERRABLE INITIALLY DEFERRED,
  price_new     integer NULL,
  price_grade_a integer NULL,
  price_grade_b integer NULL,
  recorded_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS {pr_time} ON {price_record} (recorded_at);
CREATE INDEX IF NOT EXISTS {pr_iphone} ON {price_record} (iphone_id, recorded_at);
CREATE TABLE IF NOT EXISTS {profile} (
  id   bigserial PRIMARY KEY,
  slug varchar(64) NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS {item} (
  id         bigserial PRIMARY KEY,
  profile_id bigint NOT NULL REFERENCES {profile} (id) DEFERRABLE INITIALLY DEFERRED,
  shop_id    bigint NOT NULL REFERENCES {shop} (id) DEFERRABLE INITIALLY DEFERRED,
  weight     double precision NOT NULL CHECK (weight >= 0),
  UNIQUE (profile_id, shop_id)
);
CREATE TABLE IF NOT EXISTS {cohort} (
  id                     bigserial PRIMARY KEY,
  slug                   varchar(64) NOT NULL UNIQUE,
  title                  varchar(255) NOT NULL,
  shop_weight_profile_id bigint NULL REFERENCES {profile} (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE IF NOT EXISTS {member} (
  id        bigserial PRIMARY KEY,
  cohort_id bigint NOT NULL REFERENCES {cohort} (id) DEFERRABLE INITIALLY DEFERRED,
  iphone_id bigint NOT NULL REFERENCES {iphone} (id) DEFERRABLE INITIALLY DEFERRED,
  weight    double precision NOT NULL CHECK (weight > 0),
  UNIQUE (cohort_id, iphone_id)
);
COMMIT;
)sql",
                        fmt::arg("shop", q(t.shop)), fmt::arg("iphone", q(t.iphone)),
                        fmt::arg("price_record", q(t.price_record)),
                        fmt::arg("pr_time", idx(t.price_record, "recorded_at")),
                        fmt::arg("pr_iphone", idx(t.price_record, "iphone_time")),
                        fmt::arg("profile", q(t.shop_weight_profile)), fmt::arg("item", q(t.shop_weight_item)),
                        fmt::arg("cohort", q(t.cohort)), fmt::arg("member", q(t.cohort_member))));
}

}  // namespace ypa::postgres

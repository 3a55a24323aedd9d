"""The design document's §11 ViewSets on ClickHouse (ClickHouseService + APIView, JSON unchanged),
written the ordinary Django REST Framework way; `ypa serve` must answer exactly like this."""
import calendar
import math
import threading
import time
from datetime import datetime, timezone as dt_timezone

import django_filters
from clickhouse_driver import Client
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from rest_framework import exceptions, filters
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.models import Iphone, SecondHandShop

MAX_POINTS = 100000
MAX_TIME = 4294967295
FINAL_AFTER = 300


def feature_names():
    names = []
    for kind in ("ema", "sma", "wma"):
        names += ["%s_%d" % (kind, w) for w in settings.FEATURE_WINDOWS_MIN]
    for w in settings.FEATURE_WINDOWS_MIN:
        names += ["boll_%s_%d" % (band, w) for band in ("mid", "up", "low", "width")]
    return names


FEATURE_NAMES = feature_names()


class ServiceUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"


def quote(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ClickHouseService:
    """All ClickHouse reads of the API (design document §11.4), one connection per thread."""

    _local = threading.local()

    def client(self):
        if getattr(self._local, "client", None) is None:
            c = settings.CLICKHOUSE
            self._local.client = Client(host=c["host"], port=c["port"], database=c["database"], user=c["user"],
                                        password=c["password"])
        return self._local.client

    def execute(self, sql):
        try:
            return self.client().execute(sql)
        except Exception:
            self._local.client = None
            raise ServiceUnavailable()

    def table(self, name):
        return "`%s`.`%s`" % (settings.CLICKHOUSE["database"], name)

    def count(self, table, where, factor=1):
        return self.execute("SELECT count() * %d FROM %s FINAL WHERE %s" % (factor, self.table(table), where))[0][0]


service = ClickHouseService()


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 10000


class LazyRows:
    """What the paginator slices: the count and one page, each a ClickHouse query."""

    def __init__(self, count, page):
        self._count = count
        self._page = page

    def count(self):
        return self._count()

    def __getitem__(self, s):
        return self._page(s.start, s.stop - s.start)


class NumberInFilter(django_filters.BaseInFilter, django_filters.NumberFilter):
    pass


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    pass


class BucketField(IsoDateTimeField):
    input_formats = [IsoDateTimeField.ISO_8601, "%Y-%m-%d"]


class BucketFilter(django_filters.IsoDateTimeFilter):
    field_class = BucketField


def run_id_filter():
    return django_filters.CharFilter(method="keep", validators=[
        RegexValidator(r"^[A-Za-z0-9_]{1,64}\Z",
                       message="Enter a valid run id: 1 to 64 letters, digits or underscores.")])


class BaseFilterSet(django_filters.FilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, f in self.filters.items():
            f.label = name  # there is no model to take verbose names from

    def keep(self, queryset, name, value):
        return queryset


class OverallBarFilter(BaseFilterSet):
    run_id = run_id_filter()
    iphone = django_filters.NumberFilter(method="keep")
    iphone__in = NumberInFilter(method="keep")
    bucket__gte = BucketFilter(method="keep")
    bucket__lte = BucketFilter(method="keep")


class CohortBarFilter(BaseFilterSet):
    run_id = run_id_filter()
    cohort__slug = django_filters.CharFilter(method="keep")
    cohort__slug__in = CharInFilter(method="keep")
    bucket__gte = BucketFilter(method="keep")
    bucket__lte = BucketFilter(method="keep")


class FeatureFilter(BaseFilterSet):
    run_id = run_id_filter()
    scope = django_filters.CharFilter(method="keep")
    scope__in = CharInFilter(method="keep")
    name = django_filters.ChoiceFilter(method="keep", choices=[(n, n) for n in FEATURE_NAMES])
    name__in = ChoiceInFilter(method="keep", choices=[(n, n) for n in FEATURE_NAMES])
    bucket__gte = BucketFilter(method="keep")
    bucket__lte = BucketFilter(method="keep")


class PriceFilter(BaseFilterSet):
    run_id = run_id_filter()
    shop = django_filters.NumberFilter(method="keep")
    shop__in = NumberInFilter(method="keep")
    iphone = django_filters.NumberFilter(method="keep")
    iphone__in = NumberInFilter(method="keep")
    Timestamp_Time__gte = BucketFilter(method="keep")
    Timestamp_Time__lte = BucketFilter(method="keep")


class ShopHealthFilter(BaseFilterSet):
    run_id = run_id_filter()
    shop = django_filters.NumberFilter(method="keep")
    shop__in = NumberInFilter(method="keep")
    bucket__gte = BucketFilter(method="keep")
    bucket__lte = BucketFilter(method="keep")


class NoQuerySet:
    """The filter sets only validate parameters here; the SQL is built from their cleaned data."""

    model = None


def cleaned(filterset_class, request):
    fs = filterset_class(request.query_params, queryset=NoQuerySet())
    if not fs.is_valid():
        raise exceptions.ValidationError(fs.errors)
    return fs.form.cleaned_data


def id_values(value):
    """A NumberFilter value (Decimal) or list of them -> the UInt32 ids they can match."""
    values = value if isinstance(value, list) else [value]
    ids = []
    for v in values:
        if v is None or v != v.to_integral_value():
            continue
        if 0 <= v <= MAX_TIME:
            ids.append(int(v))
    return ids


def in_clause(column, values):
    if not values:
        return "0"
    return "%s IN (%s)" % (column, ", ".join(values))


def bucket_where(cd, gte_name, lte_name):
    where = []
    gte, lte = cd.get(gte_name), cd.get(lte_name)
    nothing = False
    if gte is not None:
        s = calendar.timegm(gte.utctimetuple()) + (1 if gte.microsecond else 0)
        nothing = nothing or s > MAX_TIME
        where.append("bucket >= toDateTime(%d)" % max(s, 0))
    if lte is not None:
        s = calendar.timegm(lte.utctimetuple())
        nothing = nothing or s < 0
        where.append("bucket <= toDateTime(%d)" % min(s, MAX_TIME))
    if nothing:
        return ["bucket >= toDateTime(1)", "bucket <= toDateTime(0)"]
    return where


def run_id(cd):
    return cd.get("run_id") or "live"


def iso(epoch):
    return timezone.localtime(datetime.fromtimestamp(epoch, tz=dt_timezone.utc)).isoformat()


def num(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return v


def scope_id(scope, prefix):
    rest = scope[prefix:]
    return int(rest) if rest.isdigit() and len(rest) <= 9 else rest


class OrderedView(APIView):
    ordering_fields = []
    ordering = []
    expressions = {}
    key = ""

    def order_by(self, request):
        terms = filters.OrderingFilter().get_ordering(request, None, self)
        parts = []
        for t in terms:
            desc = t.startswith("-")
            parts.append(self.expressions[t.lstrip("-") if desc else t] + (" DESC" if desc else " ASC"))
        return ", ".join(parts + [self.key])

    def paginate(self, request, count, page, render):
        paginator = Pagination()
        rows = paginator.paginate_queryset(LazyRows(count, page), request, view=self)
        return paginator.get_paginated_response([render(r) for r in rows])


BAR_COLUMNS = ("toUInt32(bucket), scope, mean, median, std, toUInt32(shop_count), dispersion, toUInt32(n_models), "
               "toUInt32(inserted_at)")


class BarView(OrderedView):
    filterset = OverallBarFilter
    prefix = "iphone:"
    key = "bucket, scope"

    def where(self, cd):
        where = ["run_id = " + quote(run_id(cd)), "scope LIKE '%s%%'" % self.prefix]
        if self.prefix == "iphone:":
            if cd.get("iphone") is not None:
                where.append(in_clause("scope", [quote("iphone:%d" % i) for i in id_values(cd["iphone"])]))
            if cd.get("iphone__in") not in (None, []):
                where.append(in_clause("scope", [quote("iphone:%d" % i) for i in id_values(cd["iphone__in"])]))
        else:
            if cd.get("cohort__slug"):
                where.append(in_clause("scope", [quote("cohort:" + cd["cohort__slug"])]))
            if cd.get("cohort__slug__in") not in (None, []):
                where.append(in_clause("scope", [quote("cohort:" + s) for s in cd["cohort__slug__in"]]))
        return " AND ".join(where + bucket_where(cd, "bucket__gte", "bucket__lte"))

    def rows(self, where, order, limit, offset):
        return service.execute("SELECT %s FROM %s FINAL WHERE %s ORDER BY %s LIMIT %d, %d" % (
            BAR_COLUMNS, service.table("features_wide"), where, order, offset, limit))


class OverallBarView(BarView):
    ordering_fields = ["bucket", "iphone", "mean", "median", "std", "shop_count", "dispersion", "updated_at"]
    ordering = ["bucket", "iphone"]
    expressions = {"bucket": "bucket", "iphone": "toUInt32OrZero(substring(scope, 8))", "mean": "mean",
                   "median": "median", "std": "std", "shop_count": "shop_count", "dispersion": "dispersion",
                   "updated_at": "inserted_at"}

    def get(self, request):
        cd = cleaned(self.filterset, request)
        where, order, now = self.where(cd), self.order_by(request), time.time()
        return self.paginate(
            request, lambda: service.count("features_wide", where),
            lambda offset, limit: self.rows(where, order, limit, offset),
            lambda r: {"bucket": iso(r[0]), "iphone": scope_id(r[1], 7), "mean": num(r[2]), "median": num(r[3]),
                       "std": num(r[4]), "shop_count": r[5], "dispersion": num(r[6]),
                       "is_final": r[0] <= now - FINAL_AFTER, "updated_at": iso(r[8])})


class OverallBarPointsView(BarView):
    def get(self, request):
        cd = cleaned(self.filterset, request)
        rows = self.rows(self.where(cd), self.key, MAX_POINTS + 1, 0)
        if len(rows) > MAX_POINTS:
            raise exceptions.ParseError("More than %d points match; narrow the filters." % MAX_POINTS)
        return Response({"count": len(rows), "bucket": [iso(r[0]) for r in rows],
                         "iphone": [scope_id(r[1], 7) for r in rows], "mean": [num(r[2]) for r in rows],
                         "median": [num(r[3]) for r in rows], "std": [num(r[4]) for r in rows],
                         "shop_count": [r[5] for r in rows], "dispersion": [num(r[6]) for r in rows]})


class CohortBarView(BarView):
    filterset = CohortBarFilter
    prefix = "cohort:"
    ordering_fields = ["bucket", "cohort", "mean", "median", "std", "n_models", "shop_count_agg", "dispersion",
                       "updated_at"]
    ordering = ["bucket", "cohort"]
    expressions = {"bucket": "bucket", "cohort": "scope", "mean": "mean", "median": "median", "std": "std",
                   "n_models": "n_models", "shop_count_agg": "shop_count", "dispersion": "dispersion",
                   "updated_at": "inserted_at"}

    def get(self, request):
        cd = cleaned(self.filterset, request)
        where, order, now = self.where(cd), self.order_by(request), time.time()
        return self.paginate(
            request, lambda: service.count("features_wide", where),
            lambda offset, limit: self.rows(where, order, limit, offset),
            lambda r: {"bucket": iso(r[0]), "cohort": r[1][7:], "mean": num(r[2]), "median": num(r[3]),
                       "std": num(r[4]), "n_models": r[7], "shop_count_agg": r[5], "dispersion": num(r[6]),
                       "is_final": r[0] <= now - FINAL_AFTER, "updated_at": iso(r[8])})


class CohortBarPointsView(BarView):
    filterset = CohortBarFilter
    prefix = "cohort:"

    def get(self, request):
        cd = cleaned(self.filterset, request)
        rows = self.rows(self.where(cd), self.key, MAX_POINTS + 1, 0)
        if len(rows) > MAX_POINTS:
            raise exceptions.ParseError("More than %d points match; narrow the filters." % MAX_POINTS)
        return Response({"count": len(rows), "bucket": [iso(r[0]) for r in rows],
                         "cohort": [r[1][7:] for r in rows], "mean": [num(r[2]) for r in rows],
                         "median": [num(r[3]) for r in rows], "std": [num(r[4]) for r in rows],
                         "n_models": [r[7] for r in rows], "shop_count_agg": [r[5] for r in rows],
                         "dispersion": [num(r[6]) for r in rows]})


class FeatureView(OrderedView):
    ordering_fields = ["bucket", "scope", "name", "value"]
    ordering = ["bucket", "scope", "name"]
    expressions = {"bucket": "bucket", "scope": "scope", "name": "name", "value": "value"}
    key = "bucket, scope, name"

    def query(self, request):
        cd = cleaned(FeatureFilter, request)
        where = ["run_id = " + quote(run_id(cd))]
        if cd.get("scope"):
            where.append(in_clause("scope", [quote(cd["scope"])]))
        if cd.get("scope__in") not in (None, []):
            where.append(in_clause("scope", [quote(s) for s in cd["scope__in"]]))
        name, name_in = cd.get("name") or None, cd.get("name__in") or None
        names = [n for n in FEATURE_NAMES if (name is None or n == name) and (name_in is None or n in name_in)]
        return run_id(cd), " AND ".join(where + bucket_where(cd, "bucket__gte", "bucket__lte")), names

    def rows(self, where, names, order, limit, offset):
        if not names:
            return []
        return service.execute(
            "SELECT toUInt32(bucket), scope, name, value FROM (SELECT bucket, scope, [%s] AS names, [%s] AS vals "
            "FROM %s FINAL WHERE %s) ARRAY JOIN names AS name, vals AS value ORDER BY %s LIMIT %d, %d" % (
                ", ".join(quote(n) for n in names), ", ".join(names), service.table("features_wide"), where, order,
                offset, limit))


class FeatureSnapshotView(FeatureView):
    def get(self, request):
        version, where, names = self.query(request)
        order, now = self.order_by(request), time.time()
        return self.paginate(
            request, lambda: service.count("features_wide", where, len(names)) if names else 0,
            lambda offset, limit: self.rows(where, names, order, limit, offset),
            lambda r: {"bucket": iso(r[0]), "scope": r[1], "name": r[2], "value": num(r[3]), "version": version,
                       "is_final": r[0] <= now - FINAL_AFTER})


class FeaturePointsView(FeatureView):
    def get(self, request):
        version, where, names = self.query(request)
        rows = self.rows(where, names, self.key, MAX_POINTS + 1, 0)
        if len(rows) > MAX_POINTS:
            raise exceptions.ParseError("More than %d points match; narrow the filters." % MAX_POINTS)
        return Response({"count": len(rows), "version": version, "bucket": [iso(r[0]) for r in rows],
                         "scope": [r[1] for r in rows], "name": [r[2] for r in rows],
                         "value": [num(r[3]) for r in rows]})


class PriceView(OrderedView):
    ordering_fields = ["Timestamp_Time", "shop", "iphone", "price_new", "price_a", "price_b", "alignment_diff_sec",
                       "record_time"]
    ordering = ["-Timestamp_Time", "shop", "iphone"]
    expressions = {"Timestamp_Time": "bucket", "shop": "shop_id", "iphone": "iphone_id", "price_new": "price_new",
                   "price_a": "price_a", "price_b": "price_b", "alignment_diff_sec": "alignment_diff_sec",
                   "record_time": "record_time"}
    key = "iphone_id, shop_id, bucket"

    def get(self, request):
        cd = cleaned(PriceFilter, request)
        where = ["run_id = " + quote(run_id(cd))]
        for param, column in (("shop", "shop_id"), ("shop__in", "shop_id"), ("iphone", "iphone_id"),
                              ("iphone__in", "iphone_id")):
            if cd.get(param) not in (None, []):
                where.append(in_clause(column, [str(i) for i in id_values(cd[param])]))
        where = " AND ".join(where + bucket_where(cd, "Timestamp_Time__gte", "Timestamp_Time__lte"))
        order = self.order_by(request)

        def page(offset, limit):
            rows = service.execute(
                "SELECT toUInt32(bucket), shop_id, iphone_id, price_new, price_a, price_b, alignment_diff_sec, "
                "toUInt32(record_time) FROM %s FINAL WHERE %s ORDER BY %s LIMIT %d, %d" % (
                    service.table("price_aligned"), where, order, offset, limit))
            # Names from PostgreSQL through the Django models (design document §11: "JOIN PG").
            shops = SecondHandShop.objects.in_bulk({r[1] for r in rows})
            iphones = Iphone.objects.in_bulk({r[2] for r in rows})
            return [(r, shops.get(r[1]), iphones.get(r[2])) for r in rows]

        return self.paginate(request, lambda: service.count("price_aligned", where), page, self.render)


class PurchasingShopTimeAnalysisView(PriceView):
    @staticmethod
    def render(item):
        r, shop, iphone = item
        return {"shop": {"id": r[1], "name": shop.name if shop else None},
                "iphone": {"id": r[2], "part_number": iphone.part_number if iphone else None,
                           "model_name": iphone.model_name if iphone else None,
                           "capacity_gb": iphone.capacity_gb if iphone else None,
                           "color": iphone.color if iphone else None},
                "prices": {"new": r[3], "a": r[4], "b": r[5]},
                "timestamps": {"bucket": iso(r[0]), "record_time": iso(r[7]), "alignment_diff_sec": r[6]}}


class PSTACompactView(PriceView):
    @staticmethod
    def render(item):
        r, shop, iphone = item
        return {"bucket": iso(r[0]), "shop_id": r[1], "shop_name": shop.name if shop else None, "iphone_id": r[2],
                "part_number": iphone.part_number if iphone else None, "price_new": r[3], "price_a": r[4],
                "price_b": r[5]}


class ShopHealthView(OrderedView):
    """shop_health (docs/shop-health.md), one item per (shop, hour)."""

    ordering_fields = ["bucket", "shop", "records_read", "invalid_prices", "cells", "filtered_share", "iphones",
                       "last_recorded_at", "price_ratio_median", "updated_at"]
    ordering = ["bucket", "shop"]
    expressions = {"bucket": "bucket", "shop": "shop_id", "records_read": "records_read",
                   "invalid_prices": "invalid_prices", "cells": "cells",
                   "filtered_share": "if(cells = 0, 0, (above_band + below_band) / cells)", "iphones": "iphones",
                   "last_recorded_at": "last_recorded_at", "price_ratio_median": "price_ratio_median",
                   "updated_at": "inserted_at"}
    key = "shop_id, bucket"

    def get(self, request):
        cd = cleaned(ShopHealthFilter, request)
        version = run_id(cd)
        where = ["run_id = " + quote(version)]
        for param in ("shop", "shop__in"):
            if cd.get(param) not in (None, []):
                where.append(in_clause("shop_id", [str(i) for i in id_values(cd[param])]))
        where = " AND ".join(where + bucket_where(cd, "bucket__gte", "bucket__lte"))
        order = self.order_by(request)

        def page(offset, limit):
            return service.execute(
                "SELECT toUInt32(bucket), shop_id, buckets, records_read, invalid_prices, cells, above_band, "
                "below_band, iphones, toUInt32(last_recorded_at), price_ratio_median, toUInt32(inserted_at) "
                "FROM %s FINAL WHERE %s ORDER BY %s LIMIT %d, %d" % (
                    service.table("shop_health"), where, order, offset, limit))

        def render(r):
            return {"bucket": iso(r[0]), "shop": r[1], "buckets": r[2], "records_read": r[3],
                    "invalid_prices": r[4], "cells": r[5], "above_band": r[6], "below_band": r[7],
                    "filtered_share": (r[6] + r[7]) / r[5] if r[5] else None, "iphones": r[8],
                    "last_recorded_at": iso(r[9]) if r[9] is not None else None,
                    "price_ratio_median": num(r[10]), "version": version, "updated_at": iso(r[11])}

        return self.paginate(request, lambda: service.count("shop_health", where), page, render)

from django.http import HttpResponse
from django.urls import path
from rest_framework.renderers import JSONRenderer

from reference import views

urlpatterns = [
    path("api/overall-bars/", views.OverallBarView.as_view()),
    path("api/overall-bars/points/", views.OverallBarPointsView.as_view()),
    path("api/cohort-bars/", views.CohortBarView.as_view()),
    path("api/cohort-bars/points/", views.CohortBarPointsView.as_view()),
    path("api/features/", views.FeatureSnapshotView.as_view()),
    path("api/features/points/", views.FeaturePointsView.as_view()),
    path("api/purchasing-time-analyses/", views.PurchasingShopTimeAnalysisView.as_view()),
    path("api/purchasing-time-analyses/compact/", views.PSTACompactView.as_view()),
    path("api/shop-health/", views.ShopHealthView.as_view()),
]


def not_found(request, exception=None):
    # As DRF renders its own errors (compact JSON), not as Django's JsonResponse would.
    return HttpResponse(JSONRenderer().render({"detail": "Not found."}), content_type="application/json", status=404)


handler404 = not_found

"""The loans router, included under ``/api/v1/`` by ``elvis.api.urls``."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import LoanRequestViewSet

router = SimpleRouter()
router.register("loan-requests", LoanRequestViewSet, basename="loanrequest")

urlpatterns = router.urls

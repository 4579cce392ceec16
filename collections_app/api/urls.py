"""The registry's router, included under ``/api/v1/`` by ``elvis.api.urls``."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from .views import CollectionViewSet, FacilityViewSet, InstitutionViewSet, SpecimenViewSet

router = DefaultRouter()
router.register("institutions", InstitutionViewSet, basename="api-institution")
router.register("collections", CollectionViewSet, basename="api-collection")
router.register("facilities", FacilityViewSet, basename="api-facility")
router.register("specimens", SpecimenViewSet, basename="api-specimen")

urlpatterns = router.urls

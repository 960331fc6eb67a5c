from django.urls import path
from rest_framework.routers import DefaultRouter

from api import viewsets
from api.audit import PersonalDataReadViewSet
from api.eligibility import EligibilityRuleViewSet
from api.imports import RosterImportViewSet
from api.reports import GraduateOfficialStatsView, ReportViewSet

router = DefaultRouter()
router.register("divisions", viewsets.DivisionViewSet, basename="division")
router.register("people", viewsets.PersonViewSet, basename="person")
router.register("posts", viewsets.PostViewSet, basename="post")
router.register("service-terms", viewsets.ServiceTermViewSet, basename="service-term")
router.register("assessments", viewsets.AssessmentViewSet, basename="assessment")
router.register("trainings", viewsets.TrainingViewSet, basename="training")
router.register("ventures", viewsets.VentureViewSet, basename="venture")
router.register("mobility-events", viewsets.MobilityEventViewSet, basename="mobility-event")
router.register("eligibility-rules", EligibilityRuleViewSet, basename="eligibility-rule")
router.register("reports", ReportViewSet, basename="report")
router.register("staff-accounts", viewsets.StaffAccountViewSet, basename="staff-account")
router.register("imports", RosterImportViewSet, basename="import")
router.register("personal-data-reads", PersonalDataReadViewSet, basename="personal-data-read")

urlpatterns = [
    path("stats/graduate-officials/", GraduateOfficialStatsView.as_view(), name="stats-graduate-officials"),
    path("auth/token/", viewsets.ObtainTokenView.as_view(), name="auth-token"),
    *router.urls,
]

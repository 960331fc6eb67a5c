from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.throttling import login_rate_limited

admin.site.site_header = "农村人才与大学生村官信息库"
admin.site.site_title = "信息库管理"
admin.site.index_title = "数据管理"

urlpatterns = [
    # The admin login page, with the token endpoint's rate limit per client address (the
    # lockout after repeated failures is django-axes', for both).
    path("admin/login/", login_rate_limited(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# /healthz and /readyz are answered by registry.health.HealthCheckMiddleware, before routing.
# An unhandled error answers in the API's JSON error shape under /api/, and a database that
# cannot be reached answers 503 rather than 500 (registry/health.py).
handler500 = "registry.health.server_error"

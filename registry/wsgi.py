import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.base")
application = get_wsgi_application()

# Import every view now (Django would at the first request), then set what is loaded aside from
# the garbage collector (gc.freeze): modules, classes and URL patterns live as long as the
# process, and each full collection walked them all again, about 100 ms every hundred or so
# requests of a worker. docs/benchmarks.md has the figures.
get_resolver().url_patterns  # noqa: B018 (loads the URLconf and through it the views)
gc.freeze()

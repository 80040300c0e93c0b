from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts.access import public


@public
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


urlpatterns = [path("bench/hello/", hello), path("", include("project.urls"))]

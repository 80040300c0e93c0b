"""/help/: the public library of articles (no sign-in). The slug names an article, never a person."""

from django.urls import path

from portal import help_views

app_name = "help"
urlpatterns = [
    path("", help_views.library, name="library"),
    path("<slug:slug>/", help_views.article, name="article"),
]

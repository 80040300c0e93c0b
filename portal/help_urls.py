"""/help/: the public library of articles (no sign-in). The slug names an article, never a person."""

from django.urls import path

from portal import help_views

app_name = "help"
urlpatterns = [
    path("", help_views.library, name="library"),
    # the link staff send to a victim: a number, so a lock screen's preview of the message says
    # nothing of what the article is about (a slug such as "stalkerware" would)
    path("a/<int:number>/", help_views.short_link, name="short"),
    path("<slug:slug>/", help_views.article, name="article"),
]

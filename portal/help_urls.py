"""/help/: the public library of articles (no sign-in)."""

app_name = "help"
urlpatterns: list = []

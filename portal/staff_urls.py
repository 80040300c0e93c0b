"""/cases/<number>/portal/: what staff do about a case's portal from the case page."""

app_name = "portal-staff"
urlpatterns: list = []

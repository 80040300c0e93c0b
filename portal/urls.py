"""/portal/: signing in (portal.sign_in_urls) and the signed-in victim's pages (portal.page_urls).
No case reference or personal data in any of these URLs."""

from portal import page_urls, sign_in_urls

app_name = "portal"
urlpatterns = [*sign_in_urls.urlpatterns, *page_urls.urlpatterns]

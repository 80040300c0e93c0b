"""The victim portal's models: who may sign in to which case and how (access, one-time codes),
the update message types admins define and the updates a victim reads, and the public library of
articles."""

from portal.models.access import PortalAccess, SignInCode
from portal.models.articles import Article, ArticleTag, ArticleText
from portal.models.updates import PortalUpdate, UpdateText, UpdateType

__all__ = [
    "Article",
    "ArticleTag",
    "ArticleText",
    "PortalAccess",
    "PortalUpdate",
    "SignInCode",
    "UpdateText",
    "UpdateType",
]

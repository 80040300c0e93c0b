"""The public library of articles (/help/): admin-edited, in several languages, tagged so the
portal can recommend the ones that fit a case. Bodies are written in Markdown and kept as
sanitised HTML (nh3: no scripts, no remote images), made when saved."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portal.rich_text import plain_words, render


class ArticleTag(models.Model):
    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"  # what the library is browsed by
        CATEGORY = "category", "Case category"  # a cases.Category code
        STAGE = "stage", "Stage of the case"  # portal.progress stage codes
        AREA = "area", "Area"  # a cases.Area code
        AUDIENCE = "audience", "Audience"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    code = models.SlugField(max_length=64)
    label = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "label"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="one_tag_per_code")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class Article(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    tags = models.ManyToManyField(ArticleTag, blank=True, related_name="articles")
    is_published = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(m2m_fields=[])

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.slug


class ArticleText(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(max_length=8, default="en")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown. No scripts, no images from other sites.")
    # Made from `body` on every save by portal.rich_text.render (nh3-sanitised); never typed.
    body_html = models.TextField(editable=False, default="")
    # Lower-cased words of the title, summary and body, for the library's search.
    search_text = models.TextField(editable=False, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="one_article_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def save(self, *args: object, **kwargs: object) -> None:
        # Whatever saves it (the admin, the seed, a shell), the HTML and the search words are made
        # from the Markdown here: never typed, never stale.
        self.body_html = render(self.body)
        self.search_text = plain_words(self.title, self.summary, self.body_html)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "body_html", "search_text"}
        super().save(*args, **kwargs)  # type: ignore[arg-type]

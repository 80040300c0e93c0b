"""The help library's 30 starting articles (portal/articles_seed/*.md) and their tags: topics to
browse by, and the case categories, portal stages and audiences the portal recommends them by.
Admins edit, retire and add articles afterwards (DESIGN rule 10). Run again (tests/e2e after a
flush), it adds what is missing and changes nothing an admin edited."""

from __future__ import annotations

from pathlib import Path

from django.db import migrations

SEED_DIR = Path(__file__).resolve().parent.parent / "articles_seed"

TAG_LABELS = {
    "topic": {
        "your-rights": "Your rights",
        "after-reporting": "After you report",
        "court": "Going to court",
        "safety-planning": "Staying safe",
        "online-safety": "Staying safe online",
        "support": "Getting support",
    },
    "stage": {
        "reported": "We have the report",
        "being_looked_at": "Someone is looking at the report",
        "getting_support": "A support service is helping",
        "court": "Going to court",
        "finished": "Finished",
    },
    "audience": {
        "victim": "Victims",
        "parent": "Parents",
        "men": "Men",
        "lgbt": "LGBT+ people",
        "disabled": "Disabled people",
        "young-people": "Young people",
    },
}


def read_seed(path: Path) -> tuple[dict[str, str], str]:
    """A seed file's front matter (key: value lines between two `---` lines) and its body."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    fields = {}
    for line in front.strip().splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields, body.strip() + "\n"


def seed_files() -> list[tuple[dict[str, str], str]]:
    """Every article text, English ones first (a translation takes its article's tags)."""
    seeds = [read_seed(path) for path in sorted(SEED_DIR.glob("*.md")) if path.name != "README.md"]
    return sorted(seeds, key=lambda seed: seed[0].get("language", "en") != "en")


def tag_label(apps, kind: str, code: str) -> str:
    if kind == "category":
        category = apps.get_model("cases", "Category").objects.filter(code=code).first()
        return category.label if category else code
    if kind == "area":
        area = apps.get_model("cases", "Area").objects.filter(code=code).first()
        return area.label if area else code
    return TAG_LABELS.get(kind, {}).get(code, code)


def seed(apps, schema_editor):
    # The app's own renderer: the bodies must be the same sanitised HTML an admin's save makes.
    from portal.rich_text import plain_words, render

    Article = apps.get_model("portal", "Article")
    ArticleTag = apps.get_model("portal", "ArticleTag")
    ArticleText = apps.get_model("portal", "ArticleText")
    for fields, body in seed_files():
        article, made = Article.objects.get_or_create(
            slug=fields["slug"], defaults={"position": int(fields.get("position", 100))}
        )
        if made:
            for entry in fields.get("tags", "").split(","):
                kind, _, code = entry.strip().partition(":")
                tag, _ = ArticleTag.objects.get_or_create(
                    kind=kind, code=code, defaults={"label": tag_label(apps, kind, code)}
                )
                article.tags.add(tag)
        body_html = render(body)
        ArticleText.objects.get_or_create(
            article=article,
            language=fields.get("language", "en"),
            defaults={
                "title": fields["title"],
                "summary": fields.get("summary", ""),
                "body": body,
                "body_html": body_html,
                "search_text": plain_words(fields["title"], fields.get("summary", ""), body_html),
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_update_types"),
        ("cases", "0002_seed_lookups"),
        ("cases", "0008_seed_areas"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

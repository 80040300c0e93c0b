"""The first questionnaire: 27 questions in Lantern's own words over the risk areas the UK's
domestic-abuse risk checklist covers. 14 or more yes answers (or professional judgement) is high
risk; 10 or more, or a yes to a critical question, medium. Admins edit it afterwards."""

from django.db import migrations

NAME = "Domestic abuse risk questions"

# (section, code, text, help text, critical)
QUESTIONS = [
    ("What is happening now", "injury", "Were you hurt this time, in any way?",
     "Count injuries that do not show, and any they stopped you getting treated.", False),
    ("What is happening now", "afraid_now", "Are you very scared of them at the moment?",
     "", False),
    ("What is happening now", "fear_of_harm",
     "Do you fear they will badly hurt or kill you, or harm someone close to you?",
     "Ask what they think will happen next, and write it in the notes.", False),
    ("What is happening now", "more_often", "Has the abuse been happening more often lately?",
     "", False),
    ("What is happening now", "getting_worse", "Has the abuse been getting more serious or violent?",
     "", True),
    ("What is happening now", "neck_or_breathing",
     "Have they ever squeezed your neck, choked you, blocked your breathing or held you under water?",
     "Even once, even briefly, even if it left no mark.", True),
    ("What is happening now", "sexual_abuse",
     "Have they made you do sexual things you did not want, or hurt you during sex?", "", False),
    ("What is happening now", "threat_to_kill",
     "Have they said they will kill you or someone else?",
     "Whether or not it was said as a joke or in anger.", True),
    ("What is happening now", "weapon",
     "Have they used a weapon or an object against you?",
     "Knives, guns, tools, household objects, a car.", True),
    ("You and your situation", "isolated",
     "Do they keep you away from family, friends or others who could help?", "", False),
    ("You and your situation", "low_or_suicidal",
     "Have you been feeling very low, hopeless, or thought about ending your life?",
     "If they are in danger now, follow the emergency procedure first.", False),
    ("You and your situation", "separation",
     "Have you left them recently, or tried to, or are you planning to?", "", False),
    ("You and your situation", "child_contact",
     "Is there conflict about the children spending time with them?", "", False),
    ("You and your situation", "stalking",
     "Do they follow or watch you, turn up uninvited, or keep calling or messaging you?",
     "Include tracking a phone or car, and contact through other people.", False),
    ("You and your situation", "pregnancy",
     "Are you pregnant, or have you had a baby in the past 18 months?", "", False),
    ("You and your situation", "money_control",
     "Do they control the money, or are they in serious money trouble or out of work?", "", False),
    ("Children, other people and animals", "other_children",
     "Do children live with you who are not theirs?", "", False),
    ("Children, other people and animals", "children_hurt",
     "Have they ever hurt any of the children?", "", False),
    ("Children, other people and animals", "children_threatened",
     "Have they ever said they would harm the children?", "", False),
    ("Children, other people and animals", "others_threatened",
     "Is there anyone else they have threatened, or you fear for?", "", False),
    ("Children, other people and animals", "animals",
     "Have they hurt or threatened a pet or another animal?", "", False),
    ("The person harming you", "controlling",
     "Are they very jealous, or do they decide who you see, where you go or what you wear?",
     "", False),
    ("The person harming you", "violent_to_others",
     "Have they been violent to anyone else, such as family, a former partner or strangers?",
     "", False),
    ("The person harming you", "substances_or_mental_health",
     "Do they have problems with alcohol, drugs or their mental health?", "", False),
    ("The person harming you", "suicide_threats",
     "Have they threatened or tried to take their own life?", "", False),
    ("The person harming you", "broke_orders",
     "Have they broken bail conditions, a court order or an agreement to stay away?", "", False),
    ("The person harming you", "police_record",
     "Do you know of them being in trouble with the police or having a criminal record?",
     "Especially for violence.", False),
]


def seed(apps, schema_editor):
    Questionnaire = apps.get_model("risk", "Questionnaire")
    Question = apps.get_model("risk", "Question")
    if Questionnaire.objects.filter(name=NAME, version=1).exists():
        return  # seeded already (the browser journeys seed again after each flush)
    questionnaire = Questionnaire.objects.create(
        name=NAME, version=1, is_active=True, high_threshold=14, medium_threshold=10
    )
    Question.objects.bulk_create(
        Question(
            questionnaire=questionnaire, position=position * 10, section=section, code=code,
            text=text, help_text=help_text, counts=True, critical=critical,
        )
        for position, (section, code, text, help_text, critical) in enumerate(QUESTIONS, 1)
    )


def unseed(apps, schema_editor):
    apps.get_model("risk", "Questionnaire").objects.filter(name=NAME, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

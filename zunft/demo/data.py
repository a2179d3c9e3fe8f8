"""The demo cooperative: deterministic, idempotent, no real people's data.

Every object is found by a natural key and updated in place, so running the seed twice leaves
the same data.
"""

from django.db import transaction

from zunft.core.models import User

DEMO_PASSWORD = "zunft-demo"

# username, role, first name, last name
DEMO_USERS = [
    ("buero", User.Role.OFFICE, "Birte", "Büro"),
    ("verbund", User.Role.COOP_ADMIN, "Volker", "Verbund"),
    ("kundin", User.Role.HOMEOWNER, "Karla", "Kundin"),
]


def demo_exists() -> bool:
    return User.objects.filter(username="buero").exists()


@transaction.atomic
def seed() -> dict:
    """Create or update the demo; returns counts per kind of object."""
    for username, role, first, last in DEMO_USERS:
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.zunft.invalid",
                "is_staff": role in {User.Role.OFFICE, User.Role.COOP_ADMIN},
                "is_superuser": role == User.Role.COOP_ADMIN,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    return {"users": len(DEMO_USERS)}


def logins() -> list[tuple[str, str]]:
    return [(username, str(role.label)) for username, role, _f, _l in DEMO_USERS]

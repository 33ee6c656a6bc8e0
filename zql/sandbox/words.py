"""Vocabulary for the sample data: people, products, features and the phrases of test cases.

Kept apart from the generator so the generator reads as the shape of the data, not as lists.
A few entries are non-ASCII on purpose (accented names, German, Korean, Japanese, Russian test
case names): case-insensitive search must hold beyond ASCII.

>>> len(FIRST_NAMES) >= 30 and len(LAST_NAMES) >= 30
True
"""

from __future__ import annotations

__all__ = [
    "AREAS",
    "CAPABILITIES",
    "COMMENTS",
    "CYCLES",
    "EXPECTED",
    "FIRST_NAMES",
    "INTERNATIONAL_NAMES",
    "LAST_NAMES",
    "NOTES",
    "PHASES",
    "PROJECTS",
    "QUALIFIERS",
    "ROLES",
    "TAGS",
    "TEST_DATA",
    "VERBS",
]

FIRST_NAMES = (
    "Amelia", "Noah", "Olivia", "Liam", "Sofia", "Mateo", "Aisha", "Kenji", "Priya", "Lukas",
    "Chloé", "José", "Zoë", "Søren", "Łukasz", "Mei", "Omar", "Hannah", "Diego", "Ingrid",
    "Ravi", "Fatima", "Jonas", "Elena", "Tomás", "Yuki", "Grace", "Ahmed", "Nora", "Viktor",
    "Leila", "Marcus", "Sakura", "Ethan", "Camila", "Arjun", "Freya", "Malik", "Ana", "Felix",
)

LAST_NAMES = (
    "Chen", "Okafor", "Müller", "García", "Nakamura", "Patel", "Johansson", "Rossi", "Kowalski",
    "Dubois", "Silva", "Kim", "Nguyen", "O'Brien", "Schmidt", "Haddad", "Andersen", "Costa",
    "Ivanova", "Yilmaz", "Fischer", "Moreau", "Tanaka", "Singh", "Larsen", "Novak", "Hughes",
    "Alvarez", "Brennan", "Takahashi", "Mensah", "Bauer", "Lindqvist", "Reyes", "Sato", "Walsh",
)

#: (role name, weight) — who the users are.
ROLES = (("Tester", 60), ("Test Lead", 15), ("Developer", 15), ("Product Owner", 6),
         ("Manager", 4))

#: (project name, key, product noun)
PROJECTS = (
    ("Project Ironclad", "IRN", "Ironclad"),
    ("Atlas Mobile", "ATL", "Atlas"),
    ("Nimbus Cloud Console", "NIM", "Nimbus"),
    ("Helios Data Platform", "HEL", "Helios"),
    ("Orion Checkout", "ORN", "Orion"),
    ("Beacon Notifications", "BCN", "Beacon"),
    ("Quasar Identity", "QSR", "Quasar"),
    ("Tundra Logistics", "TND", "Tundra"),
)

#: feature area -> the things tested in it (folder names and test case objects)
AREAS: dict[str, tuple[str, ...]] = {
    "Authentication": ("login form", "password reset", "two-factor prompt", "SSO redirect",
                       "session timeout"),
    "Checkout": ("cart summary", "shipping address form", "order confirmation", "promo code"),
    "Payments": ("card payment", "refund request", "invoice PDF", "currency conversion"),
    "Search": ("search results page", "filter panel", "autocomplete", "saved searches"),
    "Notifications": ("email digest", "push notification", "in-app banner", "SMS alert"),
    "User Profile": ("avatar upload", "profile settings", "language preference",
                     "account deletion"),
    "Reporting": ("sales report", "CSV export", "dashboard widget", "scheduled report"),
    "Accessibility": ("screen reader labels", "keyboard navigation", "contrast theme",
                      "focus order"),
    "Admin Console": ("user management", "role editor", "audit log", "feature flags"),
    "Onboarding": ("welcome tour", "sign-up wizard", "email verification", "sample project"),
    "Inventory": ("stock levels", "barcode scan", "warehouse transfer", "low-stock alert"),
    "Shipping": ("label printing", "carrier rates", "tracking page", "return label"),
    "API Gateway": ("rate limiter", "OAuth token endpoint", "webhook delivery",
                    "pagination headers"),
    "Mobile Sync": ("offline queue", "conflict resolution", "background sync",
                    "delta download"),
    "Localization": ("date formats", "right-to-left layout", "translated labels",
                     "currency symbols"),
    "Integrations": ("Slack connector", "Jira link", "SAML metadata import", "REST client"),
}

VERBS = ("Verify", "Check", "Validate", "Ensure", "Confirm", "Test")

QUALIFIERS = (
    "with valid data", "with an expired session", "on a slow network", "after a timeout",
    "in dark mode", "as a read-only user", "with 1000 rows", "using only the keyboard",
    "with special characters", "in the German locale", "on a small screen", "after an upgrade",
    "with an empty state", "while offline", "under concurrent edits", "as an administrator",
    "with SSO enabled", "after cache invalidation", "with a long name", "in Safari",
)

#: Test case names in other languages (the data's non-ASCII share).
INTERNATIONAL_NAMES = (
    "Überprüfung der Anmeldung mit abgelaufenem Passwort",
    "Vérifier l'export CSV des commandes",
    "새로운 테스트 케이스: 로그인 화면",
    "ログイン画面の表示確認",
    "Проверка фильтра поиска",
    "Comprobar el cálculo de impuestos en el carrito",
    "Ökonomie-Bericht: Summen prüfen",
)

EXPECTED = (
    "the change is saved and a confirmation is shown",
    "an error message explains what went wrong",
    "the page loads in under two seconds",
    "no data is lost",
    "the audit log records the action",
    "the user is redirected to the dashboard",
    "the totals match the source data",
)

COMMENTS = (
    "Covered by the nightly API suite.",
    "Needs fresh test data every sprint.",
    "Flaky on Safari; see the linked defect.",
    "Reviewed with the product owner.",
    "Run on staging only: touches the payment sandbox.",
    "Split from a larger end-to-end case.",
    "Candidate for automation next quarter.",
)

NOTES = (
    "Passed on retry after environment restart.",
    "Blocked by the staging outage.",
    "Screenshot attached to the defect.",
    "Slow response from the search service.",
    "Verified with the latest build.",
    "Data mismatch in the totals row.",
    "Works on Chrome, fails on Firefox.",
    "Waiting for the fix to be deployed.",
)

TEST_DATA = (
    "Use account qa.buyer@example.com",
    "Seeded by fixture orders_small.sql",
    "Requires a card ending in 4242",
    "Needs 3 warehouses configured",
    "Use the de-DE locale profile",
    "Admin role with audit scope",
)

#: (tag, weight): a few tags are everywhere, most are rare.
TAGS = (
    ("regression", 30), ("smoke", 18), ("ui", 14), ("api", 12), ("nightly", 9),
    ("security", 6), ("performance", 5), ("mobile", 5), ("accessibility", 4), ("e2e", 4),
    ("flaky", 3), ("sanity", 3), ("edge-case", 2), ("gdpr", 2), ("i18n", 2),
    ("release-blocker", 1), ("data-migration", 1), ("manual-only", 1),
)

CAPABILITIES = (
    "save my cart for later", "reset my password without support", "export my data",
    "see delivery estimates", "filter results by price", "switch the interface language",
    "receive alerts for failed payments", "assign roles to my team", "track a shipment",
    "pay in my local currency", "sign in with my company account", "undo a deletion",
)

#: Cycle name patterns; ``{n}`` is a sprint or build number.
CYCLES = ("Sprint {n} Regression", "Smoke - Build {n}", "Release Candidate {n}",
          "User Acceptance", "Performance Baseline", "Hotfix {n}", "Exploratory Week {n}")

PHASES = ("Functional", "Integration", "Regression", "Exploratory", "Cross-browser")

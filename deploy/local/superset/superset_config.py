"""Superset configuration for the local stack (deploy/local/services/superset.sh).

Every secret and URL comes from the environment, exported by the stack script from the
per-installation file .stack/env; nothing secret is written here. A production
deployment sets the same variables. Superset loads this file through
SUPERSET_CONFIG_PATH.
"""

import os


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        # Refuse to start with Superset's built-in default key (CVE-2023-27524).
        raise RuntimeError(f"{name} is not set; start Superset through deploy/local/stack.sh")
    return value


SECRET_KEY = _env("SUPERSET_SECRET_KEY")
SQLALCHEMY_DATABASE_URI = _env("SUPERSET_DATABASE_URI")  # PostgreSQL, never SQLite
GUEST_TOKEN_JWT_SECRET = _env("GUEST_TOKEN_JWT_SECRET")  # same name in deploy/compose
GUEST_TOKEN_JWT_EXP_SECONDS = int(os.environ.get("SUPERSET_GUEST_TOKEN_EXP_SECONDS", "300"))
# Permissions of guest-token users (embedded dashboards). Superset's default, "Public", has
# none, so every guest call answers 403. The hub embeds no dashboard yet: a deployment that
# does gives this role, through Superset's REST API, read access to the embedded dashboards.
GUEST_ROLE_NAME = os.environ.get("SUPERSET_GUEST_ROLE_NAME", "hub_embed_guest")

# Loopback http only: no HTTPS redirect nor CSP from Talisman (embedding needs it off or a
# frame-ancestors policy). A public deployment behind TLS sets TALISMAN_ENABLED=true (the
# variable Superset's own default config reads), plus a TALISMAN_CONFIG allowing framing.
TALISMAN_ENABLED = os.environ.get("TALISMAN_ENABLED", "false").strip().lower() in ("1", "true", "yes")

# One gunicorn worker, no Celery: an in-process cache is enough; no Redis dependency.
# Query results are not cached, so the hub sees its own warehouse writes at once.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}  # chart data always fresh from the warehouse
THUMBNAIL_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
# Explore form data and native-filter state keep Superset's default metastore cache
# (rows in the metadata database), which survives restarts.

# No example data: the stack never runs `superset load-examples`. (SQLALCHEMY_EXAMPLES_URI
# keeps its default, a SQLite file under SUPERSET_HOME that nothing creates; None would
# point the examples loader at the metadata database.)

FEATURE_FLAGS = {
    # Guest tokens for dashboards embedded in the portals (POST /api/v1/security/guest_token/).
    "EMBEDDED_SUPERSET": True,
}

# The hub talks to the REST API with a JWT plus X-CSRFToken from the same session.
WTF_CSRF_ENABLED = True

# Login rate limiting (AUTH_RATE_LIMITED, on by default) in process memory: one worker.
RATELIMIT_STORAGE_URI = "memory://"

# CSP is Talisman's job; with Talisman off on loopback, silence the start-up warning.
CONTENT_SECURITY_POLICY_WARNING = TALISMAN_ENABLED

# French first: the hub's users are French communes. The UI language defaults to French
# (Flask-AppBuilder keeps the choice in the session; the language menu offers fr and en).
BABEL_DEFAULT_LOCALE = "fr"
LANGUAGES = {
    "fr": {"flag": "fr", "name": "Français"},
    "en": {"flag": "us", "name": "English"},
}

# French numbers and dates in every chart: the bootstrap payload hands these to the
# frontend's formatter registries (d3-format / d3-time-format locales). A chart's own
# format string (",.1f", "%B %Y", ...) then renders "12 345,6" and French month names
# ("$,.2f" gives "1 234,50 €").
# U+00A0 (no-break space) separates thousands, as in d3's fr-FR locale; it renders in
# every font, where the narrow U+202F is missing from some.
D3_FORMAT = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0€"],
    "percent": "\u00a0%",  # "82,1 %", as French typography writes it
}
D3_TIME_FORMAT = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
    "shortMonths": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                    "sept.", "oct.", "nov.", "déc."],
}

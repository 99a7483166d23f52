"""A real OpenID provider for the identity tests: django-oauth-toolkit (PyPI) in one process.

Started by .ci/run (scripts/oidc/start-provider.sh). It serves discovery, JWKS, authorization
code with PKCE (S256 required), the device authorization grant (RFC 8628), userinfo, and ID
tokens carrying `email`, `email_verified` and `groups`. Users and clients come from the
environment so the tests and the server agree on them:

  OIDC_PROVIDER_PORT, OIDC_PROVIDER_DIR (state: sqlite file, RSA key),
  OIDC_CLIENT_SECRET (web client `artifactstore-web`; device client `artifactstore-cli` and
  `other-client`, an application the store must not trust, are public),
  OIDC_USER_PASSWORD (password of users alice (groups devs, alice@example.org) and
  bob (no group, bob@elsewhere.test)).
"""

import os
import sys

import django
from django.conf import settings

PORT = int(os.environ["OIDC_PROVIDER_PORT"])
STATE = os.environ["OIDC_PROVIDER_DIR"]
BASE = f"http://127.0.0.1:{PORT}"
KEY_PATH = os.path.join(STATE, "rsa.pem")

if not os.path.exists(KEY_PATH):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(KEY_PATH, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

LOGIN_HTML = """<!doctype html><title>Provider sign-in</title>
<form method="post">{% csrf_token %}{{ form.as_p }}<button type="submit" id="signin">Sign in</button></form>"""

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.urandom(32).hex(),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(STATE, "provider.sqlite3")}},
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "oauth2_provider",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": False,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"registration/login.html": LOGIN_HTML}),
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ],
    LOGIN_URL="/accounts/login/",
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    LOGGING={"version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}},
             "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}}},
    OAUTH2_PROVIDER={
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": open(KEY_PATH).read(),
        "OIDC_ISS_ENDPOINT": f"{BASE}/o",
        "PKCE_REQUIRED": True,
        "OAUTH2_VALIDATOR_CLASS": "provider.Validator",
        "SCOPES": {"openid": "OpenID Connect", "email": "e-mail", "profile": "profile", "groups": "groups"},
        "OAUTH_DEVICE_VERIFICATION_URI": f"{BASE}/o/device",
        "DEVICE_FLOW_INTERVAL": 1,
    },
)
django.setup()

from django.contrib.auth import views as auth_views  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import include, path  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402
from oauth2_provider.oauth2_validators import OAuth2Validator  # noqa: E402


class Validator(OAuth2Validator):
    """Puts e-mail and groups into ID tokens and userinfo (groups as a custom claim)."""

    oidc_claim_scope = None

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": True,
            "groups": sorted(group.name for group in user.groups.all()),
        }


sys.modules["provider"] = sys.modules[__name__]

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view()),
]


def seed():
    call_command("migrate", verbosity=0, interactive=False)
    password = os.environ["OIDC_USER_PASSWORD"]
    devs, _ = Group.objects.get_or_create(name="devs")
    for name, email, groups in (("alice", "alice@example.org", [devs]), ("bob", "bob@elsewhere.test", [])):
        user, _ = User.objects.get_or_create(username=name, defaults={"email": email})
        user.email = email
        user.set_password(password)
        user.save()
        user.groups.set(groups)
    Application = get_application_model()
    Application.objects.filter(client_id__in=["artifactstore-web", "artifactstore-cli", "other-client"]).delete()
    Application.objects.create(
        name="ArtifactStore web UI",
        client_id="artifactstore-web",
        client_secret=os.environ["OIDC_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1/ui/oidc/callback",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    Application.objects.create(
        name="ArtifactStore CLI",
        client_id="artifactstore-cli",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_DEVICE_CODE,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    # Another application at the same provider: its ID tokens are not meant for the store.
    Application.objects.create(
        name="Some other application",
        client_id="other-client",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1/callback",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


if __name__ == "__main__":
    seed()
    call_command("runserver", f"127.0.0.1:{PORT}", use_reloader=False, use_threading=True)

#!/usr/bin/env python3
"""OpenID sign-in (docs/identity.md) against a real provider: django-oauth-toolkit started by
scripts/oidc/start-provider.sh (its address and secrets come from ARTIFACTSTORE_TEST_OIDC_*).

Usage: test_oidc.py <artifactstore binary>

Starts `artifactstore serve` with the oidc* keys on a random loopback port and checks:
  - the web UI in headless Chromium: "Sign in with <provider>" -> the provider's login form ->
    back in the UI with a server-side session whose token has the claim rules' grants; an upload
    made with that session is audited with the identity (oidc:alice@example.org);
  - a callback without this browser's state is refused (401 page) and audited;
  - `artifactstore login --oidc`: the device grant at the provider, approved as alice, saves a
    store token that `whoami` shows with the rules' grants; bob, whom no rule matches, is refused
    (exit 4, forbidden) and the refusal is audited with his identity;
  - POST /v1/auth/oidc/token: a real ID token is exchanged; a forged one (payload changed), an
    alg=none one, an HS256 one, one meant for another client, and a junk access token are each
    refused with 401 and audited;
  - no secret used anywhere above (client secret, passwords, authorization codes, ID, access
    and refresh tokens, store tokens) appears in the server's log, the CLI's output or the audit.
Prints PASSED/FAILED lines and a closing count; exits non-zero on any failure. Skips (exit 0,
saying so) without the provider's environment, unless ARTIFACTSTORE_REQUIRE_OIDC_TESTS=1; the
browser part skips the same way without chromium/chromedriver/selenium.
"""
import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

FAILURES = []
PASSES = []
SECRETS = {}  # name -> value: every secret the run used, grepped for at the end


def check(name, condition, detail=""):
    (PASSES if condition else FAILURES).append(name)
    print(f"PASSED: {name}" if condition else f"FAILED: {name}: {detail}")


def remember(name, value):
    if isinstance(value, str) and len(value) >= 8:
        SECRETS[f"{name} #{len(SECRETS)}"] = value


def require(reason):
    if os.environ.get("ARTIFACTSTORE_REQUIRE_OIDC_TESTS") == "1":
        print(f"FAILED: OpenID tests cannot run: {reason}")
        sys.exit(1)
    print(f"SKIPPED: OpenID tests: {reason}")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browserless:
    """A cookie-keeping HTTP session against the provider (for the device approval and for
    fetching ID tokens at the protocol level), redirects not followed."""

    def __init__(self):
        import http.cookiejar
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def call(self, url, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def csrf(self, html):
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def sign_in(self, issuer, user, password):
        login = issuer.rsplit("/o", 1)[0] + "/accounts/login/"
        _, _, page = self.call(login)
        status, _, _ = self.call(login, {"csrfmiddlewaretoken": self.csrf(page), "username": user, "password": password},
                                 {"Referer": login})
        assert status == 302, f"provider login as {user}: {status}"

    def approve_device(self, issuer, user_code):
        device = issuer + "/device/"
        _, _, page = self.call(device)
        status, headers, _ = self.call(device, {"csrfmiddlewaretoken": self.csrf(page), "user_code": user_code}, {"Referer": device})
        confirm = urllib.parse.urljoin(device, headers["Location"])
        _, _, page = self.call(confirm)
        status, _, _ = self.call(confirm, {"csrfmiddlewaretoken": self.csrf(page), "action": "accept"}, {"Referer": confirm})
        return status

    def id_token(self, issuer, client_id, redirect_uri, secret=None):
        """Authorization code + PKCE at the protocol level; returns the provider's token answer."""
        verifier = secrets.token_urlsafe(32)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                                        "scope": "openid email groups", "state": "s", "nonce": "n",
                                        "code_challenge": challenge, "code_challenge_method": "S256"})
        status, headers, body = self.call(issuer + "/authorize/?" + query)
        assert status == 302, f"authorize: {status} {body[:200]}"
        code = urllib.parse.parse_qs(urllib.parse.urlparse(headers["Location"]).query)["code"][0]
        remember("authorization code", code)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
                "client_id": client_id}
        if secret:
            form["client_secret"] = secret
        status, _, body = self.call(issuer + "/token/", form)
        assert status == 200, f"token: {status} {body[:200]}"
        answer = json.loads(body)
        for key in ("id_token", "access_token", "refresh_token"):
            remember(key, answer.get(key))
        return answer


class Store:
    def __init__(self, binary, issuer, device_url, client_secret):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="artifactstore-oidc.")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = "ast_" + secrets.token_hex(8) + "_" + secrets.token_hex(32)
        remember("admin token", self.token)
        config = {
            "oidcIssuer": issuer, "oidcClientID": "artifactstore-web", "oidcDeviceClientID": "artifactstore-cli",
            "oidcDeviceAuthorizationURL": device_url, "oidcRedirectBase": self.url, "oidcScopes": ["openid", "email", "groups"],
            "oidcClaimRules": ["write:team=group:devs", "read:*=email-domain:example.org"], "oidcProviderName": "Test IdP",
            "oidcClientSecretFile": os.path.join(self.dir, "client-secret"),
        }
        with open(config["oidcClientSecretFile"], "w") as out:
            out.write(client_secret + "\n")
        with open(os.path.join(self.dir, "config.json"), "w") as out:
            json.dump(config, out)
        env = dict(os.environ, ARTIFACTSTORE_ADMIN_TOKEN=self.token, ARTIFACTSTORE_LOG_LEVEL="debug")
        self.log_path = os.path.join(self.dir, "serve.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--port", str(self.port), "--data-dir", os.path.join(self.dir, "data"),
             "--config", os.path.join(self.dir, "config.json")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(240):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("artifactstore serve did not start; log: " + self.log_path)

    def request(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if token is not False:
            request.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text.decode(errors="replace")

    def audit(self):
        request = urllib.request.Request(self.url + "/v1/audit", headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return text, [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def grant_names(grants):
    """`read:*`-style names of grants, whether the JSON spells them as strings or objects."""
    return sorted(g if isinstance(g, str) else f"{g.get('scope')}:{g.get('namespace') or '*'}" for g in grants)


def records(audit, **match):
    return [r for r in audit if all(str(r.get(k, "")).find(v) >= 0 for k, v in match.items())]


def browser_flow(store, issuer, password):
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        return "selenium is not installed"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        return "chromium or chromedriver is not installed"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    try:
        wait = WebDriverWait(driver, 30)
        driver.get(store.url + "/ui/signin")
        button = wait.until(ec.element_to_be_clickable((By.ID, "oidc-signin")))
        check("the sign-in page offers the provider", button.text == "Sign in with Test IdP", button.text)
        button.click()
        wait.until(ec.presence_of_element_located((By.ID, "id_username"))).send_keys("alice")
        driver.find_element(By.ID, "id_password").send_keys(password)
        driver.find_element(By.ID, "signin").click()
        wait.until(lambda d: d.current_url.rstrip("/").endswith("/ui") and "Signed in as" in d.page_source)
        check("the provider sends the browser back into the UI, signed in", "/ui" in driver.current_url, driver.current_url)
        session = driver.execute_async_script(
            "var done = arguments[0]; fetch('/ui/session').then(r => r.json()).then(done, e => done(String(e)));")
        grants = grant_names(session.get("grants", [])) if isinstance(session, dict) else []
        check("the session's token has the claim rules' grants", grants == ["read:*", "write:team"], session)
        cookies = {c["name"]: c for c in driver.get_cookies()}
        cookie = cookies.get("artifactstore_session", {})
        remember("web session id", cookie.get("value"))
        remember("CSRF token", session.get("csrfToken") if isinstance(session, dict) else None)
        check("the session cookie is HttpOnly and SameSite=Strict", cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", cookie)
        check("the sign-in state cookie is gone", "artifactstore_oidc" not in cookies, list(cookies))
        status = driver.execute_async_script(
            "var done = arguments[1]; fetch('/v1/namespaces/team/blobs', {method: 'POST', body: 'uploaded by alice',"
            " headers: {'X-CSRF-Token': arguments[0], 'Content-Type': 'application/octet-stream'}})"
            ".then(r => done(r.status), e => done(String(e)));", session.get("csrfToken"))
        check("an upload made with the session is allowed", status == 201, status)
    finally:
        driver.quit()
    _, audit = store.audit()
    check("the sign-in is audited with the identity", records(audit, action="ui.signin", actor="oidc:alice@example.org"), "no ui.signin")
    uploads = [r for r in records(audit, actor="oidc:alice@example.org", namespace="team") if r.get("action") != "ui.signin"]
    check("the session's upload is audited with the identity", uploads, [r.get("action") for r in audit][-8:])
    return None


def device_login(store, issuer, user, password, home):
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
    env.pop("ARTIFACTSTORE_TOKEN", None)
    process = subprocess.Popen([store.binary, "login", "--oidc", "--server", store.url], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    match = re.search(r"enter the code (\S+)", line)
    if not match:
        process.kill()
        out, err = process.communicate()
        return 99, line + err, out, env
    session = Browserless()
    session.sign_in(issuer, user, password)
    session.approve_device(issuer, match.group(1))
    out, err = process.communicate(timeout=120)
    return process.returncode, line + err, out, env


def main():
    if len(sys.argv) != 2:
        print("usage: test_oidc.py <artifactstore binary>")
        sys.exit(2)
    issuer = os.environ.get("ARTIFACTSTORE_TEST_OIDC_ISSUER")
    device_url = os.environ.get("ARTIFACTSTORE_TEST_OIDC_DEVICE_URL")
    client_secret = os.environ.get("ARTIFACTSTORE_TEST_OIDC_CLIENT_SECRET")
    password = os.environ.get("ARTIFACTSTORE_TEST_OIDC_PASSWORD")
    if not (issuer and device_url and client_secret and password):
        require("ARTIFACTSTORE_TEST_OIDC_* is not set (start the provider with scripts/oidc/start-provider.sh)")
    remember("client secret", client_secret)
    remember("user password", password)
    store = Store(sys.argv[1], issuer, device_url, client_secret)
    outputs = []
    try:
        status, body = store.request("POST", "/v1/namespaces", {"name": "team"})
        assert status in (200, 201), (status, body)
        status, body = store.request("GET", "/v1/auth/oidc", token=False)
        check("GET /v1/auth/oidc names the provider and the CLI's client, no secret",
              status == 200 and body["clientID"] == "artifactstore-cli" and client_secret not in json.dumps(body), body)

        skipped = browser_flow(store, issuer, password)
        if skipped:
            if os.environ.get("ARTIFACTSTORE_REQUIRE_UI_TESTS") == "1":
                check("the browser sign-in ran", False, skipped)
            else:
                print(f"SKIPPED: browser sign-in: {skipped}")

        request = urllib.request.Request(store.url + "/ui/oidc/callback?code=stolen&state=guessed")
        try:
            urllib.request.urlopen(request, timeout=30)
            check("a callback without this browser's state is refused", False, "200")
        except urllib.error.HTTPError as error:
            check("a callback without this browser's state is refused", error.code == 401, error.code)

        home = tempfile.mkdtemp(prefix="artifactstore-oidc-home.")
        code, err, out, env = device_login(store, issuer, "alice", password, home)
        outputs += [err, out]
        check("login --oidc (device grant) succeeds for alice", code == 0 and "Logged in" in out, f"{code} {err} {out}")
        login_file = os.path.join(home, ".config", "artifactstore", "config.json")
        if os.path.exists(login_file):
            remember("store token from login --oidc", json.load(open(login_file)).get("token"))
        who = subprocess.run([store.binary, "whoami", "--json"], env=env, capture_output=True, text=True)
        outputs += [who.stdout, who.stderr]
        grants = grant_names(json.loads(who.stdout).get("grants", [])) if who.returncode == 0 else who.stderr
        check("the saved token has the claim rules' grants", grants == ["read:*", "write:team"], grants)

        code, err, out, _ = device_login(store, issuer, "bob", password, tempfile.mkdtemp(prefix="artifactstore-oidc-bob."))
        outputs += [err, out]
        check("login --oidc for bob (no rule matches) exits 4 with forbidden", code == 4 and "forbidden" in err, f"{code} {err}")

        session = Browserless()
        session.sign_in(issuer, "alice", password)
        answer = session.id_token(issuer, "artifactstore-web", store.url + "/ui/oidc/callback", client_secret)
        status, body = store.request("POST", "/v1/auth/oidc/token", {"idToken": answer["id_token"]}, token=False)
        if status == 201:
            remember("store token from the exchange", body["token"])
        check("a real ID token is exchanged for a store token", status == 201 and body["info"]["name"] == "oidc-signin", body)
        header, payload, signature = answer["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        forged_claims = dict(claims, email="mallory@example.org", sub="999")
        forged_payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=").decode()
        none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        hs_header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": json.loads(
            base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")}).encode()).rstrip(b"=").decode()
        import hmac
        hs_signature = base64.urlsafe_b64encode(hmac.new(b"guess", f"{hs_header}.{payload}".encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        other = session.id_token(issuer, "other-client", "http://127.0.0.1/callback")
        cases = {
            "a forged ID token (payload changed)": (f"{header}.{forged_payload}.{signature}", "signature"),
            "an alg=none ID token": (f"{none_header}.{payload}.", "algorithm"),
            "an HS256 ID token": (f"{hs_header}.{payload}.{hs_signature}", "algorithm"),
            "an ID token meant for another client": (other["id_token"], "audience"),
        }
        for name, (token, reason) in cases.items():
            remember(name, token)
            status, body = store.request("POST", "/v1/auth/oidc/token", {"idToken": token}, token=False)
            check(f"{name} is refused with 401 ({reason})",
                  status == 401 and body["error"]["code"] == "unauthenticated" and reason in body["error"]["message"], (status, body))
        status, body = store.request("POST", "/v1/auth/oidc/token", {"accessToken": "junk-" + secrets.token_hex(8)}, token=False)
        check("a junk access token is refused with 401", status == 401, (status, body))
        status, body = store.request("POST", "/v1/auth/oidc/token", {}, token=False)
        check("an exchange with no token is refused with 400 invalidToken", status == 400 and body["error"]["code"] == "invalidToken", body)

        text, audit = store.audit()
        refused = records(audit, action="auth.denied", target="oidc.signin")
        actors = {r.get("actor") for r in refused}
        check("refusals are audited with the claimed identity",
              "claimed:oidc:mallory@example.org" in actors and "oidc:bob@elsewhere.test" in actors, actors)
        check("tokens minted by sign-ins are created by the identity", records(audit, action="token.create", actor="oidc:alice@example.org"),
              "no token.create by oidc:alice")
        outputs.append(text)
    finally:
        store.stop()
    with open(store.log_path) as log:
        outputs.append(log.read())
    combined = "\n".join(outputs)
    check("the captured output holds the run (identities, refusals)", "oidc:alice@example.org" in combined and "auth.denied" in combined,
          "the audit or log was not captured")
    leaked = [name for name, value in SECRETS.items() if value in combined]
    check(f"none of the {len(SECRETS)} secrets used appears in the server log, the CLI's output or the audit", not leaked, leaked)
    print(f"{len(PASSES)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()

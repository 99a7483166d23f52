#!/usr/bin/env python3
"""The web UI (docs/ui.md) in a real headless Chromium driven by selenium.

Usage: test_ui.py <artifactstore binary> [--screenshots DIR]

Starts `artifactstore serve` on a random loopback port with a fresh data directory and checks,
through the browser:
  - sign in; browse namespaces -> artifact -> version; download a file and compare its bytes;
  - verify a version; place and release a legal hold;
  - create a token in the UI, use it with curl, revoke it in the UI, curl gets 401;
  - a version whose paths and labels carry <script>, "><img onerror> and RTL text: no dialog,
    no element injected, the text shown as text;
  - a form posted from another origin without the CSRF token is refused and changes nothing;
  - an OCI repository pushed through /v2: tags, layers with sizes, an index by platform, and
    referrers grouped by artifact type, a hostile annotation shown as text;
  - the operations page: health, a GC dry run, the last GC and retention runs;
  - an unknown page answers the 404 page, an unknown session goes to sign-in, sign-out ends the
    session on the server;
  - the audit page after a tamper made directly in SQL (sqlite3) shows the first bad record.
Saves a screenshot of every page (1280 px wide, and the version page at 390 px) to DIR.
Prints PASSED/FAILED lines and exits non-zero on any failure. Skips (exit 0, saying so) when
chromium or chromedriver or selenium is missing, unless ARTIFACTSTORE_REQUIRE_UI_TESTS=1.
"""
import base64
import hashlib
import http.server
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

FAILURES = []
PASSES = []


def check(name, condition, detail=""):
    if condition:
        PASSES.append(name)
        print(f"PASSED: {name}")
    else:
        FAILURES.append(name)
        print(f"FAILED: {name}: {detail}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skip_or_fail(reason):
    if os.environ.get("ARTIFACTSTORE_REQUIRE_UI_TESTS") == "1":
        print(f"FAILED: web UI tests cannot run: {reason}")
        sys.exit(1)
    print(f"SKIPPED: web UI tests: {reason}")
    sys.exit(0)


class Store:
    """A running `artifactstore serve` and a few API calls made with the admin token."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="artifactstore-ui.")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = "ast_" + secrets.token_hex(8) + "_" + secrets.token_hex(32)
        env = dict(os.environ, ARTIFACTSTORE_ADMIN_TOKEN=self.token)
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--port", str(self.port), "--data-dir", os.path.join(self.dir, "data")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(240):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("artifactstore serve did not start; log: " + self.log.name)

    def request(self, method, path, body=None, token=None, content_type="application/json", headers=None):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            request.add_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, (json.loads(text) if text and "json" in response.headers.get("Content-Type", "") else text)
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def upload(self, namespace, payload):
        status, blob = self.request("POST", f"/v1/namespaces/{namespace}/blobs", payload, content_type="application/octet-stream")
        assert status == 201, (status, blob)
        return blob["address"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def push_oci_repository(store):
    """Pushes team/image through /v2: an image (config and two layers) tagged 1.0, an index of
    two platforms tagged multi, and two referrers of the image (a signature and an SBOM)."""
    def digest(data):
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def blob(data):
        status, body = store.request("POST", f"/v2/team/image/blobs/uploads/?digest={digest(data)}", data,
                                     content_type="application/octet-stream")
        assert status == 201, (status, body)
        return {"digest": digest(data), "size": len(data)}

    def manifest(reference, document, media_type="application/vnd.oci.image.manifest.v1+json"):
        data = json.dumps(document).encode()
        status, body = store.request("PUT", f"/v2/team/image/manifests/{reference}", data, content_type=media_type)
        assert status == 201, (status, body)
        return {"mediaType": media_type, "digest": digest(data), "size": len(data)}

    config = dict(blob(json.dumps({"architecture": "amd64", "os": "linux"}).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    layer = dict(blob(os.urandom(3000)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    small = dict(blob(os.urandom(500)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    image = manifest("1.0", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config,
                             "layers": [layer, small], "annotations": {"org.opencontainers.image.title": "demo image"}})
    arm_config = dict(blob(json.dumps({"architecture": "arm64", "os": "linux"}).encode()),
                      mediaType="application/vnd.oci.image.config.v1+json")
    arm = manifest("arm", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": arm_config, "layers": [small]})
    manifest("multi", {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        dict(image, platform={"os": "linux", "architecture": "amd64"}),
        dict(arm, platform={"os": "linux", "architecture": "arm64", "variant": "v8"})]},
        media_type="application/vnd.oci.image.index.v1+json")
    empty = dict(blob(b"{}"), mediaType="application/vnd.oci.empty.v1+json")
    hostile = '"><img src=x onerror=alert(6)><script>alert(7)</script> חתימה'
    for artifact_type, payload in [("application/vnd.dev.cosign.artifact.sig.v1+json", b"signature"),
                                   ("application/spdx+json", b'{"spdxVersion":"SPDX-2.3"}')]:
        part = dict(blob(payload), mediaType=artifact_type)
        document = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": artifact_type,
                    "config": empty, "layers": [part], "subject": image, "annotations": {"note": hostile}}
        data = json.dumps(document).encode()
        manifest(digest(data), document)
    return {"manifest": image["digest"], "layer": layer["digest"], "hostile": hostile}


def shot(driver, path):
    """A screenshot of the whole page (at most 2,400 px tall), not only the window."""
    content = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width = driver.execute_script("return document.documentElement.clientWidth")
    clip = {"x": 0, "y": 0, "width": width, "height": min(content["height"], 2400), "scale": 1}
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    with open(path, "wb") as file:
        file.write(base64.b64decode(data["data"]))


def curl_status(url, token):
    result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}", url],
                            capture_output=True, text=True, timeout=30)
    return result.stdout.strip()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    binary = sys.argv[1]
    shots = sys.argv[sys.argv.index("--screenshots") + 1] if "--screenshots" in sys.argv else tempfile.mkdtemp(prefix="ui-shots.")
    os.makedirs(shots, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        skip_or_fail("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.common.exceptions import NoAlertPresentException, TimeoutException
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        skip_or_fail("selenium is not installed (pip install selenium)")

    store = Store(binary)
    downloads = tempfile.mkdtemp(prefix="ui-downloads.")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    # Every alert() (and confirm/prompt from injected markup) is recorded before any page script runs.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__dialogs = [];
        window.alert = function (m) { window.__dialogs.push(String(m)); };
    """})
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    wait = WebDriverWait(driver, 20)
    cross_site = None
    try:
        u = store.url
        # --- data ---------------------------------------------------------------------------
        assert store.request("POST", "/v1/namespaces", {"name": "team"})[0] == 201
        payload = os.urandom(200_000) + b"end of the release archive\n"
        readme = "ArtifactStore demo\n".encode()
        archive = store.upload("team", payload)
        notes = store.upload("team", readme)
        files = [{"path": "dist/app-1.0.0.tar.gz", "address": archive, "mediaType": "application/gzip"},
                 {"path": "README.txt", "address": notes, "mediaType": "text/plain"}]
        for version in ["1.0.0", "1.1.0"]:
            status, _ = store.request("PUT", f"/v1/namespaces/team/artifacts/app/versions/{version}",
                                      {"files": files, "labels": {"commit": "4f2a9c1", "branch": "main"}})
            assert status == 201, status
        assert store.request("PUT", "/v1/namespaces/team/artifacts/app/tags/latest", {"version": "1.1.0"})[0] == 200
        hostile_path = '<script>alert("path")</script>/"><img src=x onerror=alert(1)>.txt'
        rtl_path = "שלום/مرحبا-1.txt"
        hostile_label = '"><img src=x onerror=alert(2)><script>alert(3)</script> עברית'
        status, body = store.request("PUT", "/v1/namespaces/team/artifacts/evil/versions/1",
                                     {"files": [{"path": hostile_path, "address": notes}, {"path": rtl_path, "address": notes}],
                                      "labels": {"note": hostile_label}})
        check("hostile names are accepted by the API (so the UI must escape them)", status == 201, f"{status} {body}")
        store.request("PUT", "/v1/namespaces/team/retention-policies/keep-10", {"artifactGlob": "**", "keepLast": 10})
        oci = push_oci_repository(store)

        # --- signing in -------------------------------------------------------------------
        driver.get(u + "/")
        wait.until(EC.url_contains("/ui/signin"))
        check("/ without a session lands on the sign-in page", driver.current_url.endswith("/ui/signin"), driver.current_url)
        shot(driver, os.path.join(shots, "signin.png"))
        # By keyboard: the token field has focus, Enter submits.
        driver.switch_to.active_element.send_keys(store.token + Keys.ENTER)
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "team")))
        check("sign-in shows the namespaces", "Namespaces" in driver.find_element(By.TAG_NAME, "h1").text)
        cookie = driver.get_cookie("artifactstore_session")
        check("the session cookie is HttpOnly and SameSite=Strict",
              cookie is not None and cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", str(cookie))
        stored = driver.execute_script(
            "return JSON.stringify(window.localStorage) + JSON.stringify(window.sessionStorage) + document.cookie")
        check("the token is in no storage a script can read", store.token not in stored and "ast_" not in stored, stored[:200])
        check("the token is in no URL", store.token not in driver.current_url)
        wait.until(lambda d: d.find_elements(By.XPATH, "//td[contains(., '×')]"))
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        check("the first Tab reaches the skip link", driver.switch_to.active_element.text == "Skip to content",
              driver.switch_to.active_element.text)
        shot(driver, os.path.join(shots, "namespaces.png"))

        # --- browse to a file and download it ---------------------------------------------
        driver.find_element(By.LINK_TEXT, "team").click()
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "app")))
        wait.until(lambda d: d.find_elements(By.XPATH, "//td[contains(., 'keep-10')]"))
        shot(driver, os.path.join(shots, "namespace.png"))
        filter_box = driver.find_element(By.ID, "artifact-filter")
        filter_box.send_keys("ap" + Keys.ENTER)
        wait.until(EC.url_contains("prefix=ap"))
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "app")))
        names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "tr[data-name] a")]
        check("the artifact filter asks the server for the names that start with it", names == ["app"], str(names))
        driver.back()
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "app")))
        driver.find_element(By.LINK_TEXT, "app").click()
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "1.0.0")))
        wait.until(lambda d: d.find_elements(By.XPATH, "//td[normalize-space(.)='latest']"))
        shot(driver, os.path.join(shots, "artifact.png"))
        driver.find_element(By.ID, "tag-filter").send_keys("latest")
        driver.find_element(By.XPATH, "//button[normalize-space(.)='Find tag']").click()
        wait.until(EC.url_contains("/versions/1.1.0"))
        check("the tag filter goes to the version it names", driver.current_url.endswith("/versions/1.1.0"), driver.current_url)
        driver.get(u + "/ui/namespaces/team/artifacts/app/versions/1.0.0")
        link = wait.until(EC.element_to_be_clickable((By.LINK_TEXT, "dist/app-1.0.0.tar.gz")))
        wait.until(lambda d: "sha256:" in d.find_element(By.ID, "files").text)
        sha = "sha256:" + hashlib.sha256(payload).hexdigest()
        check("the version page shows the file's SHA-256", sha in driver.find_element(By.ID, "files").text)
        check("the version page shows the file's BLAKE3 address", archive in driver.find_element(By.ID, "files").text)
        link.click()
        target = os.path.join(downloads, "app-1.0.0.tar.gz")
        for _ in range(80):
            if os.path.exists(target) and not os.path.exists(target + ".crdownload"):
                break
            time.sleep(0.25)
        downloaded = open(target, "rb").read() if os.path.exists(target) else b""
        check("a file downloaded from the version page has the stored bytes", downloaded == payload,
              f"{len(downloaded)} bytes vs {len(payload)}")

        # --- verify, hold -------------------------------------------------------------------
        driver.find_element(By.ID, "verify").click()
        wait.until(lambda d: any(word in d.find_element(By.ID, "verify-result").text for word in ["Verified", "failed"]))
        check("verify shows that every file matches", "Verified: every file matches" in driver.find_element(By.ID, "verify-result").text,
              driver.find_element(By.ID, "verify-result").text)
        reason = wait.until(EC.presence_of_element_located((By.ID, "hold-reason")))
        reason.send_keys("litigation 2026-17")
        driver.find_element(By.CSS_SELECTOR, "#place-hold button").click()
        wait.until(EC.presence_of_element_located((By.ID, "release-hold")))
        status, holds = store.request("GET", "/v1/namespaces/team/holds")
        check("placing a hold in the UI holds the version", any(h["version"] == "1.0.0" for h in holds["items"]), str(holds))
        status, _ = store.request("DELETE", "/v1/namespaces/team/artifacts/app/versions/1.0.0")
        check("a held version cannot be deleted", status == 409, str(status))
        driver.execute_script("window.scrollTo(0, 0)")
        shot(driver, os.path.join(shots, "version.png"))
        driver.find_element(By.ID, "release-hold").click()
        wait.until(EC.presence_of_element_located((By.ID, "hold-reason")))
        status, holds = store.request("GET", "/v1/namespaces/team/holds")
        check("releasing the hold in the UI releases it", not holds["items"], str(holds))
        driver.set_window_size(390, 844)
        driver.refresh()
        wait.until(EC.presence_of_element_located((By.LINK_TEXT, "dist/app-1.0.0.tar.gz")))
        width = driver.execute_script("return document.documentElement.scrollWidth")
        check("the version page fits 390 px (no page-wide horizontal scroll)", width <= 400, f"scrollWidth {width}")
        shot(driver, os.path.join(shots, "version-390.png"))
        driver.set_window_size(1280, 900)

        # --- hostile names ------------------------------------------------------------------
        driver.get(u + "/ui/namespaces/team/artifacts/evil/versions/1")
        wait.until(lambda d: "مرحبا" in d.find_element(By.ID, "files").text)
        time.sleep(0.5)
        dialogs = driver.execute_script("return window.__dialogs")
        try:
            driver.switch_to.alert
            open_dialog = True
        except NoAlertPresentException:
            open_dialog = False
        check("hostile names run nothing (no alert called, no dialog open)", dialogs == [] and not open_dialog, str(dialogs))
        injected = driver.execute_script("return document.querySelectorAll('main img, main script, main iframe').length")
        check("hostile names inject no element", injected == 0, str(injected))
        text = driver.find_element(By.TAG_NAME, "main").text
        check("a path with <script> and \"><img onerror> shows as text", hostile_path in text, text[:300])
        check("a label with markup and RTL text shows as text", hostile_label in text, text[:300])
        check("RTL path segments show as text", rtl_path in text, text[:300])
        shot(driver, os.path.join(shots, "version-hostile.png"))

        # --- an OCI repository ----------------------------------------------------------------
        driver.get(u + "/ui/namespaces/team/artifacts/image")
        wait.until(EC.element_to_be_clickable((By.PARTIAL_LINK_TEXT, "View as an OCI repository"))).click()
        wait.until(lambda d: "Referring to" in d.find_element(By.ID, "oci-referrers").text)
        manifests = driver.find_element(By.ID, "oci-manifests").text
        referrers = driver.find_element(By.ID, "oci-referrers").text
        tags_text = driver.find_element(By.ID, "oci-tags").text
        check("the OCI page lists the tags", "1.0" in tags_text and "multi" in tags_text and "arm" in tags_text, tags_text)
        check("the OCI page shows the image's layers with their sizes",
              oci["layer"] in manifests and "2.9 KiB" in manifests and oci["manifest"] in manifests, manifests[:400])
        check("the OCI page shows the index by platform", "linux/amd64" in manifests and "linux/arm64/v8" in manifests, manifests[:400])
        check("the OCI page groups referrers by artifact type",
              "application/vnd.dev.cosign.artifact.sig.v1+json" in referrers and "application/spdx+json" in referrers
              and oci["manifest"] in referrers, referrers[:400])
        check("hostile OCI annotations show as text and run nothing",
              oci["hostile"] in referrers and driver.execute_script("return window.__dialogs") == []
              and driver.execute_script("return document.querySelectorAll('main img, main script').length") == 0, referrers[:400])
        shot(driver, os.path.join(shots, "oci.png"))

        # --- tokens -------------------------------------------------------------------------
        driver.get(u + "/ui/tokens")
        wait.until(EC.presence_of_element_located((By.ID, "token-name"))).send_keys("ci-reader")
        driver.find_element(By.CSS_SELECTOR, "#create-token button[type=submit]").click()
        secret = wait.until(EC.presence_of_element_located((By.ID, "new-token"))).text.strip()
        check("creating a token shows its secret once", secret.startswith("ast_"), secret[:10])
        unlabelled = driver.execute_script(
            "return Array.from(document.querySelectorAll('main input, main select'))"
            ".filter(function (i) { return !i.closest('label') && !(i.labels && i.labels.length); }).length")
        check("every field of the tokens page has a label", unlabelled == 0, str(unlabelled))
        check("the new token works with curl", curl_status(u + "/v1/whoami", secret) == "200")
        token_id = secret.split("_")[1]
        shot(driver, os.path.join(shots, "tokens.png"))
        driver.refresh()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"button[data-token='{token_id}']")))
        check("the secret is not shown again after a reload", secret not in driver.page_source)
        driver.find_element(By.CSS_SELECTOR, f"button[data-token='{token_id}']").click()
        driver.switch_to.alert.accept()  # the confirm() before revoking
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"button[data-token='{token_id}']"))
        check("after revoking in the UI, curl with the token gets 401", curl_status(u + "/v1/whoami", secret) == "401")

        # --- cross-site form post without the CSRF token ------------------------------------
        status, before = store.request("GET", "/v1/tokens?limit=1000")
        attacker_port = free_port()
        page = f"""<!doctype html><html><body>
<form id="f" method="POST" action="{u}/v1/tokens" enctype="text/plain">
<input type="hidden" name='{{"name":"evil","grants":[{{"scope":"admin","namespace":null}}],"x":"' value='"}}'>
</form>
<form id="g" method="POST" action="{u}/v1/namespaces" enctype="text/plain">
<input type="hidden" name='{{"name":"evil","x":"' value='"}}'>
</form>
<script>document.getElementById(location.hash === "#g" ? "g" : "f").submit();</script>
</body></html>"""

        class Attacker(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page.encode())

            def log_message(self, *args):
                pass

        cross_site = http.server.HTTPServer(("127.0.0.1", attacker_port), Attacker)
        threading.Thread(target=cross_site.serve_forever, daemon=True).start()
        for fragment in ["", "#g"]:
            driver.get(f"http://127.0.0.1:{attacker_port}/{fragment}")
            wait.until(lambda d: d.current_url.startswith(u))
            time.sleep(0.5)
            answer = driver.find_element(By.TAG_NAME, "body").text
            check(f"a form posted from another origin{' to /v1/namespaces' if fragment else ' to /v1/tokens'} is refused",
                  "forbidden" in answer or "unauthenticated" in answer, answer[:200])
        status, after = store.request("GET", "/v1/tokens?limit=1000")
        check("the cross-site posts created no token", len(after["items"]) == len(before["items"]),
              f"{len(before['items'])} -> {len(after['items'])}")
        check("the cross-site posts created no namespace", store.request("GET", "/v1/namespaces/evil")[0] == 404)

        # --- operations, audit, 404 -----------------------------------------------------------
        driver.get(u + "/ui/operations")
        wait.until(lambda d: "Server ready" in d.find_element(By.ID, "health").text)
        driver.find_element(By.ID, "gc-dry-run").click()
        wait.until(lambda d: "dryRun" in d.find_element(By.ID, "gc-result").text)
        check("the GC dry run shows its report", "true" in driver.find_element(By.ID, "gc-result").text)
        wait.until(lambda d: "garbage collection" in d.find_element(By.ID, "runs").text)
        runs_text = driver.find_element(By.ID, "runs").text
        check("the operations page shows the last GC and retention runs with their reports",
              "retention" in runs_text and "blobsDeleted" in runs_text and "versionsExamined" in runs_text, runs_text[:300])
        shot(driver, os.path.join(shots, "operations.png"))
        driver.get(u + "/ui/audit")
        wait.until(lambda d: "Chain intact" in d.find_element(By.ID, "chain").text)
        wait.until(lambda d: d.find_elements(By.XPATH, "//td[normalize-space(.)='token.revoke']"))
        check("the audit page shows the records, including the UI's actions",
              bool(driver.find_elements(By.XPATH, "//td[normalize-space(.)='legal_hold.place' or normalize-space(.)='hold.place']"))
              or "hold" in driver.find_element(By.TAG_NAME, "main").text)
        shot(driver, os.path.join(shots, "audit.png"))
        driver.get(u + "/ui/no/such/page")
        check("an unknown page answers the 404 page", "Page not found" in driver.find_element(By.TAG_NAME, "h1").text)
        shot(driver, os.path.join(shots, "not-found.png"))

        # --- every page reads at 390 px: no page-wide horizontal scroll (wide tables scroll inside) --
        driver.set_window_size(390, 844)
        too_wide = []
        for path in ["/ui/namespaces", "/ui/namespaces/team", "/ui/namespaces/team/artifacts/app", "/ui/namespaces/team/artifacts/image/oci",
                     "/ui/audit", "/ui/tokens", "/ui/operations"]:
            driver.get(u + path)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main table"))
            width = driver.execute_script("return document.documentElement.scrollWidth")
            if width > 400:
                too_wide.append(f"{path}: {width}")
        driver.set_window_size(1280, 900)
        check("every page fits 390 px", not too_wide, ", ".join(too_wide))

        # --- a tamper made in SQL -------------------------------------------------------------
        database = os.path.join(store.dir, "data", "metadata.sqlite")
        with sqlite3.connect(database, timeout=30) as db:
            victim = db.execute("SELECT seq FROM audit_log WHERE action = 'token.create' ORDER BY seq LIMIT 1 OFFSET 1").fetchone()[0]
            db.execute("UPDATE audit_log SET detail = 'nothing to see' WHERE seq = ?", (victim,))
        driver.get(u + "/ui/audit")
        wait.until(lambda d: "Chain" in d.find_element(By.ID, "chain").text)
        chain = driver.find_element(By.ID, "chain").text
        check(f"after a tamper in SQL the audit page names the first bad record ({victim})", f"record {victim} " in chain, chain)
        shot(driver, os.path.join(shots, "audit-tampered.png"))

        # --- sessions end ---------------------------------------------------------------------
        session_id = driver.get_cookie("artifactstore_session")["value"]
        driver.find_element(By.XPATH, "//button[normalize-space(.)='Sign out']").click()
        wait.until(EC.url_contains("/ui/signin"))
        request = urllib.request.Request(u + "/v1/whoami", headers={"Cookie": f"artifactstore_session={session_id}"})
        try:
            urllib.request.urlopen(request, timeout=10)
            ended = False
        except urllib.error.HTTPError as error:
            ended = error.code == 401
        check("after sign-out the old session cookie gets 401", ended)
        driver.add_cookie({"name": "artifactstore_session", "value": "0" * 64, "path": "/"})
        driver.get(u + "/ui/tokens")
        check("an unknown session goes to sign-in, never a 500", driver.current_url.endswith("/ui/signin"), driver.current_url)
    except TimeoutException as error:
        check("the browser found what it waited for", False, f"timeout at {driver.current_url}: {error.msg}")
        shot(driver, os.path.join(tempfile.gettempdir(), "ui-timeout.png"))
    finally:
        driver.quit()
        shutil.rmtree(downloads, ignore_errors=True)
        if cross_site:
            cross_site.shutdown()
        store.stop()
    print(f"== web UI: {len(PASSES)} passed, {len(FAILURES)} failed (screenshots in {shots}, server dir {store.dir})")
    if FAILURES:
        print("== web UI FAILED")
        sys.exit(1)
    shutil.rmtree(store.dir, ignore_errors=True)
    print("== web UI PASSED")


if __name__ == "__main__":
    main()

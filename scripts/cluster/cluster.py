"""Several `artifactstore serve` processes on one PostgreSQL database and one S3 bucket.

Shared by the multi-node test suite (test_cluster.py) and the write benchmark (bench_cluster.py):
starts and stops real server processes and gives a client that spreads requests over them the way
a load balancer would.
"""

import base64
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_schema(postgres_url):
    """A fresh, empty schema on the PostgreSQL server; returns the database URL that uses it."""
    schema = "cluster_" + secrets.token_hex(6)
    subprocess.run(["psql", "-q", postgres_url, "-c", f"CREATE SCHEMA {schema}"], check=True)
    parts = urllib.parse.urlsplit(postgres_url)
    query = urllib.parse.parse_qsl(parts.query)
    query = [(k, v) for k, v in query if k not in ("schema", "sslmode")] + [("sslmode", "disable"), ("schema", schema)]
    return schema, urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def drop_schema(postgres_url, schema):
    subprocess.run(["psql", "-q", postgres_url, "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], check=False)


def make_bucket(endpoint):
    import boto3

    bucket = "cluster-" + secrets.token_hex(6)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return bucket


class Node:
    """One `artifactstore serve` process; restartable on the same port and database."""

    def __init__(self, index, binary, database, backend, token, workdir, extra_env=None):
        self.index = index
        self.binary = binary
        self.database = database
        self.backend = backend
        self.token = token
        self.port = free_port()
        self.data_dir = os.path.join(workdir, f"node{index}")
        self.log_path = os.path.join(workdir, f"node{index}.log")
        self.extra_env = extra_env or {}
        self.process = None
        self.starts = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ)
        env.update(self.extra_env)
        env["ARTIFACTSTORE_ADMIN_TOKEN"] = self.token
        log = open(self.log_path, "a")
        self.starts += 1
        log.write(f"\n==== start {self.starts} ====\n")
        log.flush()
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", str(self.port), "--data-dir", self.data_dir,
             "--database", self.database, "--backend", self.backend],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node {self.index} exited with {self.process.returncode}; log: {self.log_path}")
            try:
                if requests.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"node {self.index} not ready after {timeout} s; log: {self.log_path}")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def alive(self):
        return self.process is not None and self.process.poll() is None


class Cluster:
    def __init__(self, binary, postgres_url, s3_endpoint, workdir, size=3, extra_env=None):
        self.postgres_url = postgres_url
        self.schema, self.database = make_schema(postgres_url)
        self.bucket = make_bucket(s3_endpoint)
        backend = f"default=s3://{self.bucket}/blobs?region=us-east-1&endpoint={s3_endpoint}&pathStyle=true"
        self.token = "ast_" + secrets.token_hex(8) + "_" + secrets.token_hex(32)
        # Every node of one database seals and verifies the audit chain with the same key.
        key_file = os.path.join(workdir, "audit.key")
        if not os.path.exists(key_file):
            with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write("k1 " + base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        env = dict(extra_env or {})
        env["ARTIFACTSTORE_AUDIT_KEY_FILE"] = key_file
        self.nodes = [Node(i, binary, self.database, backend, self.token, workdir, env) for i in range(size)]
        # The nodes a load balancer in front would send new requests to.
        self.rotation = set(range(size))

    def in_rotation(self):
        return [node for node in self.nodes if node.index in self.rotation] or self.nodes

    def drain(self, node, seconds=0.5):
        """Takes `node` out of the rotation and waits for requests already routed to it to have
        connected, as a load balancer's deregistration delay does."""
        self.rotation.discard(node.index)
        time.sleep(seconds)

    def restore(self, node):
        self.rotation.add(node.index)

    def start_all(self):
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()

    def stop_all(self):
        for node in self.nodes:
            node.stop()

    def close(self):
        self.stop_all()
        drop_schema(self.postgres_url, self.schema)

    def headers(self, token=None):
        return {"Authorization": f"Bearer {token or self.token}"}


RETRYABLE_STATUSES = {503}


def request(method, node, path, token, retry_nodes=None, **kwargs):
    """One request, retried only where HTTP says the request was not processed: the connection
    was refused (nothing was sent), or the server answered 503. With `retry_nodes`, a retry goes to
    the next node in that list (a load balancer's behaviour); otherwise to the same node."""
    nodes = retry_nodes or [node]
    start = nodes.index(node) if node in nodes else 0
    headers = dict(kwargs.pop("headers", {}))
    headers["Authorization"] = f"Bearer {token}"
    last = None
    for attempt in range(60):
        target = nodes[(start + attempt) % len(nodes)]
        try:
            response = requests.request(method, target.url + path, headers=headers, timeout=60, **kwargs)
        except requests.exceptions.ConnectionError as error:
            if not _refused(error):
                raise
            last = error
            time.sleep(0.05)
            continue
        if response.status_code in RETRYABLE_STATUSES:
            last = response
            time.sleep(float(response.headers.get("Retry-After", "0.1") or 0.1))
            continue
        return response
    raise RuntimeError(f"{method} {path}: still not served after 60 attempts: {last}")


def _refused(error):
    text = repr(error)
    return "Connection refused" in text or "Errno 111" in text


class Pusher(threading.Thread):
    """Pushes a small distinct blob and a one-file version, again and again, through the nodes in
    turn; remembers every version the server acknowledged."""

    def __init__(self, cluster, namespace, index, stop, phase):
        super().__init__(daemon=True)
        self.phase = phase
        self.cluster = cluster
        self.namespace = namespace
        self.index = index
        self.stop_event = stop
        self.acknowledged = []  # (artifact, version, bytes)
        self.latencies = []  # seconds from the blob's POST to the version's 201
        self.errors = []

    def run(self):
        count = 0
        while not self.stop_event.is_set():
            nodes = self.cluster.in_rotation()
            node = nodes[(self.index + count) % len(nodes)]
            payload = os.urandom(4096)
            started = time.monotonic()
            artifact, version = f"{self.phase}-p{self.index}", f"v{count}"
            try:
                blob = request("POST", node, f"/v1/namespaces/{self.namespace}/blobs", self.cluster.token,
                               retry_nodes=nodes, data=payload, headers={"Content-Type": "application/octet-stream"})
                if blob.status_code != 201:
                    self.errors.append(f"blob {artifact}:{version} via node {node.index}: {blob.status_code} {blob.text[:200]}")
                    count += 1
                    continue
                address = blob.json()["address"]
                body = {"files": [{"path": "data.bin", "address": address}]}
                put = request("PUT", nodes[(self.index + count + 1) % len(nodes)],
                              f"/v1/namespaces/{self.namespace}/artifacts/{artifact}/versions/{version}",
                              self.cluster.token, retry_nodes=nodes, json=body)
                if put.status_code == 201:
                    self.acknowledged.append((artifact, version, payload))
                    self.latencies.append(time.monotonic() - started)
                else:
                    self.errors.append(f"version {artifact}:{version}: {put.status_code} {put.text[:200]}")
            except Exception as error:  # a failed request is a failure of the suite
                self.errors.append(f"{artifact}:{version}: {error!r}")
            count += 1


def run_pushers(cluster, namespace, phase, count, seconds, during=None):
    stop = threading.Event()
    pushers = [Pusher(cluster, namespace, i, stop, phase) for i in range(count)]
    for pusher in pushers:
        pusher.start()
    if during:
        during()
    else:
        time.sleep(seconds)
    stop.set()
    for pusher in pushers:
        pusher.join(timeout=120)
    return pushers



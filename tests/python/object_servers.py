"""Loopback servers for the object-storage tests, started and stopped by the
tests themselves: an S3-compatible server (moto's, as its own process),
nginx serving a folder with Range support, and a fault-injecting proxy.
Nothing listens beyond 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


class MotoS3:
    """moto's S3 server on loopback; `client` is a boto3 client to it, `env`
    the AWS_* variables that point mimicit at it."""

    def __init__(self) -> None:
        import boto3

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.env = {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint,
        }
        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


NGINX_CONF = """
{user}
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
worker_processes 1;
events {{ worker_connections 64; }}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/tmp;
  proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp;
  scgi_temp_path {root}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {files};
  }}
}}
"""


class Nginx:
    """nginx (Debian's) serving `files` on loopback: plain HTTP with Range."""

    def __init__(self, files: Path, workdir: Path) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(binary):
            raise FileNotFoundError("nginx is not installed (scripts/setup.sh installs nginx-light)")
        self.port = free_port()
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        conf = workdir / "nginx.conf"
        # As root, the workers would run as nobody, who cannot read pytest's
        # private temporary folders.
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(NGINX_CONF.format(user=user, root=workdir, port=self.port, files=files))
        self.process = subprocess.Popen([binary, "-c", str(conf), "-e", str(workdir / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process)
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = workdir / "access.log"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class FaultProxy:
    """An HTTP proxy on loopback in front of `upstream` ("127.0.0.1:port")
    that answers the next requests with the faults queued in `faults`, in
    order, then forwards the rest untouched. Faults: "503", "429", "403",
    "500" (that status, S3-style XML body), "reset" (the connection closed
    before any response), "lost" (the request forwarded and done upstream,
    then the connection closed before the answer), "truncate" (a GET's headers with the full
    Content-Length, half the body, then the connection closed), "slow" (no
    byte for `slow_seconds`, then the real response). `match`, when set,
    picks the requests the faults apply to (`match(method, path)`); the
    others pass untouched. `requests` counts every request seen, `log`
    lists (method, path, fault), `body_bytes` counts the response body
    bytes sent to clients."""

    def __init__(self, upstream: str, slow_seconds: float = 3.0) -> None:
        import http.client
        import http.server
        import threading

        proxy = self
        self.faults: list[str] = []
        self.match = None
        self.log: list[tuple[str, str, str]] = []
        self.body_bytes = 0
        self.lock = threading.Lock()
        self.slow_seconds = slow_seconds

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    wanted = proxy.match is None or proxy.match(self.command, self.path)
                    fault = proxy.faults.pop(0) if proxy.faults and wanted else ""
                    proxy.log.append((self.command, self.path, fault))
                if fault == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault.isdigit():
                    payload = f"<Error><Code>Injected{fault}</Code></Error>".encode()
                    self.send_response(int(fault))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                    return
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                conn = http.client.HTTPConnection(upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items()}
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except OSError:  # the upstream is gone (stopped after a test): a reset
                    self.close_connection = True
                    return
                if fault == "lost":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(response.status)
                for k, v in response.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data) if self.command != "HEAD" else
                                                       int(response.getheader("Content-Length") or 0)))
                self.end_headers()
                if self.command == "HEAD":
                    return
                if fault == "truncate":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)
                with proxy.lock:
                    proxy.body_bytes += len(data)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""`mimicit serve` over HTTP (http.client, raw sockets): pages and APIs on a
generated dataset (viewer_data.py) checked against the generated records,
Pillow, the Python reference of the prompts (dataset_reference.py) and
`mimicit validate --json`; escaping of hostile records; 404s and path
traversal attempts; encoded NULs, long URLs, huge limits and bodies; the
Host check; many parallel requests while slow ones are in flight; SIGINT
and SIGTERM.

The server runs as the CLI (fixture start_viewer in conftest.py), once per
module, and again under the sanitizer build when MIMICIT_ASAN_BIN is set.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import dataset_reference
from viewer_data import (IMG_ATTACK_ANSWER, IMG_ATTACK_ID, MISSING_IMAGE_ID, MISSING_IMAGE_RECORD, ODD_IMAGE_ID,
                         SCRIPT_ID, SCRIPT_INSTRUCTION, write_viewer_data)

GROUPS = ("IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT")
BIG_IMAGE = (2400, 1800)
ASSETS = Path(__file__).resolve().parents[2] / "src" / "server" / "assets"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_viewer_data(tmp_path_factory.mktemp("viewer"), big_image=BIG_IMAGE)


@pytest.fixture(scope="module", params=["cli", "asan"])
def viewer(request, data, start_viewer):
    binary = None
    if request.param == "asan":
        binary = os.environ.get("MIMICIT_ASAN_BIN")
        if not binary or not Path(binary).is_file():
            pytest.skip("no sanitizer build of the CLI (set MIMICIT_ASAN_BIN)")
    return start_viewer(data.yaml, binary=binary)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]]

    def json(self):
        assert self.headers["content-type"].startswith("application/json"), self.headers
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(viewer, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None,
          timeout: float = 20) -> Reply:
    """One request with `path` sent exactly as given (no normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        headers = response.getheaders()
        return Reply(response.status, {k.lower(): v for k, v in headers}, response.read(), headers)
    finally:
        connection.close()


def quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def raw_request(viewer, data: bytes, timeout: float = 10) -> bytes:
    """Sends raw bytes, returns everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", viewer.port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)   # nothing more: the server sees the end
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def assert_alive(viewer):
    assert viewer.process.poll() is None, viewer.stderr()
    assert fetch(viewer, "/api/summary").status == 200


# ---------------------------------------------------------------------------
# Pages and APIs

def test_listens_on_loopback_with_the_printed_url(viewer):
    assert viewer.url.startswith("http://127.0.0.1:")
    assert viewer.port > 0
    reply = fetch(viewer, "/")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"


def test_index_lists_groups_datasets_and_counts(viewer, data):
    page = fetch(viewer, "/").text()
    for group, name in zip(GROUPS, ("VQA", "LIMA", "VID", "ICL")):
        assert f'id="group-{group}"' in page
        assert f"<td>{name}</td>" in page
    summary = fetch(viewer, "/api/summary").json()
    counts = {g["group"]: g["samples"] for g in summary["groups"]}
    assert counts == {"IMAGE_TEXT": len(data.records["IMAGE_TEXT"]), "TEXT_ONLY": 8, "VIDEO_TEXT": 4,
                      "IMAGE_TEXT_IN_CONTEXT": len(data.train)}
    assert [d["records"] for g in summary["groups"] for d in g["datasets"]] == \
        [len(data.records[g]) for g in GROUPS]
    assert {g["group"]: g["images"] for g in summary["groups"]}["IMAGE_TEXT"] == len(data.images)


@pytest.mark.parametrize("page", ["/", "/browse", "/search?q=x", "/stats", "/validation", f"/sample/{SCRIPT_ID}",
                                  "/api/summary", "/static/app.js", "/thumb/VQA_IMG_000_0", "/image/VQA_IMG_000_0",
                                  "/no/such/page", "/api/sample/NOPE"])
def test_every_answer_has_a_strict_content_security_policy(viewer, page):
    reply = fetch(viewer, page)
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "default-src 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    names = [name.lower() for name, _ in reply.header_list]
    assert len(names) == len(set(names)), reply.header_list   # each header once


@pytest.mark.parametrize("name", ["app.js", "style.css", "favicon.svg"])
def test_static_files_are_the_asset_files(viewer, name):
    reply = fetch(viewer, f"/static/{name}")
    assert reply.status == 200
    assert reply.body == (ASSETS / name).read_bytes()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_app_js_is_valid_javascript():
    result = subprocess.run(["node", "--check", str(ASSETS / "app.js")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_hostile_records_are_escaped_in_html(viewer):
    page = fetch(viewer, f"/sample/{SCRIPT_ID}").text()
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<script>window" not in page
    # The only scripts are the app's own, loaded from /static.
    assert page.count("<script") == 1 and '<script src="/static/app.js" defer></script>' in page
    page = fetch(viewer, f"/sample/{IMG_ATTACK_ID}").text()
    assert "&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;" in page
    assert "onerror=\"" not in page
    # JSON keeps the text as it is (the client sets it with textContent).
    assert fetch(viewer, f"/api/sample/{SCRIPT_ID}").json()["instruction"] == SCRIPT_INSTRUCTION
    assert fetch(viewer, f"/api/sample/{IMG_ATTACK_ID}").json()["answer"] == IMG_ATTACK_ANSWER


def test_images_are_the_stored_bytes_with_their_type(viewer, data):
    from PIL import Image
    for image_id, stored in data.images.items():
        reply = fetch(viewer, "/image/" + quote(image_id))
        assert reply.status == 200, image_id
        assert reply.body == stored
        expected = {"JPEG": "image/jpeg", "PNG": "image/png"}[Image.open(io.BytesIO(stored)).format]
        assert reply.headers["content-type"] == expected
    head = fetch(viewer, "/image/" + quote(ODD_IMAGE_ID), method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["content-length"]) == len(data.images[ODD_IMAGE_ID])


def test_thumbnails_are_small_jpegs_of_the_image(viewer, data):
    from PIL import Image
    for image_id in ("VQA_IMG_000_0", ODD_IMAGE_ID, "VQA_IMG_big"):
        reply = fetch(viewer, "/thumb/" + quote(image_id))
        assert reply.status == 200
        assert reply.headers["content-type"] == "image/jpeg"
        thumb = Image.open(io.BytesIO(reply.body))
        assert thumb.format == "JPEG"
        width, height = data.sizes[image_id]
        scale = min(1.0, 256 / max(width, height))   # never enlarged
        assert thumb.size == (max(1, round(width * scale)), max(1, round(height * scale)))
        # The same picture: compare with Pillow's own downscale.
        original = Image.open(io.BytesIO(data.images[image_id])).convert("RGB").resize(thumb.size, Image.BICUBIC)
        diff = sum(abs(a - b) for a, b in zip(original.tobytes(), thumb.convert("RGB").tobytes()))
        assert diff / len(original.tobytes()) < 12, image_id   # JPEG noise only


def test_samples_api_prompts_match_the_reference(viewer, data):
    for fmt in dataset_reference.FORMATS:
        expected = dataset_reference.samples(data.yaml, dataset_reference.Options(instruction_format=fmt))
        got = []
        for group in GROUPS:
            page = fetch(viewer, f"/api/samples?group={group}&format={fmt}&limit=100").json()
            assert page["total"] == len(page["samples"])
            got += page["samples"]
        assert [(s["id"], s["group"], s["dataset"], s["prompt"], s["images"]) for s in got] == \
            [(e["id"], e["group"], e["dataset"], e["full_text"], e["image_ids"]) for e in expected], fmt


def test_samples_api_pages_and_in_context_turns(viewer, data):
    total = len(data.records["IMAGE_TEXT"])
    ids = []
    for offset in range(0, total, 7):
        page = fetch(viewer, f"/api/samples?group=IMAGE_TEXT&offset={offset}&limit=7").json()
        assert (page["offset"], page["limit"], page["total"]) == (offset, 7, total)
        assert [s["index"] for s in page["samples"]] == list(range(offset, min(offset + 7, total)))
        ids += [s["id"] for s in page["samples"]]
    assert ids == list(data.records["IMAGE_TEXT"])
    page = fetch(viewer, "/api/samples?group=IMAGE_TEXT_IN_CONTEXT").json()
    turns = {s["id"]: [t["id"] for t in s["turns"]] for s in page["samples"]}
    assert turns == data.train
    assert page["samples"][0]["turns"][0]["instruction"] == data.records["IMAGE_TEXT_IN_CONTEXT"]["ICL_INS_0"]["instruction"]


def test_sample_page_shows_images_prompt_and_turns(viewer, data):
    page = fetch(viewer, "/sample/ICL_INS_3?format=llama2").text()
    assert '<img src="/thumb/ICL_IMG_3"' in page and 'href="/image/ICL_IMG_3"' in page
    assert "[INST]&lt;image&gt;\nIn context question 0?[/INST]" in page
    assert 'href="/sample/ICL_INS_0?group=IMAGE_TEXT_IN_CONTEXT&amp;format=llama2"' in page
    page = fetch(viewer, "/sample/VID_INS_2").text()
    assert "Frames (32 picked from 7)" in page
    page = fetch(viewer, "/sample/" + quote(IMG_ATTACK_ID)).text()
    assert 'src="/thumb/' + quote(ODD_IMAGE_ID) + '"' in page


def test_search_by_id_image_id_and_text(viewer, data):
    def expected(query: str) -> list[tuple[str, str]]:
        q = query.lower()
        hits = []
        for group in GROUPS:
            for record_id, record in data.records[group].items():
                fields = [("id", record_id), ("instruction", record["instruction"]), ("answer", record["answer"])]
                fields += [("image_ids", i) for i in record["image_ids"]]
                hit = next((name for name, text in fields if q in text.lower()), None)
                if hit:
                    hits.append((record_id, hit))
        return hits

    for query in ("PICTURE 1", "vid_img_2_0", "café", 'onerror="window', "ICL_INS_4", "nothing like this"):
        reply = fetch(viewer, "/api/search?" + urllib.parse.urlencode({"q": query})).json()
        assert [(r["id"], r["field"]) for r in reply["results"]] == expected(query), query
        assert reply["next_cursor"] is None
        for r in reply["results"]:
            snippet = r["snippet"].encode()
            assert snippet[r["match_start"]:r["match_start"] + r["match_length"]].decode().lower() == query.lower()
    exact = fetch(viewer, "/api/search?q=ICL_INS_4").json()["exact"]
    assert exact == [{"kind": "instruction", "id": "ICL_INS_4", "group": "IMAGE_TEXT_IN_CONTEXT"}]
    exact = fetch(viewer, "/api/search?q=VID_IMG_1_00").json()["exact"]
    assert [e["kind"] for e in exact] == ["image"] * 3   # the one store, listed by three groups
    # Results are capped and the cursor continues the scan.
    first = fetch(viewer, "/api/search?q=VQA&limit=5").json()
    assert len(first["results"]) == 5 and first["next_cursor"] is not None
    rest = fetch(viewer, f"/api/search?q=VQA&limit=100&cursor={first['next_cursor']}").json()
    assert [r["id"] for r in first["results"] + rest["results"]] == [i for i, _ in expected("VQA")]


def test_statistics_are_computed_in_the_background(viewer, data):
    deadline = time.time() + 30
    stats = fetch(viewer, "/api/stats").json()
    while stats["state"] != "done" and time.time() < deadline:
        time.sleep(0.1)
        stats = fetch(viewer, "/api/stats").json()
    assert stats["state"] == "done"
    records = [r for g in GROUPS for r in data.records[g].values()]
    assert stats["records_total"] == stats["records_sampled"] == len(records)
    assert [(d["group"], d["dataset"], d["records"], d["training"]) for d in stats["datasets"]] == \
        [("IMAGE_TEXT", "VQA", len(data.records["IMAGE_TEXT"]), len(data.records["IMAGE_TEXT"])), ("TEXT_ONLY", "LIMA", 8, 8),
         ("VIDEO_TEXT", "VID", 4, 4), ("IMAGE_TEXT_IN_CONTEXT", "ICL", 6, 3)]
    # One image per record (image j % count of record j), looked up in the store.
    widths = [data.sizes[r["image_ids"][j % len(r["image_ids"])]][0] for j, r in enumerate(records)
              if r["image_ids"] and r["image_ids"][j % len(r["image_ids"])] in data.images]
    assert stats["images_missing"] == 1
    charts = stats["charts"]
    for name, values in (("instruction_chars", [len(r["instruction"]) for r in records]),
                         ("answer_chars", [len(r["answer"]) for r in records]),
                         ("images_per_record", [len(r["image_ids"]) for r in records]),
                         ("image_width", widths)):
        chart = charts[name]
        values = sorted(values)
        assert (chart["n"], chart["min"], chart["max"]) == (len(values), values[0], values[-1]), name
        assert chart["median"] == values[int(0.5 * (len(values) - 1) + 0.5)], name
        for b in chart["bins"]:
            hi = b["hi"] if b["hi"] is not None else float("inf")
            assert b["count"] == sum(b["lo"] <= v <= hi for v in values), (name, b)
        assert sum(b["count"] for b in chart["bins"]) == len(values)


def test_validation_findings_match_mimicit_validate(viewer, data, run_cli):
    deadline = time.time() + 30
    report = fetch(viewer, "/api/validation").json()
    while report["state"] != "done" and time.time() < deadline:
        time.sleep(0.1)
        report = fetch(viewer, "/api/validation").json()
    assert report["state"] == "done"
    cli = run_cli("validate", "--json", data.yaml)
    expected = json.loads(cli.stdout)
    keys = ("kind", "group", "dataset", "id", "image_id", "file", "detail")
    assert [{k: p[k] for k in keys} for p in report["problems"]] == expected["problems"]
    assert report["summary"]["counts"] == expected["summary"]["counts"]
    missing = [p for p in report["problems"] if p["kind"] == "missing_image"]
    assert [(p["id"], p["image_id"], p["linked"], p["image_stored"]) for p in missing] == \
        [(MISSING_IMAGE_RECORD, MISSING_IMAGE_ID, True, False)]
    assert fetch(viewer, "/api/validation?kind=missing_image").json()["total"] == 1
    assert fetch(viewer, "/api/validation?kind=tiny_image").json()["problems"] == []
    page = fetch(viewer, "/sample/" + MISSING_IMAGE_RECORD).text()
    assert '<span class="kind">missing_image</span>' in page and MISSING_IMAGE_ID in page


# ---------------------------------------------------------------------------
# Hostile requests

@pytest.mark.parametrize("path", [
    "/sample/NOPE", "/image/NOPE", "/thumb/NOPE", "/api/sample/NOPE", "/static/nope.js", "/nope", "/image/",
    "/image/" + MISSING_IMAGE_ID, "/thumb/" + MISSING_IMAGE_ID,
])
def test_unknown_ids_are_404(viewer, path):
    reply = fetch(viewer, path)
    assert reply.status == 404
    if path.startswith("/api/"):
        assert "error" in reply.json()


@pytest.mark.parametrize("path", [
    "/image/..%2f..%2fetc%2fpasswd", "/image/../../etc/passwd", "/static/../../etc/passwd",
    "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2F..%2F..%2Fetc%2Fpasswd", "/thumb/..%2F..%2Fetc%2Fpasswd",
    "/image/%2Fetc%2Fpasswd", "/sample/..%2F..%2Fetc%2Fpasswd", "/api/sample/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/app.js%00.png", "/image/VQA_IMG_000_0%00", "/image/%00", "/sample/%00%00", "/%2e%2e/%2e%2e/etc/passwd",
    "/image/" + "%2e%2e%2f" * 50 + "etc/passwd", "/static//etc/passwd", "/static/%252e%252e/etc/passwd",
])
def test_path_traversal_reaches_no_file(viewer, path):
    reply = fetch(viewer, path)
    assert reply.status in (400, 404), (path, reply.status)
    assert b"root:" not in reply.body


def test_encoded_nul_and_control_bytes_are_plain_id_bytes(viewer):
    reply = fetch(viewer, "/sample/A%00B%01%7F%E2%80%8F")
    assert reply.status == 404
    assert b"\x00" not in reply.body
    reply = raw_request(viewer, b"GET /image/\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 4"), reply[:100]
    assert_alive(viewer)


def test_long_urls_and_headers_are_refused(viewer):
    for path in ("/sample/" + "A" * 5000, "/image/" + "%41" * 3000, "/sample/" + "B" * 100_000,
                 "/api/search?q=" + "x" * 20_000):
        reply = fetch(viewer, path)
        assert reply.status in (400, 404, 414), (len(path), reply.status)
    reply = fetch(viewer, "/api/search?q=" + "x" * 300)
    assert reply.status == 400
    reply = raw_request(viewer, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"y" * 100_000 + b"\r\n\r\n")
    assert not reply.startswith(b"HTTP/1.1 200")
    assert_alive(viewer)


@pytest.mark.parametrize("query, status", [
    ("group=IMAGE_TEXT&limit=1000000000", 200), ("group=IMAGE_TEXT&limit=99999999999999999999", 400),
    ("group=IMAGE_TEXT&limit=-1", 400), ("group=IMAGE_TEXT&offset=abc", 400), ("group=IMAGE_TEXT&offset=1e3", 400),
    ("group=IMAGE_TEXT&offset=" + "9" * 40, 400), ("group=IMAGE_TEXT&offset=35", 400), ("group=IMAGE_TEXT&offset=34", 200),
    ("group=NOT_A_GROUP", 400), ("group=IMAGE_TEXT&format=chatml", 400), ("group=IMAGE_TEXT&offset=%00", 400),
])
def test_sample_list_parameters_are_checked_and_capped(viewer, data, query, status):
    total = len(data.records["IMAGE_TEXT"])
    query = query.replace("offset=35", f"offset={total + 1}").replace("offset=34", f"offset={total}")
    reply = fetch(viewer, "/api/samples?" + query)
    assert reply.status == status, reply.body[:200]
    body = reply.json()
    if status == 200:
        assert body["limit"] <= 100 and len(body["samples"]) <= 100
    else:
        assert body["error"]


def test_search_and_validation_limits(viewer):
    assert fetch(viewer, "/api/search").status == 400
    assert fetch(viewer, "/api/search?q=").status == 400
    reply = fetch(viewer, "/api/search?q=_&limit=1000000").json()
    assert len(reply["results"]) <= 100
    assert fetch(viewer, "/api/search?q=a&cursor=-5").status == 400
    assert fetch(viewer, "/api/search?q=a&cursor=999999999999").json()["results"] == []
    assert fetch(viewer, "/api/validation?kind=no_such_kind").status == 400
    assert fetch(viewer, "/api/validation?limit=100000000").json()["limit"] == 500


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_only_get_and_head_are_served(viewer, method):
    connection = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=20)
    try:
        connection.request(method, "/api/summary", body=b"x=1")
        response = connection.getresponse()
        response.read()
        assert response.status == 405
        assert response.getheader("Allow") == "GET, HEAD"
        assert response.getheader("Connection") == "close"   # the body is never read
        assert "script-src 'self'" in response.getheader("Content-Security-Policy")
        connection.request("GET", "/api/summary")   # on a new connection
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["groups"]
    finally:
        connection.close()


def test_bodies_are_never_read(viewer):
    # A 10 GB body is declared and 1000 bytes of it sent: the answer comes
    # at once and the connection closes.
    started = time.monotonic()
    reply = raw_request(viewer, b"POST /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        b"Content-Length: 10000000000\r\n\r\n" + b"z" * 1000)
    assert reply.startswith(b"HTTP/1.1 405"), reply[:100]
    assert time.monotonic() - started < 2
    assert_alive(viewer)


def test_endless_request_lines_are_cut_off(viewer):
    # cpp-httplib alone would buffer the whole line; the server reads at
    # most 128 KiB of a request, answers 431 and closes.
    def rss_kib() -> int:
        status = Path(f"/proc/{viewer.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])

    before = rss_kib()
    with socket.create_connection(("127.0.0.1", viewer.port), timeout=20) as sock:
        sock.sendall(b"GET /")
        sent = 0
        try:
            for _ in range(64):
                sock.sendall(b"a" * (1 << 20))
                sent += 1
        except OSError:
            pass   # the server closed the connection
        assert sent < 64
        sock.settimeout(5)
        try:
            answer = sock.recv(100)
        except OSError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer
    assert_alive(viewer)
    assert rss_kib() - before < 16 * 1024   # the line was not kept


def test_requests_to_other_host_names_are_refused(viewer):
    # DNS rebinding: a page of evil.example reaching the local server.
    assert fetch(viewer, "/api/summary", headers={"Host": "evil.example"}).status == 403
    assert fetch(viewer, "/", headers={"Host": f"evil.example:{viewer.port}"}).status == 403
    assert fetch(viewer, "/", headers={"Host": f"localhost:{viewer.port}"}).status == 200
    assert fetch(viewer, "/", headers={"Host": f"127.0.0.1:{viewer.port}"}).status == 200


def test_many_requests_while_slow_ones_are_in_flight(viewer, data):
    # Clients that send half a request and stall each hold a connection
    # (and a server thread) until the server's 5 s read timeout.
    stalled = []
    for _ in range(6):
        sock = socket.create_connection(("127.0.0.1", viewer.port), timeout=10)
        sock.sendall(b"GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        stalled.append(sock)
    try:
        ids = list(data.images)
        paths = []
        for i in range(60):
            image_id = quote(ids[i % len(ids)])
            paths.append(["/api/summary", f"/thumb/{image_id}", f"/image/{image_id}", "/",
                          "/api/samples?group=IMAGE_TEXT&limit=10", f"/sample/{SCRIPT_ID}"][i % 6])
        with ThreadPoolExecutor(max_workers=24) as pool:
            big = pool.submit(fetch, viewer, "/thumb/VQA_IMG_big")   # a slow decode in flight
            # Each answer must come before the stalled requests time out.
            replies = list(pool.map(lambda p: fetch(viewer, p, timeout=4), paths))
            assert big.result().status == 200
        assert [r.status for r in replies] == [200] * len(paths)
        # The stalled requests are still waiting: nothing was answered.
        for sock in stalled:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        for sock in stalled:
            sock.close()
    assert_alive(viewer)


# ---------------------------------------------------------------------------
# Start and stop

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_on_signals(data, start_viewer, sig):
    viewer = start_viewer(data.yaml, "--no-validate")
    # An idle keep-alive connection must not delay the stop.
    connection = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=10)
    connection.request("GET", "/api/summary")
    assert connection.getresponse().read()
    viewer.process.send_signal(sig)
    assert viewer.process.wait(timeout=10) == 0
    assert "stopped" in viewer.stderr()
    connection.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", viewer.port), timeout=2).close()


def test_a_busy_port_is_an_error(data, start_viewer, mimicit_bin):
    viewer = start_viewer(data.yaml)
    result = subprocess.run([str(mimicit_bin), "serve", str(data.yaml), "--port", str(viewer.port)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{viewer.port}" in result.stderr
    assert result.stdout == ""


def test_bad_arguments_are_usage_errors(data, run_cli, tmp_path):
    assert run_cli("serve", data.yaml, "--port", "70000").returncode == 2
    assert run_cli("serve", data.yaml, "--instruction-format", "chatml").returncode == 2
    missing = run_cli("serve", tmp_path / "missing.yaml")
    assert missing.returncode == 1 and b"missing.yaml" in missing.stderr


def test_cache_dir_takes_the_index_of_a_read_only_store(tmp_path, start_viewer):
    pd = pytest.importorskip("pandas")
    from PIL import Image
    import base64
    png = io.BytesIO()
    Image.new("RGB", (12, 10), (200, 30, 30)).save(png, format="PNG")
    store = tmp_path / "images.parquet"
    pd.DataFrame.from_dict({"IMG_0": {"base64": base64.b64encode(png.getvalue()).decode()}},
                           orient="index").to_parquet(store)
    # A folder in the way of the index beside the store: like a read-only
    # folder (which root, running the tests, could still write).
    (tmp_path / ".images.parquet.mimicit-index").mkdir()
    records = {"data": {"INS_0": {"instruction": "What?", "answer": "Red.", "image_ids": ["IMG_0"]}}}
    (tmp_path / "vqa.json").write_text(json.dumps(records))
    yaml = tmp_path / "data.yaml"
    yaml.write_text(f"IMAGE_TEXT:\n  VQA:\n    mimicit_path: {tmp_path / 'vqa.json'}\n    images_path: {store}\n")
    cache = tmp_path / "cache"
    viewer = start_viewer(yaml, "--cache-dir", cache, "--no-validate")
    assert fetch(viewer, "/image/IMG_0").body == png.getvalue()
    assert len(list(cache.glob("*.mimicit-index"))) == 1

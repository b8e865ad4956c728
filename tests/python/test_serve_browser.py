"""`mimicit serve` in a real browser: Debian's chromium, headless, driven by
selenium through Debian's chromium-driver. Loads every page, clicks from
the datasets through the browser to a sample and its full-size image,
checks that images rendered (naturalWidth > 0), that hostile records run
nothing (window.__pwned stays undefined) and show as text, that the format
switch, paging, search, statistics charts and validation links work, and
that the browser reports no errors (a Content-Security-Policy violation
would be one). Screenshots go to tests/python/artifacts/serve/ (ignored by
git; the paths are printed).

Skips only when chromium, chromium-driver or selenium is not installed
(scripts/setup.sh installs them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import dataset_reference
from viewer_data import (IMG_ATTACK_ANSWER, IMG_ATTACK_ID, MISSING_IMAGE_ID, MISSING_IMAGE_RECORD, SCRIPT_ID,
                         SCRIPT_INSTRUCTION, write_viewer_data)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "serve"
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_viewer_data(tmp_path_factory.mktemp("viewer_browser"))


@pytest.fixture(scope="module")
def viewer(data, start_viewer):
    return start_viewer(data.yaml)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium; scripts/setup.sh does)")
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.is_file():
            pytest.skip(f"{path} not found: install Debian's {package} (scripts/setup.sh does)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT_SECONDS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def no_browser_errors(request):
    """After each test: the browser logged no error but the expected 404 of
    the image the store lacks (a CSP violation would be logged here)."""
    yield
    if "browser" not in request.fixturenames:
        return
    driver = request.getfixturevalue("browser")
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE" and MISSING_IMAGE_ID not in entry["message"]]
    assert errors == []


def wait(driver, condition, message=""):
    # The page re-renders while a condition looks at it: an element found a
    # moment ago may be gone when its text is read. That is "not yet", not a
    # failure (a clean-clone run once failed on it).
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, WAIT_SECONDS,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
                         ).until(condition, message)


def screenshot(driver, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def images_rendered(driver, selector: str) -> list[tuple[str, int]]:
    """Scrolls each image matching `selector` into view (thumbnails load
    lazily), waits until it has loaded, and returns (alt, naturalWidth)."""
    from selenium.webdriver.common.by import By
    out = []
    for image in driver.find_elements(By.CSS_SELECTOR, selector):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", image)
        wait(driver, lambda d: d.execute_script("return arguments[0].complete", image), f"{selector} did not load")
        out.append((image.get_attribute("alt"), driver.execute_script("return arguments[0].naturalWidth", image)))
    driver.execute_script("window.scrollTo(0, 0)")
    return out


def pwned(driver):
    return driver.execute_script("return typeof window.__pwned")


def test_click_through_to_a_sample_and_its_images(browser, viewer, data):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    browser.get(viewer.url)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Datasets"
    screenshot(browser, "index")
    browser.find_element(By.LINK_TEXT, "Browse IMAGE_TEXT").click()
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.sample-card")) == 20)
    assert browser.find_element(By.CSS_SELECTOR, ".controls .status").text == \
        f"Samples 1-20 of {len(data.records['IMAGE_TEXT'])}"
    first_cards = "article.sample-card:nth-of-type(-n+3) a.thumb img"
    rendered = images_rendered(browser, first_cards)
    assert len(rendered) == 1 + 2 + 3 and all(width > 0 for _, width in rendered), rendered
    screenshot(browser, "browse")

    browser.find_element(By.CSS_SELECTOR, "article.sample-card a.sample-link").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "h1.sample-id").text == "VQA_INS_000")
    rendered = images_rendered(browser, "section.images a.thumb img")
    assert rendered == [("VQA_IMG_000_0", data.sizes["VQA_IMG_000_0"][0])]
    assert browser.find_element(By.CSS_SELECTOR, "pre.instruction").text == \
        data.records["IMAGE_TEXT"]["VQA_INS_000"]["instruction"]
    screenshot(browser, "sample")

    browser.find_element(By.CSS_SELECTOR, "section.images a.thumb").click()
    full = wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#lightbox img.full"))
    wait(browser, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", full))
    assert browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight]", full) == \
        list(data.sizes["VQA_IMG_000_0"])
    screenshot(browser, "lightbox")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(browser, lambda d: not d.find_elements(By.ID, "lightbox"))


def test_hostile_records_show_as_text_and_run_nothing(browser, viewer, data):
    from selenium.webdriver.common.by import By
    browser.get(viewer.url + "sample/" + SCRIPT_ID)
    assert browser.find_element(By.CSS_SELECTOR, "pre.instruction").text == SCRIPT_INSTRUCTION
    assert pwned(browser) == "undefined"
    browser.get(viewer.url + "sample/" + IMG_ATTACK_ID)
    assert browser.find_element(By.CSS_SELECTOR, "pre.answer").text == IMG_ATTACK_ANSWER
    assert images_rendered(browser, "section.images a.thumb img")[0][1] == 72   # the id with ?, #, & and /
    screenshot(browser, "hostile_sample")

    # Drawn by the client (textContent): the browser page holding both.
    ids = list(data.records["IMAGE_TEXT"])
    offset = ids.index(SCRIPT_ID)
    browser.get(viewer.url + f"browse?group=IMAGE_TEXT&offset={offset}&limit=2")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.sample-card")) == 2)
    cards = browser.find_elements(By.CSS_SELECTOR, "article.sample-card")
    assert cards[0].find_element(By.CSS_SELECTOR, "a.sample-link").text == SCRIPT_ID
    assert cards[0].find_element(By.CSS_SELECTOR, "pre.instruction").text == SCRIPT_INSTRUCTION
    assert cards[1].find_element(By.CSS_SELECTOR, "pre.answer").text == IMG_ATTACK_ANSWER
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], script:not([src])').length") == 0
    assert pwned(browser) == "undefined"
    screenshot(browser, "hostile_browse")

    browser.get(viewer.url + "search?q=pwned")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == 2)
    assert pwned(browser) == "undefined"


def test_formats_and_paging(browser, viewer, data):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    expected = dataset_reference.samples(data.yaml, dataset_reference.Options(instruction_format="idefics"),
                                         group_name="IMAGE_TEXT_IN_CONTEXT")
    browser.get(viewer.url + "browse?group=IMAGE_TEXT_IN_CONTEXT")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.sample-card")) == len(expected))
    Select(browser.find_element(By.NAME, "format")).select_by_value("idefics")
    wait(browser, lambda d: "idefics" in d.find_element(By.CSS_SELECTOR, "details.prompt summary").text)
    prompts = browser.execute_script("return Array.from(document.querySelectorAll('pre.prompt')).map(p => p.textContent)")
    assert prompts == [e["full_text"] for e in expected]
    assert "format=idefics" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "details.turns summary").click()
    screenshot(browser, "browse_in_context")

    browser.get(viewer.url + "browse?group=IMAGE_TEXT&limit=10")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "article.sample-card")) == 10)
    browser.find_element(By.CSS_SELECTOR, "button.next").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "article.sample-card a.sample-link").text == "VQA_INS_010")
    assert browser.find_element(By.CSS_SELECTOR, ".controls .status").text.startswith("Samples 11-20 of")

    browser.get(viewer.url + "sample/ICL_INS_3")
    browser.find_element(By.LINK_TEXT, "fuyu").click()
    wait(browser, lambda d: "format=fuyu" in d.current_url)
    fuyu = dataset_reference.samples(data.yaml, dataset_reference.Options(instruction_format="fuyu"),
                                     group_name="IMAGE_TEXT_IN_CONTEXT")
    assert browser.execute_script("return document.querySelector('pre.prompt').textContent") == \
        fuyu[0]["full_text"].replace("\x04", "\u2404")   # the control character shown as its picture


def test_search_from_the_header(browser, viewer, data):
    from selenium.webdriver.common.by import By
    browser.get(viewer.url)
    box = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys("café")
    box.submit()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.results tbody tr"))
    row = browser.find_element(By.CSS_SELECTOR, "table.results tbody tr")
    assert row.find_element(By.TAG_NAME, "mark").text == "café"
    screenshot(browser, "search")
    row.find_element(By.TAG_NAME, "a").click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "h1.sample-id").text == "VQA_INS_unicode")

    browser.get(viewer.url + "search?q=VID_IMG_1_00")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".exact a.thumb img"))
    rendered = images_rendered(browser, ".exact a.thumb img")
    assert rendered and all(width == 96 for _, width in rendered)


def test_statistics_page_draws_charts(browser, viewer, data):
    from selenium.webdriver.common.by import By
    browser.get(viewer.url + "stats")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done")
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.bars rect.bar")) == 4
    histograms = browser.find_elements(By.CSS_SELECTOR, "svg.histogram")
    assert len(histograms) == 5
    assert all(h.find_elements(By.CSS_SELECTOR, "rect.bar") for h in histograms)
    note = browser.find_element(By.CSS_SELECTOR, "p.note").text
    assert "evenly spaced sample" in note and "start-up stays fast" in note
    screenshot(browser, "stats")


def test_validation_findings_link_to_samples(browser, viewer):
    from selenium.webdriver.common.by import By
    browser.get(viewer.url + "validation")
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "done")
    assert browser.find_element(By.CSS_SELECTOR, "td.kind").text == "missing_image"
    screenshot(browser, "validation")
    browser.find_element(By.LINK_TEXT, MISSING_IMAGE_RECORD).click()
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "h1.sample-id").text == MISSING_IMAGE_RECORD)
    finding = browser.find_element(By.CSS_SELECTOR, "ul.findings li")
    assert "missing_image" in finding.text and MISSING_IMAGE_ID in finding.text
    screenshot(browser, "sample_with_finding")

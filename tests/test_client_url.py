"""Base-URL normalisation: every address a person may paste becomes the REST API root."""

from __future__ import annotations

import pytest

from zql.client import ConfigurationError, ZephyrClient, normalize_base_url
from zql.client._url import BaseURL

API = "/flex/services/rest"


@pytest.mark.parametrize(("given", "api", "noted"), [
    ("https://zephyr.example.com", f"https://zephyr.example.com{API}/latest", False),
    ("https://zephyr.example.com/", f"https://zephyr.example.com{API}/latest", False),
    ("zephyr.example.com", f"https://zephyr.example.com{API}/latest", False),
    ("  http://10.0.0.5:8080  ", f"http://10.0.0.5:8080{API}/latest", False),
    ("http://h:81/flex/services/rest/latest", f"http://h:81{API}/latest", False),
    ("http://h:81/flex/services/rest/latest/", f"http://h:81{API}/latest", False),
    ("http://h/flex/services/rest/v3", f"http://h{API}/v3", False),
    ("http://h/FLEX/services/rest/V3", f"http://h{API}/v3", False),
    ("http://h/flex/services/rest/latest/advancesearch?word=x", f"http://h{API}/latest", False),
    ("http://h/flex/services/rest", f"http://h{API}/latest", False),
    ("http://h/flex", f"http://h{API}/latest", False),
    ("https://z.example.com/flex/html5/", f"https://z.example.com{API}/latest", True),
    ("https://z.example.com/flex/html5/#/testcase/search?x=1",
     f"https://z.example.com{API}/latest", True),
    ("https://z.example.com/flex/html5/tcr/12345", f"https://z.example.com{API}/latest", True),
    ("https://proxy.example.com/zephyr/flex/html5/",
     f"https://proxy.example.com/zephyr{API}/latest", True),
    ("https://proxy.example.com/zephyr", f"https://proxy.example.com/zephyr{API}/latest", True),
    ("http://[::1]:8080/flex/services/rest/latest", f"http://[::1]:8080{API}/latest", False),
])
def test_normalises(given: str, api: str, noted: bool) -> None:
    base = normalize_base_url(given)
    assert base.api == api
    assert (base.note is not None) == noted


@pytest.mark.parametrize("given", [
    "", "   ", "ftp://zephyr.example.com", "https://", "mailto:someone@example.com",
    "https://bob:hunter2@zephyr.example.com",
])
def test_rejects(given: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        normalize_base_url(given)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(("path", "url"), [
    ("advancesearch", "http://h/flex/services/rest/latest/advancesearch"),
    ("/user/current", "http://h/flex/services/rest/latest/user/current"),
    ("v3/zql/metadata", "http://h/flex/services/rest/v3/zql/metadata"),
    ("latest/user", "http://h/flex/services/rest/latest/user"),
])
def test_url_joins_paths(path: str, url: str) -> None:
    assert BaseURL("http://h").url(path) == url


def test_web_ui_note_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="zql.client"), \
            ZephyrClient("https://z.example.com/flex/html5/#/x", token="t") as client:
        assert client.base_url == "https://z.example.com/flex/services/rest/latest"
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "web-UI address" in caplog.records[0].getMessage()


@pytest.mark.parametrize(("env", "kwargs", "expected"), [
    ({"ZEPHYR_URL": "https://z", "ZEPHYR_TOKEN": "t0ken"}, {}, "auth=bearer>"),
    ({"ZEPHYR_URL": "https://z", "ZEPHYR_USERNAME": "ann", "ZEPHYR_PASSWORD": "pw"}, {},
     "auth=cookie user='ann'>"),
    ({"ZEPHYR_URL": "https://z", "ZEPHYR_USERNAME": "ann", "ZEPHYR_PASSWORD": "pw",
      "ZEPHYR_AUTH": "basic"}, {}, "auth=basic user='ann'>"),
    ({"ZEPHYR_URL": "https://z", "ZEPHYR_TOKEN": ""}, {"token": "t0ken"}, "auth=bearer>"),
    ({"ZEPHYR_TOKEN": "t0ken"}, {"base_url": "https://z"}, "auth=bearer>"),
])
def test_from_env(env: dict[str, str], kwargs: dict[str, str], expected: str) -> None:
    with ZephyrClient.from_env(env, **kwargs) as client:
        assert repr(client) == f"<ZephyrClient https://z/flex/services/rest/latest {expected}"


def test_from_env_needs_a_url() -> None:
    with pytest.raises(ConfigurationError, match="ZEPHYR_URL"):
        ZephyrClient.from_env({"ZEPHYR_TOKEN": "t0ken"})

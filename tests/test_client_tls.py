"""TLS with a company CA (issue 12 #6): an HTTPS stand-in on loopback whose certificate comes
from a throw-away CA generated here; refused by default with the hint, accepted with
``--ca-cert`` and with ``SSL_CERT_FILE``; ``--insecure`` warns on every run."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile_servers import Hostile, page, send_json
from zql.cli import main
from zql.client import TransportError, ZephyrClient
from zql.client._tls import default_trust, peer_certificate, verify_context

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

TOKEN = "tok-TLSsecret-5150"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it."""
    where = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Example Corp Root CA"))
          .issuer_name(_name("Example Corp Root CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("zephyr.test"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = {"ca": where / "ca.pem", "cert": where / "server.pem", "key": where / "server.key"}
    files["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return files


def _zephyr(handler: http.server.BaseHTTPRequestHandler) -> None:
    if "/advancesearch" in handler.path:
        send_json(handler, 200, page([{"id": 1, "testcase": {"testcaseId": 7, "name": "A"}}],
                                     total=1))
    else:
        send_json(handler, 200, [{"id": 1, "name": "Apollo"}])


@pytest.fixture(scope="module")
def https(pki: dict[str, Path]) -> Iterator[str]:
    """One HTTPS stand-in for the module (it keeps no state between requests)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["cert"], pki["key"])
    server = Hostile(_zephyr)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    with server:
        yield server.url.replace("http://", "https://")


def _search(url: str, *extra: str) -> list[str]:
    return ["search", "--url", url, "--no-validate", "--format", "csv", "tag = \"x\"", *extra]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_refused_by_default_with_the_hint(https: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_search(https)) == 1
    err = capsys.readouterr().err
    assert "not trusted" in err and "--ca-cert" in err and "SSL_CERT_FILE" in err
    assert "truststore" in err and "Traceback" not in err and TOKEN not in err


def test_refused_by_the_library_too(https: str) -> None:
    from tests.client_support import Sleeps, recording

    sleeps = Sleeps()
    with recording(ZephyrClient(https, token=TOKEN, retries=4), sleeps) as client, \
            pytest.raises(TransportError, match="not trusted"):
        client.projects()
    assert sleeps == []  # an untrusted certificate is never retried


def test_clients_share_the_default_trust_and_follow_ssl_cert_file(
        https: str, pki: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """One context per process for the default trust (certifi's bundle is not loaded again for
    every client), and a new one as soon as ``SSL_CERT_FILE`` names another file."""
    before = default_trust(True)
    assert default_trust(True) is before
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca"]))
    trusting_ca = default_trust(True)
    assert trusting_ca is not before and default_trust(True) is trusting_ca
    with ZephyrClient(https, token=TOKEN, retries=0) as one, \
            ZephyrClient(https, token=TOKEN, retries=0) as two:
        assert [p["name"] for p in one.projects()] == [p["name"] for p in two.projects()] == [
            "Apollo"]


def test_accepted_with_ca_cert(https: str, pki: dict[str, Path],
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_search(https, "--ca-cert", str(pki["ca"]))) == 0
    assert "\n7," in capsys.readouterr().out


def test_accepted_with_ssl_cert_file(https: str, pki: dict[str, Path],
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["ca"]))
    assert main(_search(https)) == 0
    assert "\n7," in capsys.readouterr().out


def test_insecure_warns_on_every_run(https: str, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(_search(https, "--insecure")) == 0
        assert "verification is off" in capsys.readouterr().err


def test_a_ca_file_that_is_not_one(tmp_path: Path, https: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate\n")
    assert main(_search(https, "--ca-cert", str(bad))) == 2
    assert "cannot use the CA file" in capsys.readouterr().err


def test_the_certificate_names_its_issuer(https: str, pki: dict[str, Path]) -> None:
    refused = peer_certificate(https, verify_context(environ={}))
    assert refused is not None and not refused.verified
    assert refused.issuer is not None and "Example Corp Root CA" in refused.issuer
    trusted = peer_certificate(https, verify_context(pki["ca"]))
    assert trusted is not None and trusted.verified


def test_doctor_names_the_issuer_and_the_fix(https: str, pki: dict[str, Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--url", https]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("✗ TLS"))
    assert "Example Corp Root CA" in line and "--ca-cert FILE" in line
    assert next(x for x in out.splitlines() if "base URL" in x).startswith("✗")
    main(["doctor", "--url", https, "--ca-cert", str(pki["ca"])])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if " TLS " in x)
    assert line.startswith("✓ TLS") and "Example Corp Root CA" in line and "ca.pem" in line


def test_shell_takes_ca_cert_from_a_profile(https: str, pki: dict[str, Path]) -> None:
    import argparse

    from zql_repl.config import Profile, parse_config
    from zql_repl.main import _verify

    profile = parse_config(f'[profiles.corp]\nurl = "{https}"\nca_cert = "{pki["ca"]}"\n'
                           ).profiles["corp"]
    verify = _verify(argparse.Namespace(insecure=False, ca_cert=None), profile)
    with ZephyrClient(https, token=TOKEN, verify=verify) as client:
        assert client.projects()[0]["name"] == "Apollo"
    refused = _verify(argparse.Namespace(insecure=False, ca_cert=None), Profile("x"))
    with ZephyrClient(https, token=TOKEN, verify=refused, retries=0) as client, \
            pytest.raises(TransportError, match="not trusted"):
        client.projects()


def test_shell_refuses_a_bad_ca_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "nothing.pem"
    code = main(["shell", "--url", "https://127.0.0.1:9", "--ca-cert", str(bad)])
    assert code == 2 and "cannot use the CA file" in capsys.readouterr().err

"""TLS the way companies run it: a company CA file, ``SSL_CERT_FILE``, or the OS trust store.

Which certificates are trusted, first match wins:

1. a CA file given as ``ca_cert`` (``--ca-cert FILE``, or ``ca_cert`` in a profile);
2. ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from the environment;
3. the operating system's trust store (where IT installs the company CA), through the
   ``truststore`` package when it is installed (``pip install 'zephyr-zql[truststore]'``);
   it costs ~1 ms at start-up (measured, docs/connecting.md);
4. certifi's bundle (httpx's default).

Verification is never off unless asked for (``insecure``), and then the CLI warns every run.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from zql.client._errors import TLS_HINT, ConfigurationError

__all__ = ["HINT", "INSECURE_WARNING", "PeerCertificate", "default_trust", "peer_certificate",
           "trust_source", "verify_context"]

HINT = TLS_HINT
#: What every run with verification off says on stderr.
INSECURE_WARNING = ("zql: warning: TLS certificate verification is off (--insecure): anyone on "
                    "the network path can read and change this traffic; use --ca-cert FILE "
                    "instead")


def _system_context() -> ssl.SSLContext | None:
    try:
        import truststore
    except ImportError:
        return None
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def verify_context(ca_cert: str | os.PathLike[str] | None = None, *, insecure: bool = False,
                   environ: Mapping[str, str] | None = None) -> bool | ssl.SSLContext:
    """The ``verify=`` for a client: a context trusting ``ca_cert``, ``True`` (httpx reads
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` itself), the OS store, or ``False`` when insecure.

    >>> verify_context(insecure=True)
    False
    >>> verify_context("/no/such/ca.pem")
    Traceback (most recent call last):
      ...
    zql.client.ConfigurationError: cannot use the CA file /no/such/ca.pem: No such file or \
directory
    """
    if insecure:
        return False
    if ca_cert is not None:
        try:
            return ssl.create_default_context(cafile=os.fspath(ca_cert))
        except (OSError, ssl.SSLError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            raise ConfigurationError(f"cannot use the CA file {os.fspath(ca_cert)}: "
                                     f"{reason}") from None
    env = os.environ if environ is None else environ
    if env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR"):
        return True
    return _system_context() or True


_shared: dict[tuple[object, ...], ssl.SSLContext] = {}
_shared_lock = threading.Lock()


def _stamp(path: str) -> tuple[object, ...]:
    try:
        stat = os.stat(path)
    except OSError:
        return (path,)
    return (path, stat.st_mtime_ns, stat.st_size)


def default_trust(verify: bool | ssl.SSLContext) -> bool | ssl.SSLContext:
    """What a client verifies with: ``verify`` itself, except that ``True`` (httpx's default
    trust: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else certifi's bundle) becomes one context
    per process and trust setting, instead of one per client: loading certifi's bundle costs
    ~60 ms, and a session, a report or a test suite builds many clients. A changed
    ``SSL_CERT_FILE`` (another path, or the file rewritten) gets a context of its own.

    >>> default_trust(False), default_trust(True) is default_trust(True)
    (False, True)
    """
    if verify is not True:
        return verify
    cert_file, cert_dir = os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", "")
    key = (*_stamp(cert_file), cert_dir) if cert_file else ("", cert_dir)
    with _shared_lock:
        context = _shared.get(key)
        if context is None:
            context = _shared[key] = _default_context()
    return context


def trust_source(ca_cert: str | os.PathLike[str] | None = None, *, insecure: bool = False,
                 environ: Mapping[str, str] | None = None) -> str:
    """Which certificates the same arguments trust, in words (for doctor and errors).

    >>> trust_source("ca.pem"), trust_source(insecure=True)
    ('the CA file ca.pem (--ca-cert)', 'nothing: verification is off (--insecure)')
    """
    if insecure:
        return "nothing: verification is off (--insecure)"
    if ca_cert is not None:
        return f"the CA file {os.fspath(ca_cert)} (--ca-cert)"
    env = os.environ if environ is None else environ
    if env.get("SSL_CERT_FILE"):
        return f"SSL_CERT_FILE={env['SSL_CERT_FILE']}"
    if env.get("SSL_CERT_DIR"):
        return f"SSL_CERT_DIR={env['SSL_CERT_DIR']}"
    if _system_context() is not None:
        return "the operating system's trust store (truststore)"
    return "certifi's CA bundle"


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """What a server's TLS certificate says, and whether the given trust verifies it."""

    verified: bool
    issuer: str | None
    subject: str | None
    error: str | None = None


def peer_certificate(url: str, verify: bool | ssl.SSLContext, *,
                     timeout: float = 10.0) -> PeerCertificate | None:
    """Connect to ``url``'s host and look at its certificate; None for plain ``http``.

    The issuer is read even when verification fails (a second, unverified handshake, only to
    name the issuer in the hint); it needs the ``cryptography`` package, else it is None.
    """
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    host, port = parts.hostname, parts.port or 443
    if verify is False:
        context = _unverified()
    elif isinstance(verify, ssl.SSLContext):
        context = verify
    else:
        context = _default_context()
    try:
        der = _handshake(host, port, context, timeout)
        error = None
    except ssl.SSLCertVerificationError as err:
        error = err.verify_message or str(err)
        der = _handshake(host, port, _unverified(), timeout)
    issuer, subject = _names(der)
    return PeerCertificate(error is None and verify is not False, issuer, subject, error)


def _default_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> bytes | None:
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        return tls.getpeercert(binary_form=True)


def _names(der: bytes | None) -> tuple[str | None, str | None]:
    if not der:
        return None, None
    try:
        from cryptography import x509
    except ImportError:
        return None, None
    cert = x509.load_der_x509_certificate(der)
    return cert.issuer.rfc4514_string(), cert.subject.rfc4514_string()

"""A local certificate authority and a server certificate for 127.0.0.1, ::1 and localhost.

Clients trust the CA file (``tls-ca.pem``); the leaf is what the server presents. Both are kept
next to the data so restarts keep the same trust anchor.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from typing import Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .keys import load_or_create_key, restrict_to_owner, write_file


def _write_cert(path: str, cert: x509.Certificate) -> None:
    write_file(path, cert.public_bytes(serialization.Encoding.PEM))


def _make_ca(key) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ACS Identity Emulator local CA")])
    now = dt.datetime.now(dt.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )


def _make_leaf(key, ca_key, ca_cert: x509.Certificate) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=800))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def ensure_tls_files(folder: str) -> Tuple[str, str, str]:
    """(ca_path, cert_path, key_path) in ``folder``, created on first use."""
    ca_path = os.path.join(folder, "tls-ca.pem")
    cert_path = os.path.join(folder, "tls-cert.pem")
    key_path = os.path.join(folder, "tls-key.pem")
    if not (os.path.exists(ca_path) and os.path.exists(cert_path) and os.path.exists(key_path)):
        ca_key = load_or_create_key(os.path.join(folder, "tls-ca-key.pem"))
        ca_cert = _make_ca(ca_key)
        leaf_key = load_or_create_key(key_path)
        _write_cert(ca_path, ca_cert)
        _write_cert(cert_path, _make_leaf(leaf_key, ca_key, ca_cert))
    for secret in (key_path, os.path.join(folder, "tls-ca-key.pem")):
        if os.path.exists(secret):
            restrict_to_owner(secret)
    return ca_path, cert_path, key_path


def server_context(cert_path: str, key_path: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context

"""Key material on disk (owner-only files) and RS256 JSON Web Tokens built on ``cryptography``."""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import stat
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Tuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from . import jsontext
from .errors import StartupError

log = logging.getLogger("acs_identity_emulator")
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write_file(path: str, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` atomically: a crash leaves the old file or the new one, never a torn one.

    The temporary file is created 0600 (mkstemp) and in the same folder, so the rename cannot
    cross file systems and a secret is never readable by others, not even for a moment.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode != 0o600:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_private(path: str, data: bytes) -> None:
    """Replace ``path`` with a file readable by its owner only, from the first byte on."""
    write_file(path, data, 0o600)


def restrict_to_owner(path: str) -> None:
    """Tighten an existing secret file to 0600: it may have been copied in or created by hand."""
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
            os.chmod(path, 0o600)
    except OSError as exc:
        log.warning("cannot make %s owner-only: %s", path, exc.strerror or exc)


def make_private_dirs(folder: str) -> None:
    """Create ``folder`` and any missing parents as 0700 (whatever the umask); existing folders are left alone."""
    missing = []
    current = os.path.abspath(folder)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # created concurrently by someone else: not ours to change
        os.chmod(path, 0o700)


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def load_or_create_key(path: Optional[str]) -> rsa.RSAPrivateKey:
    if path and os.path.exists(path):
        restrict_to_owner(path)
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise StartupError(f"the key file {path} is not an unencrypted PEM private key; "
                               "restore it, or delete it to generate a new one") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise StartupError(f"the key file {path} does not hold an RSA key")
        return key
    key = new_rsa_key()
    if path:
        write_private(path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return key


def self_signed_cert(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


def load_or_create_cert(path: Optional[str], key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    if path and os.path.exists(path):
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            cert = x509.load_pem_x509_certificate(data)
            if cert.public_key().public_numbers() == key.public_key().public_numbers():
                return cert
        except (ValueError, TypeError, AttributeError):
            # Public and derived from the key: a damaged one is simply made again.
            log.warning("replacing the unreadable certificate %s", path)
    cert = self_signed_cert(key, common_name)
    if path:
        write_file(path, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """A stable id for a public key: SHA-1 of its DER SubjectPublicKeyInfo, upper-case hex."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha1(der).hexdigest().upper()


def public_jwk(public_key: rsa.RSAPublicKey, kid: str, x5t: Optional[str] = None) -> Dict[str, Any]:
    numbers = public_key.public_numbers()
    jwk = {
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }
    if x5t:
        jwk["x5t"] = x5t
    return jwk


def public_key_from_jwk(jwk: Dict[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


class Signer:
    """An RS256 signer whose header is encoded once, so issuing a token is one RSA operation."""

    def __init__(self, key: rsa.RSAPrivateKey, cert: Optional[x509.Certificate] = None) -> None:
        self.key = key
        self.public_key = key.public_key()
        self.kid = key_id(self.public_key)
        header: Dict[str, Any] = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        self.x5t = None
        if cert is not None:
            self.x5t = b64url(hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest())
            header["x5t"] = self.x5t
        self._header = b64url(json.dumps(header, separators=(",", ":")).encode())

    def sign(self, claims: Dict[str, Any]) -> str:
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{self._header}.{payload}"
        signature = self.key.sign(signing_input.encode("ascii"), _PKCS1, _SHA256)
        return f"{signing_input}.{b64url(signature)}"

    def jwk(self) -> Dict[str, Any]:
        return public_jwk(self.public_key, self.kid, self.x5t)


class MalformedToken(ValueError):
    pass


def split_token(token: Any) -> Tuple[Dict[str, Any], Dict[str, Any], bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWS, without verifying it."""
    if not isinstance(token, str) or len(token) > 16384:
        raise MalformedToken("not a compact JWT")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken("not a compact JWT")
    try:
        header = jsontext.loads(b64url_decode(parts[0]))
        claims = jsontext.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedToken("undecodable JWT") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedToken("JWT parts are not objects")
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature


class KeyRing:
    """Public keys trusted to sign a kind of token, looked up by ``kid``."""

    def __init__(self, keys: Iterable[Tuple[str, rsa.RSAPublicKey]] = ()) -> None:
        self._keys: Dict[str, rsa.RSAPublicKey] = dict(keys)

    def add(self, kid: str, key: rsa.RSAPublicKey) -> None:
        self._keys[kid] = key

    def verify(self, header: Dict[str, Any], signing_input: bytes, signature: bytes) -> bool:
        if header.get("alg") != "RS256":
            return False
        kid = header.get("kid")
        candidates: List[rsa.RSAPublicKey]
        if isinstance(kid, str):
            candidates = [self._keys[kid]] if kid in self._keys else []
        else:
            candidates = list(self._keys.values())
        for key in candidates:
            try:
                key.verify(signature, signing_input, _PKCS1, _SHA256)
                return True
            except InvalidSignature:
                continue
        return False


def load_jwks_file(path: str) -> List[Tuple[str, rsa.RSAPublicKey]]:
    """The RSA keys of a JWKS file; StartupError naming the file when it is not one."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        document = jsontext.loads(data)
        jwks = document["keys"]
        if not isinstance(jwks, list):
            raise TypeError("keys is not an array")
        keys = []
        for index, jwk in enumerate(jwks):
            if jwk.get("kty") != "RSA":
                continue
            keys.append((str(jwk.get("kid") or f"jwks-{index}"), public_key_from_jwk(jwk)))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StartupError(f"the JWKS file {path} is not a JSON Web Key Set with usable RSA keys "
                           f"({type(exc).__name__}: {exc})") from exc
    return keys

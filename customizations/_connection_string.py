"""Parsing of Communication Services connection strings.

Format: ``endpoint=https://<resource>.communication.azure.com/;accesskey=<base64>``. Keys are
case-insensitive, each pair splits on its first ``=`` only (base64 keys end in ``=`` padding), other
keys are ignored, and the endpoint loses its trailing ``/``. Error messages name what is wrong and never echo the key.
"""

from __future__ import annotations

import binascii
import re
from base64 import b64decode
from typing import NamedTuple
from urllib.parse import urlsplit

from ._errors import ArgumentTypeError

_HOST = re.compile(r"[A-Za-z0-9._-]+")  # DNS names and IPv4 (IPv6 literals come in brackets)
_EXAMPLE = "endpoint=https://<resource>.communication.azure.com/;accesskey=<base64 key>"


class ConnectionStringParts(NamedTuple):
    endpoint: str
    access_key: str

    def __repr__(self) -> str:
        return f"ConnectionStringParts(endpoint={self.endpoint!r}, access_key=<redacted>)"


def connection_string_fields(conn_str: object) -> dict[str, list[str]]:
    """Every ``name=value`` part of a connection string, names lower-cased, values in order of appearance.

    :raises ValueError: ``conn_str`` is None, or has a part that is not ``name=value``.
    :raises TypeError: ``conn_str`` is not a str (also a ValueError, as in the official package).
    """
    if conn_str is None:
        raise ValueError(f"connection string is None; expected {_EXAMPLE!r}")
    if not isinstance(conn_str, str):
        raise ArgumentTypeError(f"connection string must be a str like {_EXAMPLE!r}, not {type(conn_str).__name__}")
    fields: dict[str, list[str]] = {}
    for raw_part in conn_str.strip().split(";"):
        part = raw_part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            # The part may be (a piece of) the key: say where, not what.
            raise ValueError(f"connection string has a part without 'name=value'; expected {_EXAMPLE!r}")
        fields.setdefault(name, []).append(value.strip())
    return fields


def parse_connection_string(conn_str: object) -> ConnectionStringParts:
    """Split a connection string into its endpoint and access key, validating both.

    Parts other than ``endpoint`` and ``accesskey`` are ignored, as the service's own tools add some;
    an endpoint without a scheme gets ``https://``.
    """
    fields = connection_string_fields(conn_str)
    for name in ("endpoint", "accesskey"):
        if len(fields.get(name, ())) > 1:
            raise ValueError(f"connection string names {name!r} twice")
    missing = [name for name in ("endpoint", "accesskey") if not fields.get(name, [""])[0]]
    if missing:
        raise ValueError(f"connection string is missing {' and '.join(missing)}; expected {_EXAMPLE!r}")
    return ConnectionStringParts(normalize_endpoint(fields["endpoint"][0]), check_access_key(fields["accesskey"][0]))


def _ascii_host(host: str) -> str:
    """``host`` as DNS carries it: an internationalised name in its IDNA (punycode) form, as it is sent.
    A name IDNA cannot encode comes back as is, which the host check then refuses."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def normalize_endpoint(endpoint: object) -> str:
    """Return the endpoint as ``scheme://host[:port]`` without a trailing slash.

    http stays http (the emulator); a bare host such as ``<resource>.communication.azure.com``
    gets ``https://``, as in the official package.
    """
    if endpoint is None:
        raise ValueError("endpoint is None; pass the resource's URL such as 'https://<resource>.communication.azure.com'")
    if not isinstance(endpoint, str):
        raise ArgumentTypeError(f"endpoint must be a str such as 'https://<resource>.communication.azure.com', "
                                f"not {type(endpoint).__name__}")
    text = endpoint.strip()
    # The text is never echoed: a connection string passed as the endpoint would carry the access key.
    if "accesskey=" in text.lower():
        raise ValueError("endpoint looks like a connection string; pass it to from_connection_string() instead")
    if text and "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError("endpoint is not a valid URL (check the host and port); expected an URL such as "
                         "'https://<resource>.communication.azure.com'") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("endpoint must be an absolute http(s) URL such as "
                         "'https://<resource>.communication.azure.com'")
    if not parts.netloc.startswith("[") and not _HOST.fullmatch(_ascii_host(parts.hostname)):
        raise ValueError("endpoint's host is not a valid host name; expected an URL such as "
                         "'https://<resource>.communication.azure.com'")
    if parts.username or parts.password:
        raise ValueError("endpoint must not carry credentials; pass the access key as the credential")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise ValueError(f"endpoint must be the resource's base URL ({parts.scheme}://{parts.hostname}), "
                         "without path, query or fragment")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    return f"{parts.scheme.lower()}://{netloc}"


def check_access_key(access_key: object) -> str:
    """Check that ``access_key`` is non-empty base64; return it stripped. Never echoes the key."""
    if not isinstance(access_key, str):
        raise TypeError(f"access key must be a base64 str, not {type(access_key).__name__}")
    key = access_key.strip()
    if not key:
        raise ValueError("access key is empty; copy it from the resource's Keys blade")
    try:
        decoded = b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("access key is not valid base64; copy it unchanged from the resource's Keys blade") from None
    if not decoded:
        raise ValueError("access key decodes to zero bytes")
    return key

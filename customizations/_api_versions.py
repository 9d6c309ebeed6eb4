"""The Identity API versions this package speaks, and what each one added.

The generated layer is produced once from the newest spec and sends whichever ``api-version`` the
client was built with, so what a version may do is data, here: a feature used with a version that
lacks it is refused before any request, naming the first version that has it.
"""

from __future__ import annotations

from enum import Enum

from azure.core import CaseInsensitiveEnumMeta

from ._version import DEFAULT_API_VERSION as _DEFAULT


class ApiVersion(str, Enum, metaclass=CaseInsensitiveEnumMeta):
    """Identity API versions, oldest first."""

    V2021_03_07 = "2021-03-07"
    V2022_06_01 = "2022-06-01"
    V2022_10_01 = "2022-10-01"
    V2023_10_01 = "2023-10-01"
    V2025_03_02_PREVIEW = "2025-03-02-preview"

    def __str__(self) -> str:
        return self.value


#: Newest stable version; what a client speaks when ``api_version`` is not given.
DEFAULT_API_VERSION = ApiVersion(_DEFAULT)

_ORDER = list(ApiVersion)

#: feature -> the first version that has it (every later version has it too).
FEATURE_SINCE = {
    "teams_user_exchange": ApiVersion.V2022_06_01,
    "token_expires_in": ApiVersion.V2022_10_01,
    "scope:chat.join": ApiVersion.V2023_10_01,
    "scope:chat.join.limited": ApiVersion.V2023_10_01,
    "scope:voip.join": ApiVersion.V2023_10_01,
    "custom_id": ApiVersion.V2025_03_02_PREVIEW,
    "get_user": ApiVersion.V2025_03_02_PREVIEW,
}

_FEATURE_NAMES = {
    "teams_user_exchange": "get_token_for_teams_user",
    "token_expires_in": "token_expires_in",
    "custom_id": "custom_id",
    "get_user": "get_user",
}


def parse_api_version(value: object) -> ApiVersion:
    """Turn ``value`` (an :class:`ApiVersion` or its string) into a supported version, or explain."""
    if isinstance(value, ApiVersion):
        return value
    if isinstance(value, str):
        for version in _ORDER:
            if version.value == value.strip().lower():
                return version
    supported = ", ".join(v.value for v in _ORDER)
    raise ValueError(f"api_version {value!r} is not supported; pass one of: {supported}")


def has_feature(version: ApiVersion, feature: str) -> bool:
    return _ORDER.index(version) >= _ORDER.index(FEATURE_SINCE[feature])


def require_feature(version: ApiVersion, feature: str) -> None:
    """Raise ValueError before any request when ``version`` lacks ``feature``."""
    if has_feature(version, feature):
        return
    since = FEATURE_SINCE[feature]
    if feature.startswith("scope:"):
        what = f"scope {feature[len('scope:'):]!r}"
    else:
        what = _FEATURE_NAMES[feature]
    raise ValueError(
        f"{what} needs api_version {since.value} or later; this client speaks {version.value} "
        f"(pass api_version=ApiVersion.{since.name} or newer to the client)"
    )

"""Compatibility path: the token helpers of azure-communication-identity 1.5.0's ``_shared.utils``."""
from .._token_utils import create_access_token, get_current_utc_as_int

__all__ = ["create_access_token", "get_current_utc_as_int"]

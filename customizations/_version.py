"""Version of this distribution and the Identity API versions it speaks."""

VERSION = "1.6.0"

#: The api-version sent when the caller does not choose one.
DEFAULT_API_VERSION = "2025-06-30"

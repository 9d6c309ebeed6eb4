"""A local Azure Communication Services Identity service for offline development and tests.

Run it with ``acs-identity-emulator`` or ``python -m acs_identity_emulator``; drive it from tests
with :mod:`acs_identity_emulator.testing`.
"""

__version__ = "1.0.0"

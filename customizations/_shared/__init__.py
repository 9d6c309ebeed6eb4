"""Compatibility paths of the official azure-communication-identity 1.5.0 (``_shared``); not the recommended API."""

"""Local Azure Communication Services Identity service."""

"""Azure Communication Services Identity client."""

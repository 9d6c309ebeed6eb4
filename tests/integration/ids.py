"""Raw ids that need path encoding, and what the service must have seen when they were sent."""

ODD_IDS = (
    "8:acs:../../identities",
    "8:acs:a/b?c#d",
    "8:acs:100% sure",
    "8:acs:caf\u00e9 x",
    "8:acs:a%2Fb",
    "8:acs:x/:revokeAccessTokens",
)


def assert_reached_service_as_one_id(error, raw_id):
    """The request was authenticated (no 401) and addressed exactly one identity, ``raw_id``."""
    assert error.status_code in (400, 404), (error.status_code, str(error))
    if error.status_code == 400:
        # The service names the id it could not use: it must be the whole id, decoded once.
        assert repr(raw_id) in error.error.message or raw_id in error.error.message

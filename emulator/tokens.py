"""Communication Services access tokens: issuing them and telling whether one is still valid."""
from __future__ import annotations

import secrets
import time
from typing import Any, Dict, Iterable, Optional, Tuple

from .entra_store import GRANTS_CLAIM
from .keys import KeyRing, MalformedToken, Signer, split_token
from .store import Assignment, Identity, Store

# Private claim with the identity's revision at issue time; a revoke or delete bumps the revision,
# so every earlier token is invalid and later ones are not, whatever the clock resolution.
REVISION_CLAIM = "acsEmulatorRevision"
# Private claim of Teams Phone extensibility tokens: the generation of the assignment they were issued
# under. Deleting the assignment (even if it is created again later) invalidates them.
ASSIGNMENT_CLAIM = "acsEmulatorAssignment"
# Permission bits seen in real tokens for Communication Services users.
ACS_USER_SCP = 1792
TEAMS_USER_SCP = 1024
# Upper bound of the tests-only lifetime override (the service's own maximum is 24 hours too).
MAX_TEST_TTL_SECONDS = 86400


class TokenIssuer:
    def __init__(self, signer: Signer, resource_id: str, location: str) -> None:
        self.signer = signer
        self.resource_id = resource_id
        self.location = location
        self.keys = KeyRing([(signer.kid, signer.public_key)])
        self.test_ttl_seconds: Optional[int] = None

    def lifetime(self, minutes: int) -> int:
        return self.test_ttl_seconds if self.test_ttl_seconds is not None else minutes * 60

    def issue(self, identity: Identity, scopes: Iterable[str], minutes: int) -> Tuple[str, int]:
        now = int(time.time())
        expires = now + self.lifetime(minutes)
        claims = {
            "skypeid": identity.id[2:],
            "scp": ACS_USER_SCP,
            "csi": str(now),
            "exp": expires,
            "acsScope": ",".join(scopes),
            "resourceId": self.resource_id,
            "resourceLocation": self.location,
            "iat": now,
            "jti": secrets.token_hex(8),
            REVISION_CLAIM: identity.revision,
        }
        return self.signer.sign(claims), expires

    def issue_for_teams_user(self, object_id: str, expires: int) -> Tuple[str, int]:
        now = int(time.time())
        if self.test_ttl_seconds is not None:
            expires = min(expires, now + self.test_ttl_seconds)
        claims = {
            "skypeid": f"orgid:{object_id}",
            "scp": TEAMS_USER_SCP,
            "csi": str(now),
            "exp": expires,
            "acsScope": "voip,chat",
            "resourceId": self.resource_id,
            "resourceLocation": self.location,
            "iat": now,
            "jti": secrets.token_hex(8),
        }
        return self.signer.sign(claims), expires

    def issue_for_teams_extension_user(self, assignment: Assignment, expires: int) -> Tuple[str, str, int]:
        """(identity id, token, expiry) for an assignment's principal; the token expires with its Entra token."""
        return self.issue_for_assigned_user(f"{assignment.tenant_id}_{assignment.object_id}", "voip", expires,
                                            {ASSIGNMENT_CLAIM: assignment.generation})

    def issue_for_assigned_user(self, suffix: str, acs_scope: str, expires: int,
                                grant: Dict[str, Any]) -> Tuple[str, str, int]:
        """(identity id, token, expiry) for ``8:acs:<resource>_<suffix>``, a user an assignment lets exchange its
        Entra ID token (which expires at ``expires``); ``grant``: the private claims naming that assignment."""
        now = int(time.time())
        if self.test_ttl_seconds is not None:
            expires = min(expires, now + self.test_ttl_seconds)
        skype_id = f"acs:{self.resource_id}_{suffix}"
        claims = {
            "skypeid": skype_id,
            "scp": ACS_USER_SCP,
            "csi": str(now),
            "exp": expires,
            "acsScope": acs_scope,
            "resourceId": self.resource_id,
            "resourceLocation": self.location,
            "iat": now,
            "jti": secrets.token_hex(8),
            **grant,
        }
        return "8:" + skype_id, self.signer.sign(claims), expires

    def status(self, token: Any, store: Store) -> Dict[str, Any]:
        """{"valid", "reason", ...} for a token this emulator may have issued."""
        try:
            header, claims, signing_input, signature = split_token(token)
        except MalformedToken:
            return {"valid": False, "reason": "malformed"}
        if not self.keys.verify(header, signing_input, signature):
            return {"valid": False, "reason": "bad-signature"}
        info: Dict[str, Any] = {"expiresAt": claims.get("exp"), "skypeid": claims.get("skypeid")}
        skype_id = claims.get("skypeid")
        if GRANTS_CLAIM in claims:
            # An Entra ID user's token: valid while an assignment it was exchanged under exists.
            if not store.entra.holds(claims[GRANTS_CLAIM]):
                return {"valid": False, "reason": "revoked", **info}
        elif ASSIGNMENT_CLAIM in claims and isinstance(skype_id, str):
            # acs:<resource>_<tenant>_<user>: valid while the assignment it was issued under exists.
            _, tenant_id, object_id = (skype_id.split("_") + ["", ""])[:3]
            assignment = store.get_assignment(tenant_id, object_id)
            if assignment is None or assignment.generation != claims[ASSIGNMENT_CLAIM]:
                return {"valid": False, "reason": "revoked", **info}
        elif isinstance(skype_id, str) and skype_id.startswith("acs:"):
            identity = store.get("8:" + skype_id)
            if identity is None:
                return {"valid": False, "reason": "unknown-identity", **info}
            if identity.deleted:
                return {"valid": False, "reason": "deleted", **info}
            if claims.get(REVISION_CLAIM) != identity.revision:
                return {"valid": False, "reason": "revoked", **info}
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or expires <= time.time():
            return {"valid": False, "reason": "expired", **info}
        return {"valid": True, "reason": "valid", **info}

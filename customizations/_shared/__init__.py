"""Compatibility paths: the module layout of the official ``azure-communication-identity`` 1.5.0.

Applications written for the official package import from here (its token credential lives only
here, ``_shared.user_credential``), so these modules keep those names, signatures and behaviour.
Each is a thin alias of this package's own code. New code should import from
``azure.communication.identity`` (and ``.aio``) instead: that is the supported API.
"""

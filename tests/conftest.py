"""Suite-wide settings.

Property-based tests explore new examples on every local run (that is how the fuzzer found its
bugs); CI (``CI`` set, as ``.ci/run`` runs) replays a fixed, derandomized set so its verdict is
reproducible and a red run can be re-run exactly.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

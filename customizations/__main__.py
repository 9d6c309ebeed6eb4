"""``python -m azure.communication.identity``: the ``acs-identity`` command line."""

import sys

from ._cli import main

sys.exit(main())

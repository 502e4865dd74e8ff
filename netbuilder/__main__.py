"""`python -m netbuilder` is the `netbuilder` command."""

import sys

from netbuilder.cli import main

if __name__ == "__main__":  # a spawned training process imports this module too; it must not start the app
    sys.exit(main())

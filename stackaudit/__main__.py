"""`python -m stackaudit`: the `stackaudit` command (stackaudit/cli/)."""
import sys

from stackaudit.cli import main

if __name__ == "__main__":
    sys.exit(main())

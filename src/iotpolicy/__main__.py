"""``python -m iotpolicy``."""

from iotpolicy.cli import main

main()

import sys

from clients.chorus.cli import main

sys.exit(main())

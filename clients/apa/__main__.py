import sys

from clients.apa.cli import main

sys.exit(main())

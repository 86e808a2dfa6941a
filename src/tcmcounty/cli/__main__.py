import sys

from tcmcounty.cli import main

sys.exit(main())

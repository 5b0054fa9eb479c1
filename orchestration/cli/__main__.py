import sys

from orchestration.cli.commands import main

sys.exit(main())

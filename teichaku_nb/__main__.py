import sys

from .cli import main

if __name__ == "__main__":        # not again in the processes that read a folder's workbooks side by side
    sys.exit(main())

"""PyInstaller entry point for the command line (``beatwise``)."""
import sys

from analysis.cli import main

if __name__ == "__main__":
    sys.exit(main())

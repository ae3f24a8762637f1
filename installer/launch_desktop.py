"""PyInstaller entry point for the desktop app (``beatwise-desktop``)."""
import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())

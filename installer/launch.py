"""PyInstaller entry point of the Linux bundle: one executable for both commands.

``beatwise-desktop`` is a symbolic link to ``beatwise`` in the bundle; the name it was started
by picks the command. Two executables would each carry the same 26 MB archive of Python modules.
(Windows keeps two: the app must be a GUI executable, the CLI a console one.)
"""
import os
import sys


def main() -> int:
    if os.path.basename(sys.argv[0]).startswith("beatwise-desktop"):
        from desktop.app import main as run
    else:
        from analysis.cli import main as run
    return run()


if __name__ == "__main__":
    sys.exit(main())

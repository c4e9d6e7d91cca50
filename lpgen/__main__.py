"""Run lpgen as `python -m lpgen`."""

from lpgen.cli import main

if __name__ == "__main__":
    main()

"""The `quanlu` command: Django's manage.py for this project."""

import os
import sys


def main() -> None:
    from quanlu.config.env import private_umask

    private_umask()  # before settings create the data folder and its secret key
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanlu.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The Django REST Framework reference for the contract test: `manage.py runserver --noreload 127.0.0.1:PORT`."""
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

from ypa_django.command import Flag, YpaCommand


class Command(YpaCommand):
    help = "List runs: rows per table, months, first/last bucket, size (ypa list_runs)."
    ypa_command = "list_runs"
    flags = (Flag("--json", "Print JSON instead of a table", switch=True),)

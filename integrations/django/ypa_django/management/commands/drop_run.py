from ypa_django.command import Flag, YpaCommand


class Command(YpaCommand):
    help = "Drop every partition of one run (ypa drop_run; a dry run without --confirm, exit 1)."
    ypa_command = "drop_run"
    flags = (
        Flag("--run-id", "Run to drop, ^[A-Za-z0-9_]{1,64}$", required=True),
        Flag("--confirm", "Really drop; without it, print what would be dropped and exit 1", switch=True),
        Flag("--force-live", "Required to drop the run 'live'", switch=True),
        Flag("--tables", "price_aligned,features_wide (default: both)"),
    )

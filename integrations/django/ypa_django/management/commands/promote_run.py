from ypa_django.command import Flag, YpaCommand


class Command(YpaCommand):
    help = ("Make run --to equal run --from, one month partition at a time (ypa promote_run; "
            "a dry run without --confirm, exit 1).")
    ypa_command = "promote_run"
    flags = (
        Flag("--from", "Source run (must exist)", required=True),
        Flag("--to", "Target run, usually live", required=True),
        Flag("--confirm", "Really promote; without it, print the plan and exit 1", switch=True),
        Flag("--keep-backup", "First copy the target to backup_YYYYMMDD (keeps the newest BACKUP_KEEP)", switch=True),
        Flag("--drop-source", "Drop the source run after verification", switch=True),
    )

from ypa_django.command import Flag, YpaCommand


class Command(YpaCommand):
    help = "Compare two runs key by key (ypa compare_runs; exit 0 equal, 1 differ)."
    ypa_command = "compare_runs"
    flags = (
        Flag("--base", "Base run, e.g. live", required=True),
        Flag("--target", "Run compared with the base", required=True),
        Flag("--tolerance", "Relative tolerance: |a-b| > tol * max(1,|a|) differs (default 1e-9)"),
        Flag("--from", "First bucket to compare (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"),
        Flag("--to", "Last bucket to compare, inclusive"),
        Flag("--scope", "Only these scopes, comma-separated (iphone:42,cohort:top3)"),
        Flag("--json", "Print JSON instead of a table", switch=True),
    )

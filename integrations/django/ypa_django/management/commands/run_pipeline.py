from ypa_django.command import Flag, YpaCommand


class Command(YpaCommand):
    help = ("Compute a run from PostgreSQL into ClickHouse (ypa run_pipeline): align -> aggregate -> "
            "features -> cohorts. Example: run_pipeline --run-id backfill_v3 --from 2025-01-01 --to 2025-12-31")
    ypa_command = "run_pipeline"
    flags = (
        Flag("--run-id", "Run to write, ^[A-Za-z0-9_]{1,64}$ (e.g. backfill_v3)", required=True),
        Flag("--from", "First bucket: YYYY-MM-DD (whole day) or YYYY-MM-DDTHH:MM, zone PIPELINE_TZ"),
        Flag("--to", "Last bucket, inclusive, same forms as --from (incremental: default the latest closed bucket)"),
        Flag("--device", "cpu, cuda:N or auto (setting PIPELINE_DEVICE, default auto)"),
        Flag("--batch-days", "Days per PostgreSQL query (setting PIPELINE_BATCH_DAYS, default 30)"),
        Flag("--steps", "Subset of align,aggregate,features,cohorts (default: all)"),
        Flag("--iphone-ids", "Only these iPhone ids, comma-separated"),
        Flag("--shop-ids", "Only these shop ids, comma-separated"),
        Flag("--shard", "i/n: one of n workers, computing the iPhones with id % n == i"),
        Flag("--align", "Alignment mode: lookback (default) or floor"),
        Flag("--mode", "backfill (default) or incremental (recompute the last --since)"),
        Flag("--since", "With --mode incremental: how far back to recompute (default 2h)"),
        Flag("--allow-live", "Allow a backfill to write into run 'live'", switch=True),
    )

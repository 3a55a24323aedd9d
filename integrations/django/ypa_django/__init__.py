"""ypa for Django projects: `python manage.py run_pipeline ...` and the Celery task `incremental_pipeline`
run the `ypa` binary with an environment built from the project's settings (docs/django.md)."""

"""The base of the management commands: each declares ypa's flags for its subcommand and hands the ones
given to `ypa <subcommand>` unchanged; ypa validates them and does the work."""
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from ypa_django import runner


@dataclass(frozen=True)
class Flag:
    name: str  # ypa's flag, e.g. "--run-id"
    help: str
    required: bool = False
    switch: bool = False  # takes no value (--confirm)

    @property
    def dest(self):
        return "ypa_" + self.name.lstrip("-").replace("-", "_")


class YpaCommand(BaseCommand):
    ypa_command = ""  # the ypa subcommand
    flags = ()
    # ypa needs no Django database connection or migrations; the system checks stay on (--skip-checks).
    requires_migrations_checks = False

    def add_arguments(self, parser):
        for flag in self.flags:
            if flag.switch:
                parser.add_argument(flag.name, dest=flag.dest, action="store_true", help=flag.help)
            else:
                parser.add_argument(flag.name, dest=flag.dest, required=flag.required, help=flag.help)

    def ypa_args(self, options):
        args = [self.ypa_command]
        for flag in self.flags:
            value = options.get(flag.dest)
            if flag.switch:
                if value:
                    args.append(flag.name)
            elif value is not None:
                args.append(f"{flag.name}={value}")  # one word, also for a value that starts with '-'
        return args

    def handle(self, *args, **options):
        try:
            argv, env = runner.prepare(self.ypa_args(options))
        except runner.SettingsError as e:
            raise CommandError(str(e), returncode=2) from None  # exit 2: bad input, as ypa's own (docs/cli.md)
        try:
            runner.run(argv, env, self._out, self._err)
        except runner.YpaFailed as e:
            raise CommandError(e.message, returncode=e.returncode) from None

    def _out(self, line):
        self.stdout.write(line)
        self.stdout.flush()

    def _err(self, line):
        self.stderr.write(line, style_func=lambda text: text)  # ypa's log lines, not Django's red errors
        self.stderr.flush()

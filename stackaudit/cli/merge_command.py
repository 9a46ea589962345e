"""`stackaudit merge`: one night's shard run directories joined into one run directory (docs/deployment.md, "Sharding").
Everything is checked before the merged run directory is made."""
from __future__ import annotations

import time
from pathlib import Path

from stackaudit.catalog import catalog
from stackaudit.cli.output import say
from stackaudit.cli.run_command import checked_configuration, finish, write_pages
from stackaudit.config.files import shown
from stackaudit.errors import ConfigError
from stackaudit.report.merge import merge_into
from stackaudit.report.outcomes import EXIT_CONFIG, EXIT_NOT_RECORDED
from stackaudit.report.recording import NotRecordable, open_run_dir
from stackaudit.report.shard_runs import MergeRefused, read_shard_runs


def merge(args, rest: list[str]) -> int:
    if rest:
        say(f"merge: unrecognized arguments {shown(' '.join(rest))}; merge takes --inventory, "
            "--waivers, --reports-dir and the shard run directories")
        return EXIT_CONFIG
    try:
        configuration = checked_configuration(args.inventory, args.waivers, metrics_file=args.metrics_file)
        shards = read_shard_runs(args.shard_runs, configuration.inventory.cloud_name)
        run_dir = open_run_dir(Path(args.reports))
    except (ConfigError, MergeRefused, NotRecordable) as err:
        say(str(err))
        return EXIT_CONFIG
    started = time.monotonic()
    try:
        summary = merge_into(run_dir, shards, configuration.waivers, configuration.today, configuration.input_files(),
                             catalog())
    except (MergeRefused, OSError) as err:
        say(str(err))
        return EXIT_NOT_RECORDED
    problem, headline = write_pages(run_dir, configuration)
    return finish(Path(args.reports), run_dir, summary["exit_code"], problem, time.monotonic() - started,
                  metrics_file=args.metrics_file, headline=headline)

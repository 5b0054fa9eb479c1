"""What a person runs and reads at the terminal: `python -m orchestration.cli run|backfill|
rollback|summary`, the run itself and what is printed about it."""

"""mart_email_campaigns over the session's sample: the machine-open rule scored against the
generator's truth (which opens a privacy proxy fired), honest rates, machine opens kept out of
responses, and the reconciliation check failing on a tampered mart."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from orchestration.cli.summary import render_both

# The rule is a timing heuristic: a proxy fetch delayed by hours passes as a person's open (the
# generator delays 15% of them), and a person who opens within two minutes of delivery looks
# like a proxy.
MIN_PRECISION = 0.95
MIN_RECALL = 0.75
OPENS_CLASSIFIED = """
select staged.event_id, {{ is_machine_open('staged.occurred_at', 'messages.delivered_at') }}
from {{ ref('stg_email__events') }} as staged
inner join {{ ref('int_email_messages_summarised') }} as messages
    on staged.message_id = messages.message_id
where staged.event_type = 'open'
"""


def classified_opens(pipeline, tmp_path) -> dict[str, bool]:
    """Every landed open and whether the project's rule (its macro, compiled) calls it a
    machine's."""
    completed = pipeline.dbt_on_copy(tmp_path, "compile", "--quiet", "--inline", OPENS_CLASSIFIED)
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return dict(con.execute(completed.stdout).fetchall())


def test_the_machine_open_rule_finds_the_proxy_opens_of_the_truth(pipeline, tmp_path):
    opens = classified_opens(pipeline, tmp_path)
    truth = set(pq.read_table(pipeline.truth / "machine_opens.parquet")["event_id"].to_pylist())
    machine = {event for event in opens if event in truth}
    predicted = {event for event, is_machine in opens.items() if is_machine}
    assert len(opens) > 1000 and len(machine) > 300
    precision = len(predicted & machine) / len(predicted)
    recall = len(predicted & machine) / len(machine)
    assert precision >= MIN_PRECISION, (precision, recall)
    assert recall >= MIN_RECALL, (precision, recall)
    with pipeline.connect() as con:
        (counted,) = con.execute(
            """SELECT sum(machine_opens) FROM intermediate.int_email_messages_summarised"""
        ).fetchone()
    assert counted == len(predicted)


def test_campaign_rates_count_people_and_say_what_an_esp_would(pipeline):
    with pipeline.connect() as con:
        sent, delivered, opened, opened_any, clicked, total_opens, machine = con.execute(
            """SELECT sum(sent), sum(delivered), sum(unique_opens),
                sum(unique_opens_including_machine), sum(unique_clicks), sum(total_opens),
                sum(machine_opens)
            FROM marts.mart_email_campaigns"""
        ).fetchone()
        wrong_denominators = con.execute(
            """SELECT count(*) FROM marts.mart_email_campaigns
            WHERE abs(open_rate - unique_opens / delivered) > 1e-9
                OR abs(click_to_open_rate - unique_clicks / unique_opens) > 1e-9
                OR abs(bounce_rate - bounced / sent) > 1e-9"""
        ).fetchone()[0]
    assert sent > 1000 and wrong_denominators == 0
    assert opened < opened_any <= delivered <= sent
    assert opened <= total_opens and clicked <= opened
    # the generator's proxies open about a third of delivered messages
    assert 0.2 < machine / delivered < 0.45, machine / delivered


def test_machine_opens_are_no_response(pipeline):
    with pipeline.connect() as con:
        machine, responses = con.execute(
            """SELECT count(*), count(*) FILTER (is_response) FROM marts.fct_interactions
            WHERE interaction_type = 'email_machine_open'"""
        ).fetchone()
    assert machine > 300 and responses == 0


def test_a_campaign_day_out_of_step_with_its_events_fails_the_reconciliation(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "test",
        "--select",
        "assert_email_campaigns_reconcile_with_events",
        tamper="""UPDATE marts.mart_email_campaigns SET total_opens = total_opens + 1
            WHERE campaign_send_day_id = (
                SELECT min(campaign_send_day_id) FROM marts.mart_email_campaigns
            )""",
    )
    assert completed.returncode == 1
    assert "FAIL 1 assert_email_campaigns_reconcile_with_events" in completed.stdout


def test_the_run_summary_has_a_line_for_the_campaigns(pipeline):
    lines = [
        line
        for line in render_both(pipeline.warehouse)[1].splitlines()
        if line.startswith("Email campaigns (marts.mart_email_campaigns): ")
    ]
    assert len(lines) == 1 and "people opened" in lines[0] and "privacy-proxy" in lines[0]

"""Pairwise precision and recall of identity stitching against the sample generator's truth.

A pair is two records (CRM customer records, email addresses, orders) of one true person.
Precision: of the record pairs the warehouse puts under one customer_key, the share that are one
person. Recall: of the pairs of one person that are linkable at all, through a chain of shared
non-junk identifiers (junk as listed by the truth), the share under one customer_key. Orders in
the unresolved bucket are not a customer and take no part in either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .identity import written_phone_e164


@dataclass(frozen=True)
class MatchRates:
    records: int
    predicted_pairs: int
    true_pairs_predicted: int
    linkable_pairs: int
    linkable_pairs_found: int
    same_person_pairs: int

    @property
    def precision(self) -> float:
        return self.true_pairs_predicted / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.linkable_pairs_found / self.linkable_pairs if self.linkable_pairs else 1.0

    @property
    def recall_of_all_pairs(self) -> float:
        """Against every pair of one person, linkable or not: what no identifier can join."""
        return self.true_pairs_predicted / self.same_person_pairs if self.same_person_pairs else 1.0


def truth_beside(landing: Path) -> Path | None:
    """The truth the generator wrote beside a generated landing tree; a real landing has none."""
    truth = landing.parent / "truth"
    return truth if (truth / "identity_truth.parquet").exists() else None


def _junk_identifiers(truth_dir: Path) -> list[str]:
    """The truth's junk phones and emails, in the warehouse's normalised form."""
    junk = json.loads((truth_dir / "manifest.json").read_text())["junk_identifiers"]
    phones = [f"phone:{written_phone_e164(p)}" for p in junk["phones"]]
    return phones + [f"email:{e.strip().lower()}" for e in junk["emails"]]


def _pairs(n: str) -> str:
    return f"coalesce(sum({n} * ({n} - 1) // 2), 0)"


def match_rates(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> MatchRates:
    truth = str(truth_dir / "identity_truth.parquet")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE stitched AS
        SELECT t.person_id, c.record_key AS node, c.customer_key
        FROM read_parquet('{truth}') t
        JOIN intermediate.int_records_clustered c ON c.record_key = CASE t.record_type
            WHEN 'crm_customer' THEN 'crm:' || t.record_id
            WHEN 'email_address' THEN 'email:' || t.record_id END
        WHERE t.person_id IS NOT NULL
        UNION ALL
        SELECT t.person_id, 'order:' || o.order_id, o.customer_key
        FROM read_parquet('{truth}') t
        JOIN intermediate.int_orders_resolved o ON o.order_id = t.record_id
        WHERE t.record_type = 'order' AND t.person_id IS NOT NULL AND NOT o.is_unresolved"""
    )
    con.execute("CREATE OR REPLACE TEMP TABLE junk (link VARCHAR)")
    con.executemany("INSERT INTO junk VALUES (?)", [[j] for j in _junk_identifiers(truth_dir)])
    # Each record's identifiers, and links that only join records of the same true person.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE truth_links AS
        WITH identifiers AS (
            SELECT record_key AS node, identifier_type || ':' || identifier_value AS link
            FROM intermediate.int_identifiers_unioned
            WHERE identifier_type IN ('email', 'phone', 'wechat_id')
              AND record_type IN ('crm_customer', 'email_address')
            UNION ALL
            SELECT 'order:' || order_id, 'email:' || buyer_email_address
            FROM intermediate.int_orders_resolved WHERE buyer_email_address IS NOT NULL
            UNION ALL
            SELECT 'order:' || order_id, 'phone:' || buyer_phone_e164
            FROM intermediate.int_orders_resolved WHERE buyer_phone_e164 IS NOT NULL
        )
        SELECT s.node, s.person_id || '|' || i.link AS link
        FROM stitched s JOIN identifiers i USING (node)
        WHERE i.link NOT IN (SELECT link FROM junk)
        UNION ALL
        SELECT node, 'self|' || node FROM stitched"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE truth_labels AS SELECT node, node AS label FROM stitched"
    )
    while True:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE next_labels AS
            WITH link_labels AS (
                SELECT l.link, min(t.label) AS label
                FROM truth_links l JOIN truth_labels t USING (node) GROUP BY l.link
            )
            SELECT l.node, min(ll.label) AS label
            FROM truth_links l JOIN link_labels ll USING (link) GROUP BY l.node"""
        )
        moved = con.execute(
            "SELECT count(*) FROM truth_labels t JOIN next_labels n USING (node) "
            "WHERE t.label <> n.label"
        ).fetchone()[0]
        con.execute("CREATE OR REPLACE TEMP TABLE truth_labels AS SELECT * FROM next_labels")
        if moved == 0:
            break
    row = con.execute(
        f"""WITH s AS (SELECT * FROM stitched JOIN truth_labels USING (node)),
        by_customer AS (SELECT count(*) AS n FROM s GROUP BY customer_key),
        by_person_customer AS (SELECT count(*) AS n FROM s GROUP BY person_id, customer_key),
        by_linkable AS (SELECT count(*) AS n FROM s GROUP BY label),
        by_linkable_customer AS (SELECT count(*) AS n FROM s GROUP BY label, customer_key),
        by_person AS (SELECT count(*) AS n FROM s GROUP BY person_id)
        SELECT (SELECT count(*) FROM s),
            (SELECT {_pairs("n")} FROM by_customer),
            (SELECT {_pairs("n")} FROM by_person_customer),
            (SELECT {_pairs("n")} FROM by_linkable),
            (SELECT {_pairs("n")} FROM by_linkable_customer),
            (SELECT {_pairs("n")} FROM by_person)"""
    ).fetchone()
    return MatchRates(*(int(v) for v in row))

"""Statistics of college-graduate village officials (大学生村官有序流动), computed set-based in
the database: one pass builds a row per official in scope, then grouping sets count every
figure per selection year, per city and per county at once. Read by the mobility report
(workers) and the dashboard endpoint (api).

Definitions (as of the date; docs/reports.md):
- an official's place is the village of their first service term (their home if no term);
- serving: a service term covers the as-of date; finished: has terms, none covering it;
- moved on: has a mobility event on or before the date; the channel is the latest one's;
- promoted: any mobility event recording a township cadre level (副科/正科);
- on the two committees: holds a chief, deputy or member post on the date (highest class);
- founders: founded a venture by the date; ventures founded: distinct such ventures;
- coverage: administrative villages (村委会) with a serving official ÷ all of them;
- key or postgraduate: key-university graduates and holders of a master's or doctorate;
- months served before moving on: the union of their terms up to the move, in days ÷ 30.4375.
"""

from __future__ import annotations

from django.db import connections, transaction

from talent.choices import MobilityChannel
from talent.querysets import significant_prefix

CHANNELS = list(MobilityChannel)
AGGREGATE_PARALLEL_WORKERS = "2"  # PostgreSQL's own default
DAYS_PER_MONTH = 30.4375

OFFICIALS_SQL = """
SELECT g.person_id,
       g.batch_year,
       place.village_id,
       (p.key_university OR p.education IN ('master', 'doctor')) AS key_or_postgrad,
       EXISTS (SELECT 1 FROM talent_serviceterm t
               WHERE t.person_id = g.person_id AND t.start <= %(as_of)s
                 AND (t."end" IS NULL OR t."end" >= %(as_of)s)) AS serving,
       EXISTS (SELECT 1 FROM talent_serviceterm t
               WHERE t.person_id = g.person_id AND t.start <= %(as_of)s) AS has_terms,
       last_move.channel,
       last_move.date AS moved_on,
       last_move.destination_level,
       EXISTS (SELECT 1 FROM talent_mobilityevent m
               WHERE m.person_id = g.person_id AND m.date <= %(as_of)s AND m.cadre_level <> '') AS promoted,
       (SELECT max(CASE x.role_class WHEN 'chief' THEN 3 WHEN 'deputy' THEN 2 WHEN 'member' THEN 1 END)
          FROM talent_post x
         WHERE x.person_id = g.person_id AND x.role_class <> 'assistant'
           AND x.start <= %(as_of)s AND (x."end" IS NULL OR x."end" >= %(as_of)s)) AS committee_rank,
       EXISTS (SELECT 1 FROM talent_venturefounder f JOIN talent_venture v ON v.id = f.venture_id
               WHERE f.person_id = g.person_id AND v.founded_on <= %(as_of)s) AS founder,
       CASE WHEN last_move.date IS NOT NULL THEN
           talent_days_until((SELECT range_agg(t.period) FROM talent_serviceterm t WHERE t.person_id = g.person_id),
                             LEAST(%(as_of)s, last_move.date))
       END AS days_before_move
FROM talent_graduateofficial g
JOIN talent_person p ON p.id = g.person_id
CROSS JOIN LATERAL (
    SELECT COALESCE(
        (SELECT t.village_id FROM talent_serviceterm t WHERE t.person_id = g.person_id ORDER BY t.start LIMIT 1),
        p.home_division_id) AS village_id
) place
LEFT JOIN LATERAL (
    SELECT m.channel, m.date, d.level AS destination_level
    FROM talent_mobilityevent m
    LEFT JOIN talent_division d ON d.code = m.destination_division_id
    WHERE m.person_id = g.person_id AND m.date <= %(as_of)s
    ORDER BY m.date DESC, m.id DESC
    LIMIT 1
) last_move ON TRUE
WHERE g.selected_on <= %(as_of)s
  AND place.village_id LIKE %(prefix)s
  AND (%(batch_years)s::int[] IS NULL OR g.batch_year = ANY(%(batch_years)s::int[]))
"""

CHANNEL_COUNTS = ",\n".join(f"count(*) FILTER (WHERE channel = '{c.value}') AS ch_{c.value}" for c in CHANNELS)

FIGURES_SQL = f"""
SELECT GROUPING(batch_year) AS no_year, GROUPING(left(village_id, 4)) AS no_city,
       GROUPING(left(village_id, 6)) AS no_county,
       batch_year, left(village_id, 4) AS city, left(village_id, 6) AS county,
       count(*) AS selected,
       count(*) FILTER (WHERE serving) AS serving,
       count(*) FILTER (WHERE has_terms AND NOT serving) AS finished,
       count(*) FILTER (WHERE channel IS NOT NULL) AS moved_on,
       {CHANNEL_COUNTS},
       count(*) FILTER (WHERE promoted) AS promoted,
       count(*) FILTER (WHERE committee_rank IS NOT NULL) AS on_committee,
       count(*) FILTER (WHERE committee_rank = 3) AS committee_chief,
       count(*) FILTER (WHERE committee_rank = 2) AS committee_deputy,
       count(*) FILTER (WHERE committee_rank = 1) AS committee_member,
       count(*) FILTER (WHERE founder) AS founders,
       count(*) FILTER (WHERE key_or_postgrad) AS key_or_postgrad,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY days_before_move) AS median_days_before_move
FROM report_officials
GROUP BY GROUPING SETS ((), (batch_year), (left(village_id, 4)), (left(village_id, 4), left(village_id, 6)))
"""

VENTURES_SQL = """
SELECT GROUPING(batch_year) AS no_year, GROUPING(left(o.village_id, 4)) AS no_city,
       GROUPING(left(o.village_id, 6)) AS no_county,
       batch_year, left(o.village_id, 4) AS city, left(o.village_id, 6) AS county, count(DISTINCT v.id) AS n
FROM report_officials o
JOIN talent_venturefounder f ON f.person_id = o.person_id
JOIN talent_venture v ON v.id = f.venture_id AND v.founded_on <= %(as_of)s
GROUP BY GROUPING SETS ((), (batch_year), (left(o.village_id, 4)), (left(o.village_id, 4), left(o.village_id, 6)))
"""

COVERAGE_SQL = """
SELECT GROUPING(left(v.code, 4)) AS no_city, GROUPING(left(v.code, 6)) AS no_county,
       left(v.code, 4) AS city, left(v.code, 6) AS county,
       count(*) AS villages,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM talent_serviceterm t
           WHERE t.village_id = v.code AND t.start <= %(as_of)s AND (t."end" IS NULL OR t."end" >= %(as_of)s)
       )) AS covered
FROM talent_division v
WHERE v.level = 'village' AND v.kind = 'village' AND v.code LIKE %(prefix)s
GROUP BY GROUPING SETS ((), (left(v.code, 4)), (left(v.code, 4), left(v.code, 6)))
"""

TRANSITIONS_SQL = """
SELECT left(village_id, 4) AS city, channel, COALESCE(destination_level, '') AS destination_level, count(*) AS n
FROM report_officials
WHERE channel IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""

OTHER_GROUPS_SQL = """
SELECT
  (SELECT count(*) FROM talent_ruraltalent r JOIN talent_person p ON p.id = r.person_id
    WHERE COALESCE(p.home_division_id, '') LIKE %(prefix)s) AS rural_talents,
  (SELECT count(*) FROM talent_ruraltalent r JOIN talent_person p ON p.id = r.person_id
    WHERE COALESCE(p.home_division_id, '') LIKE %(prefix)s AND r.category IN ('production', 'business')
    ) AS wealth_leaders,
  (SELECT count(*) FROM talent_returnee r JOIN talent_person p ON p.id = r.person_id
    WHERE COALESCE(p.home_division_id, '') LIKE %(prefix)s AND r.returned_on <= %(as_of)s) AS returnees,
  (SELECT count(*) FROM talent_returnee r JOIN talent_person p ON p.id = r.person_id
    WHERE COALESCE(p.home_division_id, '') LIKE %(prefix)s AND r.returned_on <= %(as_of)s
      AND p.education IN ('junior_college', 'bachelor', 'master', 'doctor')) AS returning_graduates,
  (SELECT count(DISTINCT o.person_id) FROM report_officials o JOIN talent_post x ON x.person_id = o.person_id
    WHERE x.role = 'party_secretary' AND extract(year FROM x.start) = extract(year FROM %(as_of)s::date)
      AND x.start <= %(as_of)s) AS elected_secretary_this_year
"""


# One read-only statement (it runs on a read replica too): the officials are computed once, in
# a materialized CTE, and every table of figures comes back as JSON.
COMBINED_SQL = f"""
WITH report_officials AS MATERIALIZED ({OFFICIALS_SQL})
SELECT (SELECT json_agg(to_json(f)) FROM ({FIGURES_SQL}) f),
       (SELECT json_agg(to_json(v)) FROM ({VENTURES_SQL}) v),
       (SELECT json_agg(to_json(c)) FROM ({COVERAGE_SQL}) c),
       (SELECT json_agg(to_json(t) ORDER BY t.city, t.channel, t.destination_level) FROM ({TRANSITIONS_SQL}) t),
       (SELECT to_json(o) FROM ({OTHER_GROUPS_SQL}) o)
"""


def mobility_figures(*, as_of, within: str | None, batch_years=None, using: str = "default") -> dict:
    """All the mobility figures as plain data: ``total`` (the whole scope), ``groups`` (per
    selection year, city and county; ``no_year``/``no_city``/``no_county`` tell which),
    ``transitions`` (city served × channel × destination level) and ``other`` groups."""
    prefix = (significant_prefix(within) if within else "") + "%"
    params = {"as_of": as_of, "prefix": prefix, "batch_years": batch_years}
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        # One aggregate over the registry: with PostgreSQL's parallel workers, which the
        # service's sessions otherwise plan without (DB_PARALLEL_WORKERS).
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [AGGREGATE_PARALLEL_WORKERS])
        cursor.execute(COMBINED_SQL, params)
        groups, ventures_rows, coverage_rows, transition_rows, other = cursor.fetchone()
    groups = groups or []
    ventures = {
        (r["no_year"], r["no_city"], r["no_county"], r["batch_year"], r["city"], r["county"]): r["n"]
        for r in ventures_rows or []
    }
    coverage = {(r["no_city"], r["no_county"], r["city"], r["county"]): (r["villages"], r["covered"])
                for r in coverage_rows or []}  # fmt: skip
    transitions = [(r["city"], r["channel"], r["destination_level"], r["n"]) for r in transition_rows or []]
    for group in groups:
        key = tuple(group[k] for k in ("no_year", "no_city", "no_county", "batch_year", "city", "county"))
        group["ventures_founded"] = ventures.get(key, 0)
        if group["no_year"]:
            villages, covered = coverage.get(
                (group["no_city"], group["no_county"], group["city"], group["county"]), (0, 0)
            )
            group["villages"], group["villages_covered"] = villages, covered
        median = group.pop("median_days_before_move")
        group["median_months_before_move"] = round(median / DAYS_PER_MONTH, 1) if median is not None else None
    total = next(g for g in groups if g["no_year"] and g["no_city"] and g["no_county"])
    return {"total": total, "groups": groups, "transitions": transitions, "other": other}


def share(part, whole) -> float | None:
    """Percentage with one decimal; None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None

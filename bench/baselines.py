"""The baselines: plain SQL for the same answers the API gives, run through psycopg directly
(no Django, no HTTP), so that each API figure is a ratio to the database's own work measured in
the same run on the same data.

- ``candidates_bare_sql``: the eligible page read the indexed way — the precomputed facts
  (GiST on rule and ``met_during``), then the people by primary key with the cheap
  date-dependent checks, the page's rows and brief columns. The least the database must do.
- ``candidates_union_sql``: the same page computed on the fly without the precomputed facts:
  ``range_agg`` over every person's terms and posts, cut at the as-of date, the years test on
  each union, then the other criteria and the page (issue 4: "about 8 s on this machine").
- ``people_page_sql``: the rows a people page shows, with their group records and posts (and
  the posts' villages, each by its key).
- ``person_detail_sql``: what a person's detail answers, no more and no less: the person if
  within the reader's jurisdiction, their group records, the versions of the four rows (the
  ETag), whether they hold any post (``groups``), and their current posts within the
  jurisdiction with the villages (``current_posts``). Nothing else is in the response (terms,
  assessments, trainings, ventures and mobility events are resources of their own).
"""

from __future__ import annotations

import datetime as dt

from talent.choices import EDUCATION_RANK, GRADE_RANK, Education, Grade, Group
from talent.dates import latest_birth_date_for_age
from talent.querysets import person_rows, significant_prefix

# A person's rows are probed as the API probes them (talent.querysets.person_rows: by the
# person's B-tree index, not an exclusion constraint's GiST index).
GROUP_SQL = {
    Group.VILLAGE_CADRE: f"EXISTS (SELECT 1 FROM talent_post g WHERE {person_rows('g', 'p.id')})",
    Group.GRADUATE_OFFICIAL: f"EXISTS (SELECT 1 FROM talent_graduateofficial g WHERE {person_rows('g', 'p.id')})",
    Group.RETURNEE: f"EXISTS (SELECT 1 FROM talent_returnee g WHERE {person_rows('g', 'p.id')})",
    Group.RURAL_TALENT: f"EXISTS (SELECT 1 FROM talent_ruraltalent g WHERE {person_rows('g', 'p.id')})",
}

# "Within" read the indexed way, as the API does (talent.querysets.person_under): the person's
# places (talent.places), from the first person of the prefix on.
WITHIN_SQL = """(EXISTS (SELECT 1 FROM talent_personplace w WHERE w.person_id = p.id AND w.prefix = %(place)s)
     AND p.id >= (SELECT w.person_id FROM talent_personplace w WHERE w.prefix = %(place)s
                  ORDER BY w.person_id LIMIT 1))"""

BRIEF_COLUMNS = "p.id, p.name, p.gender, p.birth_date, p.id_number"


def _rest_conditions(rule, as_of: dt.date, params: dict) -> list[str]:
    """Group, age, education, current post and assessments: the criteria that do not count
    service, as SQL conditions on ``p``."""
    out = []
    if rule.applies_to:
        out.append(GROUP_SQL[rule.applies_to])
    if rule.max_age is not None:
        params["born_after"] = latest_birth_date_for_age(as_of, rule.max_age + 1)
        out.append("p.birth_date > %(born_after)s")
    if rule.min_education:
        rank = EDUCATION_RANK[Education(rule.min_education)]
        params["educations"] = [e.value for e in Education if EDUCATION_RANK[e] >= rank]
        out.append("p.education = ANY(%(educations)s)")
    if rule.current_role_class:
        params["current_class"] = rule.current_role_class
        out.append(
            f"EXISTS (SELECT 1 FROM talent_post c WHERE {person_rows('c', 'p.id')}"
            " AND c.role_class = %(current_class)s"
            ' AND c.start <= %(as_of)s AND (c."end" IS NULL OR c."end" >= %(as_of)s))'
        )
    if rule.min_assessment_grade:
        rank = GRADE_RANK[Grade(rule.min_assessment_grade)]
        params["good_grades"] = [g.value for g in Grade if GRADE_RANK[g] >= rank]
        params["year"] = as_of.year
        window = "a.year < %(year)s"
        if rule.assessment_years is not None:
            params["first_year"] = as_of.year - rule.assessment_years
            params["n_years"] = rule.assessment_years
            window += " AND a.year >= %(first_year)s"
        annual = f"FROM talent_assessment a WHERE a.person_id = p.id AND a.kind = 'annual' AND {window}"
        out.append(f"NOT EXISTS (SELECT 1 {annual} AND a.grade <> ALL(%(good_grades)s))")
        if rule.assessment_years is not None and not rule.missing_assessment_ok:
            out.append(f"(SELECT count(*) {annual}) = %(n_years)s")
    return out


def _params(rule, as_of: dt.date, within: str, page_size: int) -> dict:
    return {"as_of": as_of, "place": significant_prefix(within), "rule": rule.pk, "limit": page_size}


def candidates_bare_sql(rule, *, as_of: dt.date, within: str, page_size: int) -> tuple[str, dict]:
    params = _params(rule, as_of, within, page_size)
    conditions = [
        "p.id = ANY(ARRAY(SELECT f.person_id FROM talent_eligibilityfact f"
        " WHERE f.rule_id = %(rule)s::bigint AND f.met_during @> %(as_of)s::date ORDER BY f.person_id))",
        WITHIN_SQL,
        *_rest_conditions(rule, as_of, params),
    ]
    sql = f"SELECT {BRIEF_COLUMNS} FROM talent_person p WHERE {' AND '.join(conditions)} ORDER BY p.id LIMIT %(limit)s"
    return sql, params


def candidates_union_sql(rule, *, as_of: dt.date, within: str, page_size: int) -> tuple[str, dict]:
    """Without the facts: the unions of everybody's terms and role posts, cut at the as-of
    date, and the years test on each, then the rest of the criteria and the page."""
    params = _params(rule, as_of, within, page_size)
    ctes, joins, conditions = [], [], []
    cut = "datemultirange(daterange(NULL, %(as_of)s::date, '[]'))"
    if rule.min_service_years is not None:
        params["service_years"] = rule.min_service_years
        ctes.append(
            f"terms AS (SELECT t.person_id, range_agg(t.period) * {cut} AS spans"
            " FROM talent_serviceterm t GROUP BY t.person_id)"
        )
        joins.append("JOIN terms ON terms.person_id = p.id")
        conditions.append("talent_years_met_on(terms.spans, %(service_years)s) <= %(as_of)s")
    if rule.min_role_years is not None:
        params["roles"] = list(rule.roles)
        params["role_years"] = rule.min_role_years
        ctes.append(
            f"roles AS (SELECT x.person_id, range_agg(x.period) * {cut} AS spans FROM talent_post x"
            " WHERE x.role = ANY(%(roles)s) OR x.role_class = ANY(%(roles)s) GROUP BY x.person_id)"
        )
        joins.append("JOIN roles ON roles.person_id = p.id")
        met = "talent_continuous_years_met_on" if rule.role_service_continuous else "talent_years_met_on"
        conditions.append(f"{met}(roles.spans, %(role_years)s) <= %(as_of)s")
    conditions += [WITHIN_SQL, *_rest_conditions(rule, as_of, params)]
    sql = (
        f"WITH {', '.join(ctes)} SELECT {BRIEF_COLUMNS} FROM talent_person p {' '.join(joins)}"
        f" WHERE {' AND '.join(conditions)} ORDER BY p.id LIMIT %(limit)s"
    )
    return sql, params


PERSON_ROWS = """
    SELECT p.*, g.batch_year, g.selected_on, g.status, r.previous_city, r.previous_occupation, r.returned_on,
           t.category, t.specialties, t.title_level, t.operation_scale
    FROM talent_person p
    LEFT JOIN talent_graduateofficial g ON g.person_id = p.id
    LEFT JOIN talent_returnee r ON r.person_id = p.id
    LEFT JOIN talent_ruraltalent t ON t.person_id = p.id
"""
# Each post's village read by its key (the subquery kept apart by OFFSET 0): joined, PostgreSQL
# hashes all 44,582 divisions for the page's few hundred posts, 10 ms instead of 0.7 ms.
POSTS_OF = """
    SELECT x.*, v.code, v.name, v.level FROM talent_post x
    CROSS JOIN LATERAL (SELECT d.code, d.name, d.level FROM talent_division d WHERE d.code = x.village_id OFFSET 0) v
    WHERE x.person_id = ANY(%(ids)s) ORDER BY x.person_id, x.start, x.id
"""


def people_page_sql(*, within: str, group: str, role: str, on: dt.date, page_size: int) -> tuple[str, dict]:
    """People within a division, in a group, holding a post of ``role`` on ``on``: the page's
    rows with their group records (the posts follow with ``POSTS_OF``)."""
    params = {"place": significant_prefix(within), "role": role, "on": on, "limit": page_size}
    sql = f"""{PERSON_ROWS}
    WHERE {WITHIN_SQL} AND {GROUP_SQL[group]}
      AND EXISTS (SELECT 1 FROM talent_post h WHERE {person_rows("h", "p.id")} AND h.role = %(role)s
                  AND h.start <= %(on)s AND (h."end" IS NULL OR h."end" >= %(on)s))
    ORDER BY p.id LIMIT %(limit)s"""
    return sql, params


PERSON_DETAIL_ROW = f"""
    SELECT p.id, p.name, p.gender, p.birth_date, p.id_number, p.ethnicity, p.political_status,
           p.party_joined_on, p.education, p.school, p.major, p.key_university, p.phone,
           p.home_division_id, p.notes, p.created_at, p.updated_at,
           concat_ws('.', p.row_version, COALESCE(g.row_version::text, '-'), COALESCE(r.row_version::text, '-'),
                     COALESCE(t.row_version::text, '-')) AS version,
           g.batch_year, g.selected_on, g.status, r.previous_city, r.previous_occupation, r.returned_on,
           t.category, t.specialties, t.title_level, t.operation_scale,
           {GROUP_SQL[Group.VILLAGE_CADRE]} AS village_cadre
    FROM talent_person p
    LEFT JOIN talent_graduateofficial g ON g.person_id = p.id
    LEFT JOIN talent_returnee r ON r.person_id = p.id
    LEFT JOIN talent_ruraltalent t ON t.person_id = p.id
    WHERE p.id = %(id)s AND {WITHIN_SQL}
"""
PERSON_DETAIL_POSTS = """
    SELECT x.id, x.role, x.role_class, x.start, x."end", v.code, v.name, v.level
    FROM talent_post x JOIN talent_division v ON v.code = x.village_id
    WHERE x.person_id = %(id)s AND x.village_id LIKE %(prefix)s
      AND x.start <= %(on)s AND (x."end" IS NULL OR x."end" >= %(on)s)
    ORDER BY x.start, x.id
"""


def person_detail_sql(*, within: str, on: dt.date) -> tuple[list[str], dict]:
    """A person's detail as a reader of ``within`` sees it on ``on``: the statements (the row
    with its group records, versions and village-cadre test; then the current posts within the
    jurisdiction with their villages) and their parameters, less the person's ``id``."""
    prefix = significant_prefix(within)
    return [PERSON_DETAIL_ROW, PERSON_DETAIL_POSTS], {"place": prefix, "prefix": prefix + "%", "on": on}

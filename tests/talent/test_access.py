"""talent.access: which of a person's posts are current, and whose they are to see."""

from __future__ import annotations

import datetime as dt

from talent.access import Scope, current_posts
from talent.choices import StaffRole
from talent.models import Post
from tests import factories

DAY = dt.timedelta(days=1)


def _scope(prefix: str) -> Scope:
    return Scope(prefix=prefix, role=StaffRole.VIEWER, personal_data=False, jurisdiction=None)


def test_a_post_is_held_on_the_days_the_database_says_it_is_active(db):
    """``Post.held_on`` (decided in Python over posts already read) and ``active_on`` (the
    database's condition) agree on every day around each end of open and closed posts."""
    factories.divisions_make(factories.TWO_CITIES)
    village = factories.village_make("430104100201")
    person = factories.person_make(home_division=village)
    start, end = dt.date(2020, 3, 1), dt.date(2021, 6, 30)
    closed = factories.post_make(person=person, village=village, role="party_secretary", start=start, end=end)
    factories.post_make(person=person, village=village, role="committee_member", start=start)
    posts = list(Post.objects.filter(person=person).order_by("id"))
    for day in (start - DAY, start, start + DAY, end - DAY, end, end + DAY, dt.date(2030, 1, 1)):
        active = set(Post.objects.filter(person=person).active_on(day).values_list("id", flat=True))
        held = {post.pk for post in posts if post.held_on(day)}
        assert held == active, day
    assert closed.held_on(end) and not closed.held_on(end + DAY) and not closed.held_on(start - DAY)


def test_current_posts_are_held_on_the_day_within_the_scope(db):
    """Held on the day and in a village within the scope's jurisdiction, in the order given;
    the whole country sees every current post; no scope (no staff account) sees none."""
    factories.divisions_make(factories.TWO_CITIES)
    changsha, zhuzhou = factories.village_make("430104100201"), factories.village_make("430202100201")
    person = factories.person_make(home_division=changsha)
    on = dt.date(2024, 5, 1)
    here = factories.post_make(person=person, village=changsha, role="party_secretary", start="2020-01-01")
    ended = factories.post_make(
        person=person, village=changsha, role="committee_director", start="2019-01-01", end=on - DAY
    )
    there = factories.post_make(person=person, village=zhuzhou, role="committee_member", start="2018-01-01", end=on)
    later = factories.post_make(person=person, village=zhuzhou, role="party_secretary", start=on + DAY)
    posts = [here, ended, there, later]
    assert current_posts(posts, _scope(""), on=on) == [here, there]
    assert current_posts(posts, _scope("4301"), on=on) == [here]
    assert current_posts(posts, _scope("4302"), on=on) == [there]
    assert current_posts(posts, _scope("4303"), on=on) == []
    assert current_posts(posts, None, on=on) == []
    assert current_posts(posts, _scope(""), on=on + DAY) == [here, later]

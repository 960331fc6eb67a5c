"""Every create, update and delete is recorded by the database triggers of django-pghistory,
with who (the pghistory context), when, and the values before and after, whichever way the
write arrives: ORM, bulk ``QuerySet.update``, raw SQL, COPY, or a request through the
middleware."""

from __future__ import annotations

import datetime as dt

import pghistory
import pytest
from django.apps import apps
from django.db import connection
from django.http import HttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from pghistory.models import Events

from talent.models import Person, ServiceTerm
from tests.factories import graduate_make, id_number_for, person_make, post_make, user_make

pytestmark = pytest.mark.django_db

PersonEvent = apps.get_model("talent", "PersonEvent")
PostEvent = apps.get_model("talent", "PostEvent")
ServiceTermEvent = apps.get_model("talent", "ServiceTermEvent")
GraduateOfficialEvent = apps.get_model("talent", "GraduateOfficialEvent")

D = dt.date.fromisoformat


def events_of(event_model, pk, label=None):
    events = event_model.objects.filter(pgh_obj_id=pk).order_by("pgh_id")
    return list(events.filter(pgh_label=label) if label else events)


def test_every_talent_model_is_tracked():
    """Each model of the registry has an event model written by triggers."""
    models = apps.get_app_config("talent").get_models()
    event_models = [model for model in models if hasattr(model, "pgh_tracked_model")]
    tracked = {model.pgh_tracked_model for model in event_models}
    registry = {model for model in apps.get_app_config("talent").get_models() if model not in event_models}
    # Eligibility facts and people's places are derived from tracked people, posts and terms
    # (and rebuilt by triggers);
    # reports and imports are job records, with their own timestamps and requesters; the
    # personal-data read audit is append-only (a trigger refuses UPDATE and DELETE).
    untracked = {model._meta.model_name for model in registry - tracked}
    assert untracked == {"eligibilityfact", "personplace", "report", "reportfile", "rosterimport", "personaldataread"}
    assert len(registry) >= 13


def database_now() -> dt.datetime:
    """now() of the current transaction: the time pghistory stamps on its events."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def test_create_is_recorded_with_the_values():
    user = user_make()
    with pghistory.context(user=user.pk):
        person = person_make(name="李四", school="湖南大学")
    (event,) = events_of(PersonEvent, person.pk)
    assert event.pgh_label == "insert"
    assert (event.name, event.school, event.id_number) == ("李四", "湖南大学", person.id_number)
    assert event.pgh_context.metadata["user"] == user.pk
    assert event.pgh_created_at == database_now()


def test_bulk_update_records_one_event_per_row_with_user_before_and_after():
    user = user_make()
    changed = [person_make(school="") for _ in range(3)]
    untouched = person_make(school="")
    with pghistory.context(user=user.pk, reason="批量更新毕业院校"):
        count = Person.objects.filter(pk__in=[p.pk for p in changed]).update(school="湖南农业大学")
    assert count == 3

    updates = PersonEvent.objects.filter(pgh_label="update").order_by("pgh_obj_id")
    assert [e.pgh_obj_id for e in updates] == sorted(p.pk for p in changed)
    assert events_of(PersonEvent, untouched.pk, "update") == []
    assert len({e.pgh_context_id for e in updates}) == 1  # one context for the whole statement
    for event in updates:
        assert event.school == "湖南农业大学"  # after
        assert event.pgh_context.metadata == {"user": user.pk, "reason": "批量更新毕业院校"}
        assert event.pgh_created_at == database_now()  # when: the writing transaction's time
        (insert,) = events_of(PersonEvent, event.pgh_obj_id, "insert")
        assert insert.school == ""  # before

    # The aggregate view computes the same before/after pairs.
    diffs = Events.objects.tracks(*changed).filter(pgh_label="update").order_by("pgh_obj_id")
    assert [event.pgh_diff for event in diffs] == [{"school": ["", "湖南农业大学"]}] * 3
    assert all(event.pgh_context == {"user": user.pk, "reason": "批量更新毕业院校"} for event in diffs)


def test_consecutive_updates_chain_before_and_after():
    person = person_make(school="")
    Person.objects.filter(pk=person.pk).update(school="甲大学")
    Person.objects.filter(pk=person.pk).update(school="乙大学")
    diffs = [e.pgh_diff for e in Events.objects.tracks(person).order_by("pgh_id")]
    assert diffs[1:] == [{"school": ["", "甲大学"]}, {"school": ["甲大学", "乙大学"]}]


def test_an_update_that_changes_nothing_is_not_an_event():
    person = person_make(school="湖南大学")
    Person.objects.filter(pk=person.pk).update(school="湖南大学")
    assert events_of(PersonEvent, person.pk, "update") == []


def test_writes_without_a_context_are_recorded_without_a_user():
    person = person_make()
    Person.objects.filter(pk=person.pk).update(notes="无上下文")
    (event,) = events_of(PersonEvent, person.pk, "update")
    assert event.notes == "无上下文"
    assert event.pgh_context is None


def test_delete_is_recorded_with_the_last_values_and_the_user_and_cascades():
    user = user_make()
    graduate = graduate_make(terms=[("2010-08-01", "2013-07-31")])
    person = graduate.person
    post = post_make(person=person, start="2013-08-01", end=None)
    term = ServiceTerm.objects.get(person=person)
    pk = person.pk
    with pghistory.context(user=user.pk):
        person.delete()
    assert not Person.objects.filter(pk=pk).exists()

    (deleted,) = events_of(PersonEvent, pk, "delete")
    assert (deleted.name, deleted.id_number) == (person.name, person.id_number)
    assert deleted.pgh_context.metadata["user"] == user.pk
    # The rows deleted with the person (ORM and database cascades) are recorded too, in the
    # same context.
    for event_model, obj_pk in [(PostEvent, post.pk), (ServiceTermEvent, term.pk), (GraduateOfficialEvent, pk)]:
        (event,) = events_of(event_model, obj_pk, "delete")
        assert event.pgh_context_id == deleted.pgh_context_id


def test_raw_sql_insert_is_recorded_with_the_user():
    user = user_make()
    number = id_number_for(birth_date=D("1990-03-15"), gender="male")
    with pghistory.context(user=user.pk), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO talent_person (name, gender, birth_date, id_number, ethnicity, political_status,
                education, school, major, key_university, phone, notes, created_at, updated_at)
            VALUES ('王五', 'male', '1990-03-15', %s, 'han', 'masses', 'bachelor', '', '', false, '', '',
                now(), now())
            RETURNING id
            """,
            [number],
        )
        (pk,) = cursor.fetchone()
    (event,) = events_of(PersonEvent, pk)
    assert (event.pgh_label, event.name, event.id_number) == ("insert", "王五", number)
    assert event.pgh_context.metadata["user"] == user.pk


COPY_COLUMNS = (
    "name, gender, birth_date, id_number, education, ethnicity, political_status, school, major, "
    "key_university, phone, notes, created_at, updated_at"
)


def copy_people(rows) -> None:
    now = timezone.now()
    with connection.cursor() as cursor, cursor.copy(f"COPY talent_person ({COPY_COLUMNS}) FROM STDIN") as copy:
        for name, gender, birth_date, number in rows:
            copy.write_row(
                [name, gender, birth_date, number, "bachelor", "han", "masses", "", "", False, "", "", now, now]
            )


def _rows(n: int):
    rows = []
    for i in range(n):
        birth_date = D("1991-01-01") + dt.timedelta(days=i)
        gender = "male" if i % 2 else "female"
        rows.append((f"导入{i}", gender, birth_date, id_number_for(birth_date=birth_date, gender=gender)))
    return rows


def test_copy_insert_is_recorded():
    rows = _rows(3)
    copy_people(rows)
    numbers = [number for *_, number in rows]
    people = dict(Person.objects.filter(id_number__in=numbers).values_list("id_number", "pk"))
    assert len(people) == 3
    for name, _, birth_date, number in rows:
        (event,) = events_of(PersonEvent, people[number])
        assert (event.pgh_label, event.name, event.birth_date) == ("insert", name, birth_date)


def test_copy_inside_a_context_carries_the_user_once_the_context_is_set_in_the_transaction():
    """COPY bypasses Django's execute wrapper, which is where pghistory sets the context
    variables (SET LOCAL, for the rest of the transaction). A loader that writes anything
    through the ORM or cursor.execute inside the context before its COPY gets the user."""
    user = user_make()
    rows = _rows(2)
    with pghistory.context(user=user.pk, source="名册导入"):
        batch_note = person_make(name="导入批次说明")  # any statement through Django's cursor
        copy_people(rows)
    numbers = [number for *_, number in rows]
    for pk in Person.objects.filter(id_number__in=numbers).values_list("pk", flat=True):
        (event,) = events_of(PersonEvent, pk)
        assert event.pgh_context.metadata == {"user": user.pk, "source": "名册导入"}
    (note_event,) = events_of(PersonEvent, batch_note.pk)
    assert note_event.pgh_context_id == event.pgh_context_id


# --- The middleware: a request's writes carry the logged-in user ---------------------------


def _rename(request, pk):
    Person.objects.filter(pk=pk).update(notes=f"经由请求修改({request.method})")
    return HttpResponse("ok")


urlpatterns = [path("history-probe/<int:pk>/", _rename, name="history-probe")]


@pytest.mark.urls(__name__)
def test_history_middleware_attaches_the_logged_in_user_and_url(client):
    user = user_make()
    person = person_make()
    client.force_login(user)
    url = reverse("history-probe", args=[person.pk])
    response = client.post(url)
    assert response.status_code == 200
    (event,) = events_of(PersonEvent, person.pk, "update")
    assert event.notes == "经由请求修改(POST)"
    assert event.pgh_context.metadata == {"user": user.pk, "url": url}


@pytest.mark.urls(__name__)
def test_history_middleware_without_login_records_no_user(client):
    person = person_make()
    url = reverse("history-probe", args=[person.pk])
    assert client.post(url).status_code == 200
    (event,) = events_of(PersonEvent, person.pk, "update")
    assert event.pgh_context.metadata == {"user": None, "url": url}


def test_admin_delete_records_the_staff_user(client):
    try:
        reverse("admin:talent_person_delete", args=[1])
    except NoReverseMatch:  # pragma: no cover - the admin is written separately
        pytest.skip("Person is not registered in the admin")
    user = user_make(is_superuser=True)
    person = person_make()
    client.force_login(user)
    url = reverse("admin:talent_person_delete", args=[person.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Person.objects.filter(pk=person.pk).exists()
    (event,) = events_of(PersonEvent, person.pk, "delete")
    assert event.pgh_context.metadata == {"user": user.pk, "url": url}
